"""The headache diary (DOMAIN.md section 5): one day entry per calendar day, optional attacks."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.models.base import Base, UTCDateTime, str_enum


class MedicationClass(enum.StrEnum):
    """Acute medication classes; the first four count towards overuse at 10 days a month."""

    TRIPTAN = "triptan"
    ERGOT = "ergot"
    OPIOID = "opioid"
    COMBINATION = "combination"
    SIMPLE = "simple"  # simple analgesic or NSAID: overuse at 15 days a month
    OTHER = "other"


class DiaryDay(Base):
    """How one day was: pain-free, or the worst pain, hours of headache and acute medication."""

    __tablename__ = "diary_days"
    __table_args__ = (
        UniqueConstraint("patient_id", "day"),
        CheckConstraint("worst_pain BETWEEN 0 AND 10", name="pain"),
        CheckConstraint("hours IS NULL OR (hours >= 0 AND hours <= 24)", name="hours"),
        CheckConstraint("stress IS NULL OR stress BETWEEN 0 AND 10", name="stress"),
        CheckConstraint(
            "sleep_hours IS NULL OR (sleep_hours >= 0 AND sleep_hours <= 24)", name="sleep"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    headache: Mapped[bool] = mapped_column(Boolean)
    worst_pain: Mapped[int]
    hours: Mapped[float | None] = mapped_column(nullable=True)
    acute_medication: Mapped[bool] = mapped_column(Boolean, default=False)
    # Which class was taken, when known (an SMS "M" says only that some was taken).
    medication_class: Mapped[MedicationClass | None] = mapped_column(
        str_enum(MedicationClass), nullable=True
    )
    menstruation: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sleep_hours: Mapped[float | None] = mapped_column(nullable=True)
    stress: Mapped[int | None] = mapped_column(nullable=True)  # 0-10
    triggers: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    source: Mapped[str] = mapped_column(String(10))  # sms or web
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AttackFunction(enum.StrEnum):
    NORMAL = "normal"
    REDUCED = "reduced"
    BED = "bed"


class DiaryAttack(Base):
    """One attack in detail (optional); it may span several days."""

    __tablename__ = "diary_attacks"
    __table_args__ = (
        CheckConstraint("started_at < ended_at", name="order"),
        CheckConstraint("peak_pain BETWEEN 0 AND 10", name="peak"),
        CheckConstraint("aura_minutes IS NULL OR aura_minutes >= 0", name="aura"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    peak_pain: Mapped[int]
    side: Mapped[str] = mapped_column(String(10))  # left, right, both
    quality: Mapped[str] = mapped_column(String(10))  # pulsating, pressing
    worse_with_activity: Mapped[bool] = mapped_column(Boolean, default=False)
    nausea: Mapped[bool] = mapped_column(Boolean, default=False)
    vomiting: Mapped[bool] = mapped_column(Boolean, default=False)
    light_sound_sensitivity: Mapped[bool] = mapped_column(Boolean, default=False)
    aura: Mapped[bool] = mapped_column(Boolean, default=False)
    aura_minutes: Mapped[int | None] = mapped_column(nullable=True)
    function: Mapped[AttackFunction] = mapped_column(str_enum(AttackFunction))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
