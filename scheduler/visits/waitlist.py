"""The waitlist: an earlier time offered to the first patient waiting, held 15 minutes for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.calendar.availability import (
    BookingPolicy,
    CalendarSnapshot,
    from_minutes,
    to_minutes,
)
from scheduler.calendar.snapshot import load_policy, load_snapshot
from scheduler.config import Settings
from scheduler.errors import DomainError, NotFound, SlotUnavailable, ValidationFailed
from scheduler.follow_ups import FollowUp, FreedTime, what_follows
from scheduler.messaging.outbox import plan_visit_messages
from scheduler.messaging.plans import plan_offer_message
from scheduler.messaging.timing import QUIET
from scheduler.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    OfferStatus,
    Patient,
    Practitioner,
    Service,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistStatus,
)
from scheduler.patients.links import issue_link_token
from scheduler.visits.booking import check_time, flush_or_conflict
from scheduler.visits.cancellation import cancel_visit

LONGEST_WINDOW = timedelta(days=90)


class OfferClosed(DomainError):
    """The offer has expired, been declined or been taken already."""


@dataclass(frozen=True)
class Accepted:
    """The visit booked from an offer, and what follows (for the visit it replaced, if any)."""

    visit: Appointment
    follow_ups: tuple[FollowUp, ...]


@dataclass(frozen=True)
class Released:
    """An offer closed unaccepted: the time its hold gave back, and what follows."""

    freed: FreedTime
    follow_ups: tuple[FollowUp, ...]


def join_waitlist(
    session: Session,
    patient: Patient,
    *,
    service_id: int,
    earliest: datetime,
    latest: datetime,
    now: datetime,
    practitioner_id: int | None = None,
    appointment_id: int | None = None,
) -> WaitlistEntry:
    """Ask for a time in [earliest, latest), optionally to replace one of the patient's visits.

    :raise ValidationFailed: if the window is reversed, past, too long, or names things that
        do not exist (or are not the patient's).
    """
    wish = _Wish(service_id, practitioner_id, appointment_id, earliest, latest)
    errors = _wish_errors(session, patient, wish, now)
    if errors:
        raise ValidationFailed(errors)
    entry = wish.entry_for(patient, now)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class _Wish:
    """What a patient joining the waitlist asks for: a service (and practitioner) in a window,
    perhaps in place of a visit they have."""

    service_id: int
    practitioner_id: int | None
    appointment_id: int | None
    earliest: datetime
    latest: datetime

    def entry_for(self, patient: Patient, now: datetime) -> WaitlistEntry:
        """The patient's entry, waiting from now at the earliest."""
        return WaitlistEntry(
            patient_id=patient.id,
            service_id=self.service_id,
            practitioner_id=self.practitioner_id,
            appointment_id=self.appointment_id,
            earliest=max(self.earliest, now),
            latest=self.latest,
            status=WaitlistStatus.WAITING,
            created_at=now,
        )


def _wish_errors(
    session: Session, patient: Patient, wish: _Wish, now: datetime
) -> dict[str, list[str]]:
    """What is wrong with the wish, by field: its window, its service, the visit it replaces."""
    return {
        **_window_errors(wish.earliest, wish.latest, now),
        **_service_errors(session, wish.service_id, wish.practitioner_id),
        **_replaced_errors(session, patient, wish.appointment_id, wish.earliest),
    }


def _window_errors(earliest: datetime, latest: datetime, now: datetime) -> dict[str, list[str]]:
    if latest <= earliest:
        return {"latest": ["Must be after 'earliest'."]}
    if latest <= now:
        return {"latest": ["That window has passed."]}
    if latest - max(earliest, now) > LONGEST_WINDOW:
        return {"latest": ["Ask for a window of at most 90 days."]}
    return {}


def _service_errors(
    session: Session, service_id: int, practitioner_id: int | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    service = session.get(Service, service_id)
    if service is None or not service.active:
        errors["service_id"] = ["Choose one of the clinic's services."]
    if practitioner_id is not None:
        practitioner = session.get(Practitioner, practitioner_id)
        if practitioner is None or service is None or not practitioner.offers(service):
            errors["practitioner_id"] = ["Choose a practitioner who gives this service."]
    return errors


def _replaced_errors(
    session: Session, patient: Patient, appointment_id: int | None, earliest: datetime
) -> dict[str, list[str]]:
    if appointment_id is None:
        return {}
    visit = session.get(Appointment, appointment_id)
    if visit is None or visit.patient_id != patient.id or visit.status not in ACTIVE_STATUSES:
        return {"appointment_id": ["That is not one of your upcoming visits."]}
    if visit.starts_at <= earliest:
        return {"appointment_id": ["The window must start before that visit."]}
    return {}


def _already_offered(session: Session, entry: WaitlistEntry, freed: FreedTime) -> bool:
    return (
        session.scalar(
            select(WaitlistOffer.id)
            .join(Appointment, WaitlistOffer.appointment_id == Appointment.id)
            .where(
                WaitlistOffer.entry_id == entry.id,
                Appointment.practitioner_id == freed.practitioner_id,
                Appointment.starts_at == freed.start,
            )
        )
        is not None
    )


def offer_freed_time(
    session: Session, freed: FreedTime, *, settings: Settings, now: datetime
) -> WaitlistOffer | None:
    """Hold a freed time for the earliest waiting patient it suits, for the hold period.

    Suits: the entry's service is given by that practitioner (or any, if the entry names
    none), the start lies in the entry's window, it is still free for that service, the hold
    can run before the booking notice closes, and the entry has not been offered this time
    before. Returns the offer, or None.
    """
    policy = load_policy(session)
    practitioner = _still_bookable(session, freed, settings, policy, now)
    if practitioner is None:
        return None
    snapshot = load_snapshot(session, *_day_either_side(freed.start), settings.zone)
    for entry in _waiting_for(session, freed):
        place = _placement(session, entry, practitioner, snapshot, freed)
        if place is None:
            continue
        offered = _offer_time(session, entry, freed, policy, now)
        if offered is None:
            continue
        hold = _held_visit(entry, place, freed, offered + policy.waitlist_hold, now)
        return _hold_and_offer(session, entry, hold, offered, settings, now)
    return None


def _day_either_side(moment: datetime) -> tuple[datetime, datetime]:
    """The calendar to load around a time: a day before it to a day after."""
    return moment - timedelta(days=1), moment + timedelta(days=1)


def _still_bookable(
    session: Session, freed: FreedTime, settings: Settings, policy: BookingPolicy, now: datetime
) -> Practitioner | None:
    """The freed time's practitioner, if the time can still be booked online with them."""
    if freed.start < now + policy.minimum_notice:
        return None
    practitioner = session.get(Practitioner, freed.practitioner_id)
    local_day = freed.start.astimezone(settings.zone).date()
    if practitioner is None or not practitioner.active or not practitioner.licensed_on(local_day):
        return None
    return practitioner


def _waiting_for(session: Session, freed: FreedTime) -> list[WaitlistEntry]:
    """Entries waiting for a window that holds the time, first come first served."""
    return list(
        session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.status == WaitlistStatus.WAITING,
                WaitlistEntry.earliest <= freed.start,
                WaitlistEntry.latest > freed.start,
            )
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        )
    )


@dataclass(frozen=True)
class _Place:
    """Where a waiting entry fits a freed time: its service, and the room free for it."""

    service: Service
    room_id: int | None


def _placement(
    session: Session,
    entry: WaitlistEntry,
    practitioner: Practitioner,
    snapshot: CalendarSnapshot,
    freed: FreedTime,
) -> _Place | None:
    """The entry's service and a free room for it at the freed time, or None if it does not
    suit: another practitioner, a service they do not give, taken, or offered before."""
    service = session.get_one(Service, entry.service_id)
    if entry.practitioner_id not in (None, practitioner.id) or not practitioner.offers(service):
        return None
    if _already_offered(session, entry, freed):
        return None
    try:
        return _Place(service, check_time(snapshot, practitioner.id, service, freed.start))
    except SlotUnavailable:
        return None


def _offer_time(
    session: Session, entry: WaitlistEntry, freed: FreedTime, policy: BookingPolicy, now: datetime
) -> datetime | None:
    """When the entry's patient can be offered the time: the hold runs from when they can be
    texted (not during their quiet hours). None if it would then outlast the booking notice."""
    patient = session.get_one(Patient, entry.patient_id)
    offered = QUIET.next_allowed(now, ZoneInfo(patient.time_zone))
    if offered + policy.waitlist_hold > freed.start - policy.minimum_notice:
        return None
    return offered


def _held_visit(
    entry: WaitlistEntry, place: _Place, freed: FreedTime, expires: datetime, now: datetime
) -> Appointment:
    """A proposed visit holding the freed time for the entry's patient until ``expires``."""
    begin = to_minutes(freed.start)
    service = place.service
    return Appointment(
        patient_id=entry.patient_id,
        practitioner_id=freed.practitioner_id,
        service_id=service.id,
        room_id=place.room_id,
        starts_at=freed.start,
        ends_at=from_minutes(begin + service.duration_min),
        blocked_until=from_minutes(begin + service.duration_min + service.buffer_min),
        status=AppointmentStatus.PROPOSED,
        booked_via="waitlist",
        hold_expires_at=expires,
        planning_note="Held for you from the waitlist.",
        created_at=now,
        updated_at=now,
    )


def _hold_and_offer(
    session: Session,
    entry: WaitlistEntry,
    hold: Appointment,
    offered: datetime,
    settings: Settings,
    now: datetime,
) -> WaitlistOffer:
    """Keep the hold and offer it to the entry's patient, with a text (``ConcurrentConflict``
    if the time was taken a moment ago)."""
    session.add(hold)
    flush_or_conflict(session)
    assert hold.hold_expires_at is not None
    offer = WaitlistOffer(
        entry_id=entry.id,
        appointment_id=hold.id,
        status=OfferStatus.OPEN,
        offered_at=offered,
        expires_at=hold.hold_expires_at,
    )
    entry.status = WaitlistStatus.OFFERED
    session.add(offer)
    session.flush()
    plan_offer_message(session, offer, settings, now)
    return offer


def _open_offer(
    session: Session, offer_id: int, patient: Patient | None, now: datetime
) -> WaitlistOffer:
    offer = session.get(WaitlistOffer, offer_id, with_for_update=True)
    if offer is None or (patient is not None and offer.entry.patient_id != patient.id):
        raise NotFound(f"offer {offer_id} does not exist")
    if offer.status != OfferStatus.OPEN or offer.expires_at <= now:
        raise OfferClosed("this offer has closed")
    return offer


def accept_offer(
    session: Session,
    offer_id: int,
    *,
    settings: Settings,
    now: datetime,
    patient: Patient | None = None,
) -> Accepted:
    """Book the held time. A visit the entry was to replace is cancelled, and what follows
    that cancellation (its time offered on) follows the acceptance.

    :raise NotFound: if there is no such offer (for that patient).
    :raise OfferClosed: if it has expired, been declined or taken.
    """
    offer = _open_offer(session, offer_id, patient, now)
    visit = _take(offer, now)
    follow_ups = _cancel_replaced(session, offer.entry.appointment_id, now, settings)
    url = settings.manage_url(issue_link_token(session, visit.patient, now))
    plan_visit_messages(session, visit, manage_url=url, settings=settings, now=now)
    session.flush()
    return Accepted(visit, follow_ups)


def _take(offer: WaitlistOffer, now: datetime) -> Appointment:
    """The held visit booked, the offer accepted and the patient's wish fulfilled."""
    visit = offer.appointment
    visit.status = AppointmentStatus.BOOKED
    visit.hold_expires_at = None
    visit.planning_note = ""  # "Held for you" is no longer true once it is booked
    visit.updated_at = now
    offer.status = OfferStatus.ACCEPTED
    offer.entry.status = WaitlistStatus.FULFILLED
    return visit


def _cancel_replaced(
    session: Session, replaced_id: int | None, now: datetime, settings: Settings
) -> tuple[FollowUp, ...]:
    """Cancel the visit an accepted offer replaces, if it is still to come (its invite taken
    off the patient's calendar when one was emailed); its follow-ups."""
    old = session.get(Appointment, replaced_id) if replaced_id is not None else None
    if old is None or old.status not in ACTIVE_STATUSES or old.starts_at <= now:
        return ()
    return cancel_visit(session, old.id, now, settings=settings).follow_ups


def release_offer(
    session: Session,
    offer: WaitlistOffer,
    status: OfferStatus,
    now: datetime,
) -> Released:
    """Close an offer unaccepted: the hold is cancelled, the patient waits again."""
    offer.status = status
    offer.entry.status = WaitlistStatus.WAITING
    hold = offer.appointment
    hold.status = AppointmentStatus.CANCELLED
    hold.cancelled_at = now
    hold.updated_at = now
    session.flush()
    freed = FreedTime.of(hold)
    return Released(freed, what_follows(hold, now, freed))


def decline_offer(
    session: Session, offer_id: int, *, now: datetime, patient: Patient | None = None
) -> Released:
    """The patient does not want the time; what follows offers it to the next one waiting.

    :raise NotFound: if there is no such offer (for that patient).
    :raise OfferClosed: if it has already closed.
    """
    return release_offer(
        session, _open_offer(session, offer_id, patient, now), OfferStatus.DECLINED, now
    )


def answer_offer(
    session: Session,
    offer_id: int,
    *,
    accept: bool,
    settings: Settings,
    now: datetime,
    patient: Patient,
) -> Accepted | Released:
    """The patient's own yes or no to an offer (the page's and the API's buttons): accepting
    books the held time, declining releases it to the next one waiting.

    :raise NotFound: if there is no such offer for that patient.
    :raise OfferClosed: if it has expired, been declined or taken; nothing changes.
    """
    if accept:
        return accept_offer(session, offer_id, settings=settings, now=now, patient=patient)
    return decline_offer(session, offer_id, now=now, patient=patient)


def open_offers(session: Session, patient: Patient, now: datetime) -> list[WaitlistOffer]:
    """The patient's offers still open to answer at ``now``, soonest hold end first."""
    return list(
        session.scalars(
            select(WaitlistOffer)
            .join(WaitlistEntry, WaitlistOffer.entry_id == WaitlistEntry.id)
            .where(
                WaitlistEntry.patient_id == patient.id,
                WaitlistOffer.status == OfferStatus.OPEN,
                WaitlistOffer.expires_at > now,
            )
            .order_by(WaitlistOffer.expires_at)
        )
    )


def expire_offers(session: Session, now: datetime) -> list[Released]:
    """Close every open offer past its hold; each says what follows (its time offered on).

    Idempotent: an offer closed once is not found again.
    """
    due = session.scalars(
        select(WaitlistOffer)
        .where(WaitlistOffer.status == OfferStatus.OPEN, WaitlistOffer.expires_at <= now)
        .with_for_update(skip_locked=True)
    ).all()
    return [release_offer(session, offer, OfferStatus.EXPIRED, now) for offer in due]


@dataclass(frozen=True)
class Withdrawn:
    """A patient off the waitlist: the entry, and what follows its released offers."""

    entry: WaitlistEntry
    follow_ups: tuple[FollowUp, ...]


def withdraw(session: Session, entry_id: int, patient: Patient, now: datetime) -> Withdrawn:
    """The patient leaves the waitlist; an open offer of theirs is released, and its time
    follows to the next patient waiting.

    :raise NotFound: if the entry is not theirs.
    """
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.patient_id != patient.id:
        raise NotFound(f"waitlist entry {entry_id} does not exist")
    open_offers = session.scalars(
        select(WaitlistOffer).where(
            WaitlistOffer.entry_id == entry.id, WaitlistOffer.status == OfferStatus.OPEN
        )
    ).all()
    released = [release_offer(session, offer, OfferStatus.DECLINED, now) for offer in open_offers]
    entry.status = WaitlistStatus.WITHDRAWN
    session.flush()
    return Withdrawn(entry, tuple(f for r in released for f in r.follow_ups))


def waiting_entries(session: Session, patient: Patient) -> list[WaitlistEntry]:
    """The patient's entries still waiting for an earlier time, soonest window first."""
    return list(
        session.scalars(
            select(WaitlistEntry)
            .where(
                WaitlistEntry.patient_id == patient.id,
                WaitlistEntry.status == WaitlistStatus.WAITING,
            )
            .order_by(WaitlistEntry.latest)
        )
    )
