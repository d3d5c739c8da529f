"""The console home's read side: the day's visits by status, and the work waiting on staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

import phonenumbers
from babel.dates import format_skeleton
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from scheduler.messaging.monitor import STUCK_QUEUED, STUCK_SENDING
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    MessageStatus,
    OfferStatus,
    OutboundMessage,
    Patient,
    Practitioner,
    Service,
    WaitlistOffer,
)
from scheduler.staff.permissions import Permissions

T = TypeVar("T")
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])
# How many rows each panel lists; its count says how many there are in all.
SHOWN = 5
# Failed texts older than this are history, not work.
RECENT_FAILURES = timedelta(days=7)
# Visits that are still to come, or still to be seen, on the day.
WAITING = (AppointmentStatus.PENDING_REVIEW, AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


@dataclass(frozen=True, slots=True)
class VisitLine:
    """One visit as a panel lists it."""

    id: int
    starts_at: datetime
    status: AppointmentStatus
    patient_id: int
    patient_name: str
    service_name: str
    practitioner_name: str


@dataclass(frozen=True, slots=True)
class HeldTime:
    """A freed time held for a waiting patient until ``expires_at``."""

    offer_id: int
    visit: VisitLine
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TextProblem:
    """A text that failed, or was claimed long ago and never finished sending."""

    id: int
    patient_id: int | None
    patient_name: str
    kind: str
    status: MessageStatus
    at: datetime
    error_code: str | None


@dataclass(frozen=True)
class Panel(Generic[T]):
    """The first rows of a panel and how many there are in all."""

    total: int = 0
    rows: list[T] = field(default_factory=list)


@dataclass(frozen=True)
class DayOverview:
    """What the console home shows one staff member: ``texts`` is None for those who may not
    see the messaging."""

    day: date
    by_status: dict[AppointmentStatus, int]
    next_visits: list[VisitLine]
    pending_reviews: Panel[VisitLine]
    held_times: Panel[HeldTime]
    failed_texts: Panel[TextProblem] | None
    stuck_texts: Panel[TextProblem] | None


def day_overview(session: Session, may: Permissions, now: datetime, zone: ZoneInfo) -> DayOverview:
    """Today's visits by status and the next ones, pending reviews from today on, open
    waitlist offers and (for those who may see the messaging) failed and stuck texts.

    A practitioner sees their own visits, reviews and offers; the front desk and admins the
    whole clinic's. Nothing clinical is read: no screen answers, no reasons, no diary.
    """
    practitioner_id = may.calendar_practitioner(None)
    day = now.astimezone(zone).date()
    start, end = _day_bounds(day, zone)
    texts = may.see_messages()
    return DayOverview(
        day=day,
        by_status=_by_status(session, practitioner_id, start, end),
        next_visits=_next_visits(session, practitioner_id, now, end),
        pending_reviews=_pending_reviews(session, practitioner_id, start),
        held_times=_held_times(session, practitioner_id, now),
        failed_texts=_failed_texts(session, now) if texts else None,
        stuck_texts=_stuck_texts(session, now) if texts else None,
    )


def patient_phones(session: Session, patient_ids: set[int]) -> dict[int, str]:
    """Each patient's mobile number, keyed by patient id."""
    if not patient_ids:
        return {}
    query = select(Patient.id, Patient.phone_e164).where(Patient.id.in_(patient_ids))
    return {pid: phone for pid, phone in session.execute(query)}


def readable_phone(e164: str) -> str:
    """A mobile number spaced the international way (+44 7400 123456) for reading aloud."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def long_day(day: date, locale: str) -> str:
    """A day as a heading reads it in the clinic's locale: Wednesday 4 March (en-GB)."""
    return format_skeleton("MMMMEEEEd", day, locale=locale, fuzzy=True)


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of the clinic's midnight starting ``day`` and the next."""
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end


def _mine(query: Q, practitioner_id: int | None) -> Q:
    """``query`` narrowed to one practitioner's visits, when one is given."""
    if practitioner_id is None:
        return query
    return query.where(Appointment.practitioner_id == practitioner_id)


def _by_status(
    session: Session, practitioner_id: int | None, start: datetime, end: datetime
) -> dict[AppointmentStatus, int]:
    """How many of the day's visits are in each status (only statuses with any)."""
    query = select(Appointment.status, func.count()).where(
        Appointment.starts_at >= start, Appointment.starts_at < end
    )
    query = _mine(query, practitioner_id).group_by(Appointment.status)
    counts: dict[AppointmentStatus, int] = {s: n for s, n in session.execute(query)}
    return {status: counts[status] for status in AppointmentStatus if counts.get(status)}


def _visit_lines(
    session: Session, practitioner_id: int | None, *conditions: ColumnElement[bool]
) -> Panel[VisitLine]:
    """The first visits meeting ``conditions`` by start time, and how many there are."""
    ids = _mine(select(Appointment.id).where(*conditions), practitioner_id)
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    query = (
        select(
            Appointment.id,
            Appointment.starts_at,
            Appointment.status,
            Appointment.patient_id,
            Patient.first_name + " " + Patient.last_name,
            Service.name,
            Practitioner.name,
        )
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Service, Service.id == Appointment.service_id)
        .join(Practitioner, Practitioner.id == Appointment.practitioner_id)
        .where(Appointment.id.in_(ids))
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(SHOWN)
    )
    return Panel(total, [VisitLine(*row) for row in session.execute(query)])


def _next_visits(
    session: Session, practitioner_id: int | None, now: datetime, end: datetime
) -> list[VisitLine]:
    """The day's visits still to come or still to be seen, soonest first."""
    return _visit_lines(
        session,
        practitioner_id,
        Appointment.ends_at > now,
        Appointment.starts_at < end,
        Appointment.status.in_(WAITING),
    ).rows


def _pending_reviews(
    session: Session, practitioner_id: int | None, start: datetime
) -> Panel[VisitLine]:
    """Bookings from the start of today on that wait for a practitioner's review."""
    return _visit_lines(
        session,
        practitioner_id,
        Appointment.starts_at >= start,
        Appointment.status == AppointmentStatus.PENDING_REVIEW,
    )


def _held_times(session: Session, practitioner_id: int | None, now: datetime) -> Panel[HeldTime]:
    """Open waitlist offers: times held for a patient who has not answered yet."""
    query = (
        select(WaitlistOffer.id, WaitlistOffer.appointment_id, WaitlistOffer.expires_at)
        .join(Appointment, Appointment.id == WaitlistOffer.appointment_id)
        .where(WaitlistOffer.status == OfferStatus.OPEN, WaitlistOffer.expires_at > now)
    )
    offers = {
        visit: (offer, expires)
        for offer, visit, expires in session.execute(_mine(query, practitioner_id))
    }
    if not offers:
        return Panel()
    held = _visit_lines(session, None, Appointment.id.in_(offers))
    rows = [HeldTime(offers[v.id][0], v, offers[v.id][1]) for v in held.rows]
    return Panel(len(offers), rows)


def _text_problems(
    session: Session, order: Any, *conditions: ColumnElement[bool]
) -> Panel[TextProblem]:
    """The first texts meeting ``conditions`` in ``order``, and how many there are."""
    total = session.scalar(select(func.count()).select_from(OutboundMessage).where(*conditions))
    query = (
        select(
            OutboundMessage.id,
            OutboundMessage.patient_id,
            func.coalesce(Patient.first_name + " " + Patient.last_name, ""),
            OutboundMessage.kind,
            OutboundMessage.status,
            OutboundMessage.updated_at,
            OutboundMessage.error_code,
        )
        .outerjoin(Patient, Patient.id == OutboundMessage.patient_id)
        .where(*conditions)
        .order_by(order)
        .limit(SHOWN)
    )
    return Panel(total or 0, [TextProblem(*row) for row in session.execute(query)])


def _failed_texts(session: Session, now: datetime) -> Panel[TextProblem]:
    """Texts that failed in the last week, latest first."""
    return _text_problems(
        session,
        OutboundMessage.updated_at.desc(),
        OutboundMessage.status == MessageStatus.FAILED,
        OutboundMessage.updated_at >= now - RECENT_FAILURES,
    )


def _stuck_texts(session: Session, now: datetime) -> Panel[TextProblem]:
    """Texts claimed long ago and still queued or sending (as the monitor counts them)."""
    queued = (OutboundMessage.status == MessageStatus.QUEUED) & (
        OutboundMessage.claimed_at < now - STUCK_QUEUED
    )
    sending = (OutboundMessage.status == MessageStatus.SENDING) & (
        OutboundMessage.claimed_at < now - STUCK_SENDING
    )
    return _text_problems(session, OutboundMessage.claimed_at, queued | sending)
