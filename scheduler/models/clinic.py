"""The clinic's set-up: services, practitioners, rooms and weekly working hours."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    String,
    Table,
    Time,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from scheduler.models.base import Base, UTCDateTime

practitioner_services = Table(
    "practitioner_services",
    Base.metadata,
    Column("practitioner_id", ForeignKey("practitioners.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


# The longest a service may last, and the longest buffer after it, in minutes: the calendar's
# reads rely on no visit holding time longer than these.
LONGEST_SERVICE_MIN = 480
LONGEST_BUFFER_MIN = 120


class Service(Base):
    """Something the clinic offers, with how long it takes and what it needs."""

    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint(
            f"duration_min > 0 AND duration_min <= {LONGEST_SERVICE_MIN}", name="duration"
        ),
        CheckConstraint(f"buffer_min >= 0 AND buffer_min <= {LONGEST_BUFFER_MIN}", name="buffer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")
    duration_min: Mapped[int]
    buffer_min: Mapped[int] = mapped_column(default=0)
    needs_room: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # What one visit costs, in pence; None when the clinic does not publish a price.
    price_pence: Mapped[int | None] = mapped_column(nullable=True)


class Practitioner(Base):
    """A person who treats patients; bookable only while their licence is valid."""

    __tablename__ = "practitioners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(120), default="")
    licence_number: Mapped[str] = mapped_column(String(60), default="")
    licence_expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    services: Mapped[list[Service]] = relationship(secondary=practitioner_services)
    hours: Mapped[list[WorkingHours]] = relationship(
        back_populates="practitioner", cascade="all, delete-orphan", order_by="WorkingHours.weekday"
    )

    def licensed_on(self, day: date) -> bool:
        return self.licence_expires_on is None or day <= self.licence_expires_on

    def offers(self, service: Service) -> bool:
        return any(s.id == service.id for s in self.services)


class Room(Base):
    """A treatment room: one visit at a time."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WorkingHours(Base):
    """One stretch of a practitioner's week, in the clinic's local time (0 is Monday)."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        CheckConstraint("starts < ends", name="order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)

    practitioner: Mapped[Practitioner] = relationship(back_populates="hours")


class TimeOff(Base):
    """A stretch when one practitioner is away (leave, training), in UTC."""

    __tablename__ = "time_off"
    __table_args__ = (CheckConstraint("starts_at < ends_at", name="order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")


class Closure(Base):
    """A stretch when the whole clinic is closed (a bank holiday, a refit), in UTC."""

    __tablename__ = "closures"
    __table_args__ = (CheckConstraint("starts_at < ends_at", name="order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="")


class ClinicRules(Base):
    """The clinic's calendar rules as editable data: one row (DOMAIN.md section 8)."""

    __tablename__ = "clinic_rules"
    __table_args__ = (
        CheckConstraint("grid_minutes IN (5, 10, 15, 20, 30, 60)", name="grid"),
        CheckConstraint("minimum_notice_minutes >= 0", name="notice"),
        CheckConstraint("horizon_days > 0 AND course_horizon_days >= horizon_days", name="horizon"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_minutes: Mapped[int] = mapped_column(default=15)
    minimum_notice_minutes: Mapped[int] = mapped_column(default=120)
    horizon_days: Mapped[int] = mapped_column(default=90)
    course_horizon_days: Mapped[int] = mapped_column(default=200)
    late_cancellation_hours: Mapped[int] = mapped_column(default=24)
    waitlist_hold_minutes: Mapped[int] = mapped_column(default=15)
    # The reminder plan (DOMAIN.md section 7), editable by staff.
    reminder_hours_before: Mapped[int] = mapped_column(default=48, server_default="48")
    short_reminder_hours_before: Mapped[int] = mapped_column(default=2, server_default="2")
    aftercare_hour: Mapped[int] = mapped_column(default=10, server_default="10")
    maintenance_notice_days: Mapped[int] = mapped_column(default=7, server_default="7")
    # A patient's link stays valid this long after their last visit.
    link_grace_days: Mapped[int] = mapped_column(default=90, server_default="90")
    # Which channel each kind of visit message goes by: {"confirmation": "both", ...}
    # ("sms", "email" or "both"); a kind not named keeps the default (docs/messaging.md).
    message_channels: Mapped[dict[str, str]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )


# The stored rules that make up the booking policy: read by name by ``snapshot.policy_of``
# (from a rules row, or from the calendar statement's JSON object of these columns).
POLICY_COLUMNS = (
    "grid_minutes",
    "minimum_notice_minutes",
    "horizon_days",
    "course_horizon_days",
    "late_cancellation_hours",
    "waitlist_hold_minutes",
)

NO_RULES = "clinic_rules_absent"  # a session's note that the clinic keeps the default rules


def clinic_rules(session: Session) -> ClinicRules | None:
    """The clinic's rules row (the one row, id 1), or None while it keeps the defaults. A row
    once loaded stays in the session's identity map; a missing one is noted in the session, so
    that the many readers of one request (booking policy, reminder plan, channels) ask once."""
    if session.info.get(NO_RULES):
        return None
    rules = session.get(ClinicRules, 1)
    if rules is None:
        session.info[NO_RULES] = True
    return rules


def service_and_rules(
    session: Session, service_id: int
) -> tuple[Service | None, ClinicRules | None]:
    """A service (or None) and the clinic's rules row as ``clinic_rules`` gives it, in one
    query: a booking needs both before anything else."""
    if session.info.get(NO_RULES) or session.identity_map.get(session.identity_key(ClinicRules, 1)):
        return session.get(Service, service_id), clinic_rules(session)
    row = session.execute(
        select(Service, ClinicRules)
        .outerjoin(ClinicRules, ClinicRules.id == 1)
        .where(Service.id == service_id)
    ).first()
    if row is None:
        return None, clinic_rules(session)
    service, rules = row
    if rules is None:
        session.info[NO_RULES] = True
    return service, rules


def keep_rules(session: Session, rules: ClinicRules) -> None:
    """Add a newly made rules row to the session, so its readers see it from now on."""
    session.add(rules)
    session.info.pop(NO_RULES, None)


class ClinicDetails(Base):
    """What patients are told before they book: where the clinic is and its cancellation
    policy in the clinic's own words (one row; the name and phone come from configuration)."""

    __tablename__ = "clinic_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    map_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    cancellation_policy: Mapped[str] = mapped_column(String(1000), default="", server_default="")
