"""Staff accounts: who may sign in to the console, and with which role."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.models.base import Base, UTCDateTime, str_enum


class Role(enum.StrEnum):
    ADMIN = "admin"  # everything, staff accounts included
    PRACTITIONER = "practitioner"  # own calendar, clinical data of own patients
    FRONT_DESK = "front_desk"  # all calendars and contact details; no diary or safety details


class StaffUser(Base):
    """A person who signs in to the console; the password is kept only as a scrypt hash."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioners.id"), nullable=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Raised by signing out and by a password change: every older session stops working.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
