"""Booking a treatment course: the consultation booked, every later visit planned and held."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.calendar.availability import (
    BookingPolicy,
    CalendarSnapshot,
    from_minutes,
    to_minutes,
)
from scheduler.calendar.snapshot import load_policy, load_snapshot
from scheduler.config import Settings
from scheduler.courses.maintenance import maintenance_interval_weeks
from scheduler.courses.planning import (
    PhaseSpec,
    PlannedVisit,
    Preferences,
    ServiceSpec,
    plan_course,
)
from scheduler.errors import ValidationFailed
from scheduler.follow_ups import FollowUp, fill_unplaced_visits
from scheduler.messaging.outbox import plan_visit_messages
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Cadence,
    Course,
    CourseStatus,
    CourseTemplate,
    OutboundMessage,
    Patient,
    Service,
    TemplatePhase,
)
from scheduler.patients.links import issue_link_token
from scheduler.visits.booking import (
    BookingRequest,
    booking_patient,
    check_time,
    flush_or_conflict,
    validate_booking,
)

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HELD_FOR_PATIENT = (
    "You already have many visits held for you. Please call the clinic to book another course."
)
HELD_FOR_ADDRESS = (
    "We are holding many visits for courses asked for from here today. "
    "Please call the clinic to book this course."
)


@dataclass(frozen=True)
class CourseRequest:
    template_id: int
    booking: BookingRequest  # the consultation: practitioner, start, patient, consents
    weekdays: tuple[int, ...] | None = None
    preferred_time: time | None = None
    # A new course for a patient who already has a record (from their personal link): their
    # details and consents are kept as they are, and their own link goes in the texts.
    patient_id: int | None = None
    link_token: str = ""
    # A keyed hash of the address that asked online (the web layer's), for the cap on the
    # visits one address may hold; None when staff book.
    requested_from: str | None = None


@dataclass(frozen=True)
class CourseBooking:
    course: Course
    patient: Patient
    appointments: list[Appointment]
    plan: list[PlannedVisit]
    manage_token: str
    messages: list[OutboundMessage]
    # For the workers after commit: another try at placing the visits the plan could not.
    follow_ups: tuple[FollowUp, ...] = ()


def service_spec(service: Service) -> ServiceSpec:
    return ServiceSpec(
        service.id, service.name, service.duration_min, service.buffer_min, service.needs_room
    )


def phase_spec(phase: TemplatePhase) -> PhaseSpec:
    return PhaseSpec(
        position=phase.position,
        name=phase.name,
        service=service_spec(phase.service),
        cadence=phase.cadence.value,
        per_week=phase.visits_per_week,
        weeks=phase.weeks,
        min_gap_days=phase.min_gap_days,
        then_service=service_spec(phase.then_service) if phase.then_service else None,
    )


def default_weekdays(first: int) -> tuple[int, ...]:
    """The consultation's weekday and the weekday farthest from it (Monday -> Thursday)."""
    others = [d for d in range(5) if d != first]
    partner = max(others, key=lambda d: min((d - first) % 7, (first - d) % 7))
    return tuple(sorted({first, partner}))


def _template(session: Session, template_id: int) -> CourseTemplate:
    template = session.get(CourseTemplate, template_id)
    if template is None or not template.active or not template.phases:
        raise ValidationFailed({"template_id": ["Choose one of the clinic's courses."]})
    if template.phases[0].cadence != Cadence.ONCE:
        raise ValidationFailed({"template_id": ["This course has no first visit to book."]})
    return template


def _preferences(request: CourseRequest, settings: Settings) -> Preferences:
    errors: dict[str, list[str]] = {}
    weekdays = request.weekdays
    if weekdays is not None and (not weekdays or any(d not in range(7) for d in weekdays)):
        errors["weekdays"] = ["Choose at least one weekday (0 is Monday, 6 is Sunday)."]
    if errors:
        raise ValidationFailed(errors)
    local_start = request.booking.starts_at.astimezone(settings.zone)
    return Preferences(
        weekdays=tuple(sorted(set(weekdays)))
        if weekdays
        else default_weekdays(local_start.weekday()),
        at=request.preferred_time or local_start.time().replace(second=0, microsecond=0),
        practitioner_id=request.booking.practitioner_id,
    )


def plan_for_request(
    session: Session,
    request: CourseRequest,
    *,
    settings: Settings,
    now: datetime,
    policy: BookingPolicy | None = None,
    with_patient: bool = True,
) -> tuple[CourseTemplate, Preferences, str, list[PlannedVisit]]:
    """Validate a course request and plan it on the current calendar (nothing is written).

    ``with_patient=False`` previews the plan before the patient has given their details.

    :raise ValidationFailed: if any field is wrong.
    :raise SlotUnavailable: if the consultation's time is taken.
    """
    policy = policy or load_policy(session)
    template = _template(session, request.template_id)
    booking = _consultation_booking(request.booking, template)
    phone, service, _ = validate_booking(
        session, booking, settings=settings, now=now, policy=policy, with_patient=with_patient
    )
    prefs = _preferences(request, settings)
    snapshot = _consultation_snapshot(session, booking, service, policy, settings, now)
    return template, prefs, phone, _plan_visits(snapshot, template, booking, prefs, policy, now)


def _consultation_booking(booking: BookingRequest, template: CourseTemplate) -> BookingRequest:
    """The booking made for the template's first visit, whichever service it named."""
    service_id = template.phases[0].service_id
    if booking.service_id == service_id:
        return booking
    return BookingRequest(**{**booking.__dict__, "service_id": service_id})


def _consultation_snapshot(
    session: Session,
    booking: BookingRequest,
    service: Service,
    policy: BookingPolicy,
    settings: Settings,
    now: datetime,
) -> CalendarSnapshot:
    """The calendar from the consultation's day to the course horizon, the consultation's
    time checked free in it.

    :raise SlotUnavailable: if the consultation's time is taken.
    """
    start = booking.starts_at
    until = now + policy.course_horizon
    snapshot = load_snapshot(session, start - timedelta(days=1), until, settings.zone)
    check_time(snapshot, booking.practitioner_id, service, start)
    return snapshot


def _plan_visits(
    snapshot: CalendarSnapshot,
    template: CourseTemplate,
    booking: BookingRequest,
    prefs: Preferences,
    policy: BookingPolicy,
    now: datetime,
) -> list[PlannedVisit]:
    """Every visit of the template's phases, the consultation at the booking's time."""
    return plan_course(
        snapshot,
        [phase_spec(p) for p in template.phases],
        consultation=(to_minutes(booking.starts_at), booking.practitioner_id),
        prefs=prefs,
        grid=policy.grid_minutes,
        earliest=to_minutes(now + policy.minimum_notice),
        latest=to_minutes(now + policy.course_horizon),
        maintenance_weeks=maintenance_interval_weeks(None),
    )


def book_course(
    session: Session,
    request: CourseRequest,
    *,
    settings: Settings,
    now: datetime,
    policy: BookingPolicy | None = None,
) -> CourseBooking:
    """Book a course for a new patient record (or, when the request proves the number, for
    its proven owner: ``booking_patient``): the consultation ``booked``, every later visit
    of the active phases ``proposed`` (holding its time), and the consultation's messages.
    Follows: when some visits could not be placed, another try at placing them.

    :raise ValidationFailed: with every field that is wrong, or too many visits held; nothing
        is written.
    :raise SlotUnavailable: if the consultation's time is taken (the rest moves, never fails).
    """
    returning = _returning_patient(session, request)
    template, prefs, phone, plan = plan_for_request(
        session, request, settings=settings, now=now, policy=policy, with_patient=not returning
    )
    _check_held(session, plan, returning.phone_e164 if returning else phone, request, settings, now)
    patient = returning or booking_patient(session, request.booking, phone, settings, now)
    course, visits = _add_course(session, patient, template, prefs, plan, request, now)
    token = request.link_token if returning else issue_link_token(session, patient, now)
    flush_or_conflict(session)
    url = settings.manage_url(token)
    messages = plan_visit_messages(
        session, visits[0], manage_url=url, settings=settings, now=now, new_visit=True
    )
    follow_ups = (fill_unplaced_visits(course.id),) if course.unplaced else ()
    return CourseBooking(course, patient, visits, plan, token, messages, follow_ups)


def _check_held(
    session: Session,
    plan: list[PlannedVisit],
    phone: str,
    request: CourseRequest,
    settings: Settings,
    now: datetime,
) -> None:
    """Refuse a course that would leave too many visits held (``proposed``): more than
    ``held_visits_per_patient`` for everyone on this number, or more than
    ``held_visits_per_address`` across the courses the requesting address asked for in the
    last day. Held visits keep times from everyone else, so a flood of requests must not.

    :raise ValidationFailed: saying so, with the clinic to call; nothing is written.
    """
    held = sum(1 for visit in plan if visit.placed) - 1  # the first visit is booked, not held
    if held <= 0:
        return
    if _held_for_number(session, phone, now) + held > settings.held_visits_per_patient:
        raise ValidationFailed({"course": [HELD_FOR_PATIENT]})
    by_address = request.requested_from
    if by_address and _held_for_address(session, by_address, now) + held > (
        settings.held_visits_per_address
    ):
        raise ValidationFailed({"course": [HELD_FOR_ADDRESS]})


def _held_for_number(session: Session, phone: str, now: datetime) -> int:
    """Upcoming visits held for any patient record on ``phone``."""
    query = (
        select(func.count())
        .select_from(Appointment)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(
            Patient.phone_e164 == phone,
            Appointment.status == AppointmentStatus.PROPOSED,
            Appointment.starts_at >= now,
        )
    )
    return session.scalar(query) or 0


def _held_for_address(session: Session, requested_from: str, now: datetime) -> int:
    """Upcoming visits held by the courses ``requested_from`` asked for in the last day."""
    query = (
        select(func.count())
        .select_from(Appointment)
        .join(Course, Course.id == Appointment.course_id)
        .where(
            Course.requested_from == requested_from,
            Course.created_at >= now - timedelta(days=1),
            Appointment.status == AppointmentStatus.PROPOSED,
            Appointment.starts_at >= now,
        )
    )
    return session.scalar(query) or 0


def _returning_patient(session: Session, request: CourseRequest) -> Patient | None:
    """The patient booking from their personal link, or None for a new patient.

    :raise ValidationFailed: if there is no such patient.
    """
    if not request.patient_id:
        return None
    returning = session.get(Patient, request.patient_id)
    if returning is None:
        raise ValidationFailed({"patient_id": ["No such patient."]})
    return returning


def _add_course(
    session: Session,
    patient: Patient,
    template: CourseTemplate,
    prefs: Preferences,
    plan: list[PlannedVisit],
    request: CourseRequest,
    now: datetime,
) -> tuple[Course, list[Appointment]]:
    """The new course and its placed visits, added to the session (not yet flushed)."""
    course = _new_course(patient, template, prefs, plan, now)
    course.requested_from = request.requested_from
    appointments = _appointments(course, patient, plan, request.booking, now)
    session.add_all([course, *appointments])
    return course, appointments


def _new_course(
    patient: Patient,
    template: CourseTemplate,
    prefs: Preferences,
    plan: list[PlannedVisit],
    now: datetime,
) -> Course:
    return Course(
        patient=patient,
        template=template,
        practitioner_id=prefs.practitioner_id,
        status=CourseStatus.ACTIVE,
        preferred_weekdays=",".join(map(str, prefs.weekdays)),
        preferred_time=prefs.at,
        created_at=now,
        unplaced=[unplaced_record(v) for v in plan if not v.placed],
    )


def _appointments(
    course: Course,
    patient: Patient,
    plan: list[PlannedVisit],
    booking: BookingRequest,
    now: datetime,
) -> list[Appointment]:
    """The placed visits: the first with the booking's status, the rest proposed."""
    appointments = [
        appointment_for(visit, course, patient, booking.channel, now, first=index == 0)
        for index, visit in enumerate(v for v in plan if v.placed)
    ]
    appointments[0].status = booking.first_status
    return appointments


def unplaced_record(visit: PlannedVisit) -> dict[str, object]:
    return {
        "visit_number": visit.visit_number,
        "phase_position": visit.phase_position,
        "service_id": visit.service.id,
        "wanted_at": from_minutes(visit.wanted).isoformat() if visit.wanted else None,
        "note": visit.note,
    }


def appointment_for(
    visit: PlannedVisit, course: Course, patient: Patient, channel: str, now: datetime, first: bool
) -> Appointment:
    assert visit.start is not None and visit.practitioner_id is not None
    return Appointment(
        patient=patient,
        course=course,
        practitioner_id=visit.practitioner_id,
        service_id=visit.service.id,
        room_id=visit.room_id,
        starts_at=from_minutes(visit.start),
        ends_at=from_minutes(visit.start + visit.service.duration),
        blocked_until=from_minutes(visit.start + visit.service.held),
        status=AppointmentStatus.BOOKED if first else AppointmentStatus.PROPOSED,
        booked_via=channel,
        phase_position=visit.phase_position,
        visit_number=visit.visit_number,
        planning_note=visit.note[:300],
        created_at=now,
        updated_at=now,
    )
