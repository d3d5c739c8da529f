"""The headache diary's day entries (DOMAIN.md section 5), one per patient and calendar day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.models.base import Base, UTCDateTime


class DiaryDay(Base):
    """How one day was: pain-free, or the worst pain, hours of headache and acute medication."""

    __tablename__ = "diary_days"
    __table_args__ = (
        UniqueConstraint("patient_id", "day"),
        CheckConstraint("worst_pain BETWEEN 0 AND 10", name="pain"),
        CheckConstraint("hours IS NULL OR (hours >= 0 AND hours <= 24)", name="hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    headache: Mapped[bool] = mapped_column(Boolean)
    worst_pain: Mapped[int]
    hours: Mapped[float | None] = mapped_column(nullable=True)
    acute_medication: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(10))  # sms or web
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
