"""Safety screens and questionnaire answers: what the patient told us about their health."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.models.base import Base, UTCDateTime, str_enum


class SafetyTier(enum.StrEnum):
    """DOMAIN.md section 4, most serious first; CLEAR when nothing was reported."""

    EMERGENT = "emergent"
    URGENT = "urgent"
    REVIEW = "review"
    CLEAR = "clear"


class SafetyScreen(Base):
    """One answered safety screen: at first booking, before each new course, or on request."""

    __tablename__ = "safety_screens"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), nullable=True)
    tier: Mapped[SafetyTier] = mapped_column(str_enum(SafetyTier))
    answers: Mapped[dict[str, bool]] = mapped_column(JSON)  # question code -> yes/no
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)  # pregnancy, anticoagulants...
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), nullable=True)


class QuestionnaireKind(enum.StrEnum):
    MIDAS = "midas"
    HIT6 = "hit6"


class QuestionnaireResponse(Base):
    """One completed MIDAS or HIT-6, scored. ``point`` names the schedule point it answers
    (baseline, session-4, session-8, month-3, maintenance-<visit id>, or extra-<date>), so
    the same point cannot be answered twice."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (UniqueConstraint("patient_id", "kind", "point"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[QuestionnaireKind] = mapped_column(str_enum(QuestionnaireKind))
    point: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    score: Mapped[int]
    grade: Mapped[str] = mapped_column(String(40))  # MIDAS grade I-IV, HIT-6 band
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
