"""Moving a visit to another time: the same rules as booking, and its texts planned again."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from scheduler.calendar.availability import (
    BookingPolicy,
    CalendarSnapshot,
    TimeOption,
    free_times,
    from_minutes,
    is_free,
    to_minutes,
)
from scheduler.calendar.snapshot import bookable_days, day_window, load_policy, load_snapshot
from scheduler.config import Settings
from scheduler.courses.integrity import CourseRuleBroken, Problem, course_check
from scheduler.errors import DomainError, NotFound, SlotUnavailable, ValidationFailed
from scheduler.follow_ups import FollowUp, FreedTime, what_follows
from scheduler.messaging.outbox import (
    cancel_unsent_for_visit,
    plan_visit_messages,
    plan_visit_notice,
)
from scheduler.messaging.sending import reason_not_to_send
from scheduler.models import Appointment, MessageKind, MessageStatus, Patient, Practitioner
from scheduler.patients.links import issue_link_token
from scheduler.visits.booking import check_time, flush_or_conflict, start_errors
from scheduler.visits.cancellation import CANCELLABLE


class NotMovable(DomainError):
    """The visit has already happened, started, or been cancelled."""


@dataclass(frozen=True)
class Move:
    """A moved visit, the time it gave up, whether the move was late, and what follows;
    ``texted`` says whether a "moved" text is planned that will go (a page promises one only
    then); ``warnings`` are the course rules a staff move broke."""

    visit: Appointment
    freed: FreedTime
    late: bool
    follow_ups: tuple[FollowUp, ...]
    texted: bool = False
    warnings: tuple[Problem, ...] = ()


def _own_visit(
    session: Session, appointment_id: int, patient: Patient | None, now: datetime
) -> Appointment:
    visit = session.get(Appointment, appointment_id, with_for_update=True)
    if visit is None or (patient is not None and visit.patient_id != patient.id):
        raise NotFound(f"appointment {appointment_id} does not exist")
    if visit.status not in CANCELLABLE or visit.starts_at <= now:
        raise NotMovable("this visit can no longer be moved")
    return visit


def reschedule_visit(
    session: Session,
    appointment_id: int,
    new_start: datetime,
    *,
    settings: Settings,
    now: datetime,
    patient: Patient | None = None,
    practitioner_id: int | None = None,
    room_id: int | None = None,
    by_staff: bool = False,
) -> Move:
    """Move a visit (with ``patient``, only one of theirs) to ``new_start``, into ``room_id``
    when given (else the first free room). Staff (``by_staff``) are not held to the online
    booking notice or horizon. A move under the clinic's late-cancellation hours before the old
    start is recorded as late.
    Unsent texts are cancelled and the patient is told of the new time; the old time follows.
    A move that breaks the course rules (``scheduler.courses.integrity``) is refused to the
    patient; staff may make it, and the ``Move`` carries the rules it broke as warnings.

    :raise NotFound: if there is no such visit (for that patient).
    :raise NotMovable: if it is past, under way or cancelled.
    :raise ValidationFailed: if the new time is not bookable, or the room is not one of ours.
    :raise SlotUnavailable: if the new time (or the room asked for) is taken.
    :raise CourseRuleBroken: if not ``by_staff`` and the new time breaks the course rules.
    """
    policy = _policy(session, by_staff)
    visit = _own_visit(session, appointment_id, patient, now)
    practitioner = _practitioner(session, visit, practitioner_id)
    _check_start(visit, new_start, practitioner, settings=settings, policy=policy, now=now)
    warnings = _course_problems(session, visit, new_start, settings, by_staff)
    room_id = _free_room(session, visit, practitioner.id, new_start, room_id, settings)
    freed = FreedTime.of(visit)
    late = visit.starts_at - now < policy.late_cancellation
    late_hours = int(policy.late_cancellation.total_seconds() // 3600) if late else None
    _place(visit, practitioner.id, room_id, new_start, now, late_hours)
    flush_or_conflict(session)
    texted = _replan_texts(session, visit, settings, now)
    return Move(visit, freed, late, what_follows(visit, now, freed), texted, warnings)


def _course_problems(
    session: Session, visit: Appointment, new_start: datetime, settings: Settings, by_staff: bool
) -> tuple[Problem, ...]:
    """The course rules the move breaks, as staff warnings.

    :raise CourseRuleBroken: if it breaks any and the patient is moving it.
    """
    check = course_check(session, visit, settings.zone)
    problems = tuple(check.problems(new_start, "the patient's" if by_staff else "your"))
    if problems and not by_staff:
        raise CourseRuleBroken(problems)
    return problems


def move_warnings(
    session: Session, appointment_id: int, new_start: datetime, *, settings: Settings
) -> list[Problem]:
    """The course rules a staff move of the visit to ``new_start`` would break (none for an
    unknown visit: the move itself says so). Changes nothing."""
    visit = session.get(Appointment, appointment_id)
    if visit is None:
        return []
    return course_check(session, visit, settings.zone).problems(new_start, "the patient's")


def _policy(session: Session, by_staff: bool) -> BookingPolicy:
    policy = load_policy(session)
    if by_staff:  # the front desk may move a visit to later today, or into the course horizon
        return replace(policy, minimum_notice=timedelta(0), horizon=policy.course_horizon)
    return policy


def _practitioner(session: Session, visit: Appointment, wanted: int | None) -> Practitioner:
    """:raise ValidationFailed: if the practitioner is not one who gives the visit's service."""
    practitioner = session.get(Practitioner, wanted or visit.practitioner_id)
    if practitioner is None or not practitioner.active or not practitioner.offers(visit.service):
        raise ValidationFailed({"practitioner_id": ["Choose a practitioner who gives this."]})
    return practitioner


def _check_start(
    visit: Appointment,
    new_start: datetime,
    practitioner: Practitioner,
    *,
    settings: Settings,
    policy: BookingPolicy,
    now: datetime,
) -> None:
    """:raise ValidationFailed: if ``new_start`` is not a bookable time for the visit."""
    horizon = policy.course_horizon if visit.course_id else policy.horizon
    errors = start_errors(
        new_start,
        visit.service,
        practitioner,
        settings=settings,
        policy=policy,
        now=now,
        horizon=horizon,
    )
    if errors:
        raise ValidationFailed(errors)


def _without(snapshot: CalendarSnapshot, visit: Appointment) -> CalendarSnapshot:
    """The calendar with the visit's own time free, since it is the one moving."""
    snapshot.release(
        visit.practitioner_id,
        visit.room_id,
        to_minutes(visit.starts_at),
        to_minutes(visit.blocked_until),
    )
    return snapshot


def _free_room(
    session: Session,
    visit: Appointment,
    practitioner_id: int,
    new_start: datetime,
    wanted_room: int | None,
    settings: Settings,
) -> int | None:
    """The room the visit goes into at ``new_start``.

    :raise SlotUnavailable: if the time (or the room asked for) is taken.
    :raise ValidationFailed: if the room asked for is not one of ours.
    """
    window = (new_start - timedelta(days=1), new_start + timedelta(days=1))
    snapshot = _without(load_snapshot(session, *window, settings.zone), visit)
    found = check_time(snapshot, practitioner_id, visit.service, new_start)
    return _room(snapshot, wanted_room, found, visit, new_start)


def _place(
    visit: Appointment,
    practitioner_id: int,
    room_id: int | None,
    new_start: datetime,
    now: datetime,
    late_hours: int | None,
) -> None:
    """The visit at its new time; a late move (``late_hours`` is the clinic's rule) is noted."""
    held = visit.service.duration_min + visit.service.buffer_min
    visit.practitioner_id = practitioner_id
    visit.room_id = room_id
    visit.starts_at = new_start
    visit.ends_at = new_start + timedelta(minutes=visit.service.duration_min)
    visit.blocked_until = from_minutes(to_minutes(new_start) + held)
    visit.updated_at = now
    visit.revision += 1  # the calendar invite's SEQUENCE
    if late_hours is not None:
        note = f"Moved under {late_hours} hours before the visit. " + visit.planning_note
        visit.planning_note = note[:300]


def _replan_texts(session: Session, visit: Appointment, settings: Settings, now: datetime) -> bool:
    """Texts for the old time are cancelled; a booked visit's patient is told and reminded.
    Whether the "moved" text is planned and would go (consent, opt-out, a number we text)."""
    cancel_unsent_for_visit(session, visit.id, now, moving=True)
    if visit.status == "proposed":
        return False  # a held course visit is not booked yet: nothing to tell
    url = settings.manage_url(issue_link_token(session, visit.patient, now))
    notice = plan_visit_notice(session, visit, MessageKind.RESCHEDULED, url, settings, now)
    plan_visit_messages(session, visit, manage_url=url, settings=settings, now=now)
    if notice is None:
        return False
    status, _reason = reason_not_to_send(session, notice, settings.sms_regions)
    return status == MessageStatus.SENDING


def _room(
    snapshot: CalendarSnapshot,
    wanted: int | None,
    found: int | None,
    visit: Appointment,
    new_start: datetime,
) -> int | None:
    """The room asked for, if it is free for the moved visit; else the room ``check_time`` found.

    :raise ValidationFailed: if the visit needs no room or the room is not an active one.
    :raise SlotUnavailable: if the room asked for is taken then.
    """
    if wanted is None or wanted == found:
        return found
    if not visit.service.needs_room or wanted not in snapshot.room_busy:
        raise ValidationFailed({"room_id": ["Choose one of the clinic's rooms for this visit."]})
    begin = to_minutes(new_start)
    held = visit.service.duration_min + visit.service.buffer_min
    if not is_free(snapshot.room_busy[wanted], begin, begin + held):
        raise SlotUnavailable("that room is taken at that time")
    return wanted


def alternatives(
    session: Session,
    appointment_id: int,
    *,
    settings: Settings,
    now: datetime,
    first_day: date,
    last_day: date,
    patient: Patient | None = None,
) -> list[TimeOption]:
    """Free times a visit could move to that keep the course rules. On a day its own
    practitioner has such a time, only their times are offered (them first at each); another
    practitioner's only on days theirs has none.

    :raise NotFound: if there is no such visit (for that patient).
    :raise NotMovable: if it is past, under way or cancelled.
    :raise ValidationFailed: if the range is reversed or longer than 31 days.
    """
    visit = _own_visit(session, appointment_id, patient, now)
    policy = load_policy(session)
    if last_day < first_day or (last_day - first_day) > timedelta(days=31):
        raise ValidationFailed({"to": ["Ask for up to 31 days, 'to' on or after 'from'."]})
    widest = replace(policy, horizon=max(policy.horizon, policy.course_horizon))
    days = bookable_days(first_day, last_day, now, settings.zone, widest)
    if days is None:
        return []
    first_day, last_day = days
    window = day_window(first_day, last_day, settings.zone)
    snapshot = _without(load_snapshot(session, *window, settings.zone), visit)
    options = _free_times(snapshot, visit, policy, now, first_day, last_day)
    check = course_check(session, visit, settings.zone)
    kept = [
        o
        for o in options
        if o.start != to_minutes(visit.starts_at) and not check.problems(from_minutes(o.start))
    ]
    return _own_practitioner_first(kept, visit.practitioner_id, settings)


def _own_practitioner_first(
    options: list[TimeOption], own: int, settings: Settings
) -> list[TimeOption]:
    """Per local day: the own practitioner's times if they have any, else everyone's."""
    own_days = {
        from_minutes(o.start).astimezone(settings.zone).date()
        for o in options
        if own in o.practitioner_ids
    }
    return [
        o
        for o in options
        if own in o.practitioner_ids
        or from_minutes(o.start).astimezone(settings.zone).date() not in own_days
    ]


def _free_times(
    snapshot: CalendarSnapshot,
    visit: Appointment,
    policy: BookingPolicy,
    now: datetime,
    first_day: date,
    last_day: date,
) -> list[TimeOption]:
    ids = sorted(snapshot.practitioners, key=lambda pid: (pid != visit.practitioner_id, pid))
    horizon = policy.course_horizon if visit.course_id else policy.horizon
    return free_times(
        snapshot,
        service_id=visit.service_id,
        duration=visit.service.duration_min,
        buffer=visit.service.buffer_min,
        needs_room=visit.service.needs_room,
        first_day=first_day,
        last_day=last_day,
        earliest=to_minutes(now + policy.minimum_notice),
        latest=to_minutes(now + horizon),
        grid=policy.grid_minutes,
        practitioner_ids=ids,
    )
