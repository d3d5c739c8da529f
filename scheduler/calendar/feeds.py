"""Practitioners' private calendar feeds: tokens kept only as hashes, revocable, and the
upcoming visits a feed carries (first name and last initial, never clinical details)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from scheduler.calendar.ics import IcsEvent, calendar_text
from scheduler.errors import NotFound
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    CalendarFeed,
    Practitioner,
)
from scheduler.patients.links import hash_token

TOKEN_BYTES = 24  # 192 bits: 32 URL-safe characters
TOKEN_MAX = 64
FEED_STATUSES = {
    AppointmentStatus.BOOKED: "CONFIRMED",
    AppointmentStatus.CONFIRMED: "CONFIRMED",
    AppointmentStatus.ARRIVED: "CONFIRMED",
    AppointmentStatus.PENDING_REVIEW: "TENTATIVE",
    AppointmentStatus.PROPOSED: "TENTATIVE",
}


@dataclass(frozen=True)
class FeedState:
    """A practitioner and whether they have a live feed (and since when)."""

    practitioner_id: int
    practitioner_name: str
    active_since: datetime | None


def create_feed(session: Session, practitioner_id: int, now: datetime) -> str:
    """A new feed token for the practitioner; any earlier feed of theirs stops working.
    Only the hash is stored, so the token can be shown this once.

    :raise NotFound: if there is no such practitioner.
    """
    if session.get(Practitioner, practitioner_id) is None:
        raise NotFound(f"practitioner {practitioner_id} does not exist")
    revoke_feeds(session, practitioner_id, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        CalendarFeed(practitioner_id=practitioner_id, token_hash=hash_token(token), created_at=now)
    )
    session.flush()
    return token


def revoke_feeds(session: Session, practitioner_id: int, now: datetime) -> int:
    """Stop every live feed of the practitioner; returns how many were live."""
    result = session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.practitioner_id == practitioner_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def feed_states(session: Session, practitioner_ids: list[int] | None = None) -> list[FeedState]:
    """Each practitioner (or those named) with the start of their live feed, if any."""
    query = select(Practitioner).order_by(Practitioner.name)
    if practitioner_ids is not None:
        query = query.where(Practitioner.id.in_(practitioner_ids))
    practitioners = list(session.scalars(query))
    live: dict[int, datetime] = {
        pid: since
        for pid, since in session.execute(
            select(CalendarFeed.practitioner_id, CalendarFeed.created_at).where(
                CalendarFeed.revoked_at.is_(None)
            )
        )
    }
    return [FeedState(p.id, p.name, live.get(p.id)) for p in practitioners]


def practitioner_for_token(session: Session, token: str) -> Practitioner | None:
    """The practitioner whose live feed this token opens; None if unknown or revoked."""
    if not token or len(token) > TOKEN_MAX:
        return None
    feed = session.scalars(
        select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(token))
    ).first()
    if feed is None or feed.revoked_at is not None:
        return None
    return session.get(Practitioner, feed.practitioner_id)


def short_name(first_name: str, last_name: str) -> str:
    """``Ana S.``: the first name and the last name's initial."""
    initial = last_name.strip()[:1]
    return f"{first_name.strip()} {initial}." if initial else first_name.strip()


def feed_events(
    session: Session, practitioner_id: int, now: datetime, *, domain: str
) -> list[IcsEvent]:
    """The practitioner's visits that have not ended yet, in time order. The UID is the
    appointment's own, so a calendar keeps one entry per visit across refreshes."""
    return [_event(visit, domain) for visit in _visits_ahead(session, practitioner_id, now)]


def _visits_ahead(session: Session, practitioner_id: int, now: datetime) -> list[Appointment]:
    """The practitioner's feed visits not ended at ``now``, with patient, service and room."""
    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.practitioner_id == practitioner_id,
                Appointment.ends_at > now,
                Appointment.status.in_(list(FEED_STATUSES)),
            )
            .options(
                selectinload(Appointment.patient),
                selectinload(Appointment.service),
                selectinload(Appointment.room),
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def _event(visit: Appointment, domain: str) -> IcsEvent:
    """One visit as a calendar entry: the patient's short name and the service, no more."""
    return IcsEvent(
        uid=f"appointment-{visit.id}@{domain}",
        starts_at=visit.starts_at,
        ends_at=visit.ends_at,
        summary=f"{short_name(visit.patient.first_name, visit.patient.last_name)}: "
        f"{visit.service.name}",
        location=visit.room.name if visit.room else "",
        status=FEED_STATUSES[visit.status],
        last_modified=visit.updated_at,
    )


def feed_document(
    session: Session, token: str, now: datetime, *, clinic_name: str, base_url: str
) -> str:
    """The iCalendar text a feed token opens.

    :raise NotFound: if the token is unknown or revoked.
    """
    practitioner = practitioner_for_token(session, token)
    if practitioner is None:
        raise NotFound("no such feed")
    domain = urlsplit(base_url).hostname or "clinic.invalid"
    events = feed_events(session, practitioner.id, now, domain=domain)
    return calendar_text(
        events, name=f"{clinic_name}: {practitioner.name}", product=clinic_name, now=now
    )
