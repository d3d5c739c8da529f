"""Booking a single visit: validate, check the slot, write patient, visit, link and messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from scheduler.calendar.availability import (
    BookingPolicy,
    CalendarSnapshot,
    WeeklyHours,
    day_starts,
    free_starts,
    from_minutes,
    to_minutes,
)
from scheduler.calendar.snapshot import load_policy, load_snapshot, policy_from
from scheduler.config import Settings
from scheduler.errors import ConcurrentConflict, SlotUnavailable
from scheduler.field_errors import FieldErrors
from scheduler.messaging.outbox import plan_visit_messages
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Consent,
    ConsentKind,
    MessageStatus,
    OutboundMessage,
    Patient,
    Practitioner,
    Service,
)
from scheduler.models.clinic import service_and_rules
from scheduler.patients.consent_wording import WORDING
from scheduler.patients.email_address import check_email, optional_email
from scheduler.patients.links import issue_link_token
from scheduler.patients.verification import proven_owner, redeem_proof
from scheduler.phones import InvalidPhone, to_e164

NAME_MAX = 100
# How the database names the one-proven-owner index in its error (PostgreSQL, SQLite).
PROVEN_PHONE_INDEX = ("uq_patients_proven_phone", "patients.phone_e164")


@dataclass(frozen=True)
class PatientDetails:
    first_name: str
    last_name: str
    phone: str
    time_zone: str | None = None
    # Optional: an address for confirmations by email (scheduler/patients/email_address.py).
    email: str | None = None


@dataclass(frozen=True)
class BookingRequest:
    service_id: int
    practitioner_id: int
    starts_at: datetime
    patient: PatientDetails
    consent_reminders: bool | None
    consent_diary_prompts: bool | None
    channel: str = "web"
    # The answer to email confirmations and reminders; read only when an email is given
    # (no answer is a no).
    consent_email: bool | None = None
    # The safety screen asked for a practitioner's review first (DOMAIN.md section 4).
    pending_review: bool = False
    # The proof a texted code gave for the phone (scheduler/patients/verification.py).
    phone_proof: str = ""
    # Staff entered the number on the patient's behalf: it counts as proven.
    phone_proven: bool = False

    @property
    def first_status(self) -> AppointmentStatus:
        return AppointmentStatus.PENDING_REVIEW if self.pending_review else AppointmentStatus.BOOKED


@dataclass(frozen=True)
class BookingResult:
    appointment: Appointment
    patient: Patient
    manage_token: str
    messages: list[OutboundMessage]


def _check_patient(details: PatientDetails, settings: Settings, errors: FieldErrors) -> str:
    for field in ("first_name", "last_name"):
        value = getattr(details, field).strip()
        if not value:
            errors.add(field, "Enter a name.")
        elif len(value) > NAME_MAX:
            errors.add(field, f"Use at most {NAME_MAX} characters.")
        elif any(ord(ch) < 32 for ch in value):
            errors.add(field, "Use letters, spaces and punctuation only.")
    if details.time_zone:
        try:
            ZoneInfo(details.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.add("time_zone", "Choose a time zone from the list.")
    check_email(details.email, errors)
    try:
        return to_e164(details.phone, settings.default_phone_region, settings.sms_regions)
    except InvalidPhone as exc:
        errors.add("phone", str(exc))
        return ""


def _check_patient_answers(request: BookingRequest, settings: Settings, errors: FieldErrors) -> str:
    phone = _check_patient(request.patient, settings, errors)
    for field, answer in (
        ("consent_reminders", request.consent_reminders),
        ("consent_diary_prompts", request.consent_diary_prompts),
    ):
        if answer is None:
            errors.add(field, "Answer yes or no.")
    return phone


def patient_answer_errors(request: BookingRequest, settings: Settings) -> dict[str, list[str]]:
    """The errors in the patient's own answers (name, phone, consents), for a form to show."""
    errors = FieldErrors()
    _check_patient_answers(request, settings, errors)
    return errors.fields


@dataclass(frozen=True)
class _StartRules:
    """What a start is checked against: the clinic's zone, the booking policy, now, and how
    far ahead online bookings open."""

    zone: ZoneInfo
    policy: BookingPolicy
    now: datetime
    horizon: timedelta


def _notice_error(start: datetime, rules: _StartRules) -> str | None:
    """Why ``start`` is not open to online booking from now: past, too soon or too far."""
    if start <= rules.now:
        return "That time has passed."
    notice = rules.policy.minimum_notice
    if start < rules.now + notice:
        hours = int(notice.total_seconds() // 3600)
        return f"Online bookings need {hours} hours' notice; please call us."
    if start > rules.now + rules.horizon:
        return f"Online bookings open {rules.horizon.days} days ahead."
    return None


def _hours_error(
    start: datetime, service: Service, practitioner: Practitioner, rules: _StartRules
) -> tuple[str, str] | None:
    """The field and message when the practitioner is not licensed that day, or ``start`` is
    not on their grid of bookable times."""
    local_day = start.astimezone(rules.zone).date()
    if not practitioner.licensed_on(local_day):
        return "practitioner_id", "This practitioner cannot be booked on that date."
    starts = day_starts(
        local_day,
        _weekly_hours(practitioner),
        rules.zone,
        service.duration_min,
        rules.policy.grid_minutes,
    )
    if to_minutes(start) not in starts:
        return "start", "That is not one of the practitioner's bookable times."
    return None


def _check_time(
    start: datetime,
    service: Service,
    practitioner: Practitioner,
    rules: _StartRules,
    errors: FieldErrors,
) -> None:
    """A message on the field at fault when the visit cannot start at ``start``."""
    if (problem := _notice_error(start, rules)) is not None:
        errors.add("start", problem)
    elif (wrong := _hours_error(start, service, practitioner, rules)) is not None:
        errors.add(*wrong)


def start_errors(
    start: datetime,
    service: Service,
    practitioner: Practitioner,
    *,
    settings: Settings,
    policy: BookingPolicy,
    now: datetime,
    horizon: timedelta | None = None,
) -> dict[str, list[str]]:
    """Why a visit cannot start then (past, too soon, too far, outside hours, licence)."""
    errors = FieldErrors()
    rules = _StartRules(settings.zone, policy, now, horizon or policy.horizon)
    _check_time(start, service, practitioner, rules, errors)
    return errors.fields


def _weekly_hours(practitioner: Practitioner) -> tuple[WeeklyHours, ...]:
    return tuple(WeeklyHours(h.weekday, h.starts, h.ends) for h in practitioner.hours)


def check_time(
    snapshot: CalendarSnapshot, practitioner_id: int, service: Service, start: datetime
) -> int | None:
    """The room a visit at ``start`` would use (None if it needs none), without holding it.

    :raise SlotUnavailable: if the clinic is closed, or the practitioner or every room is taken.
    """
    begin = to_minutes(start)
    held = service.duration_min + service.buffer_min
    if not free_starts([begin], snapshot.closures, held):
        raise SlotUnavailable("the clinic is closed at that time")
    if not free_starts([begin], snapshot.busy_of(practitioner_id), held):
        raise SlotUnavailable("the practitioner is already booked at that time")
    room_id = snapshot.free_room(begin, begin + held) if service.needs_room else None
    if service.needs_room and room_id is None:
        raise SlotUnavailable("no treatment room is free at that time")
    return room_id


def claim_time(
    snapshot: CalendarSnapshot, practitioner_id: int, service: Service, start: datetime
) -> int | None:
    """Like ``check_time``, and hold the time in the snapshot; returns the room id.

    :raise SlotUnavailable: if the practitioner, or every room, is taken.
    """
    room_id = check_time(snapshot, practitioner_id, service, start)
    begin = to_minutes(start)
    snapshot.hold(
        practitioner_id, room_id, begin, begin + service.duration_min + service.buffer_min
    )
    return room_id


def validate_booking(
    session: Session,
    request: BookingRequest,
    *,
    settings: Settings,
    now: datetime,
    policy: BookingPolicy,
    horizon: timedelta | None = None,
    with_patient: bool = True,
    service: Service | None = None,
) -> tuple[str, Service, Practitioner]:
    """Check every field of a booking; returns (E.164 phone, service, practitioner).

    ``with_patient=False`` checks only the what, who and when (to preview a plan); the phone
    returned is then empty. ``service``, when the caller has loaded the request's service
    already, is checked rather than looked up.

    :raise ValidationFailed: with every field that is wrong.
    """
    errors = FieldErrors()
    phone = _check_patient_answers(request, settings, errors) if with_patient else ""
    rules = _StartRules(settings.zone, policy, now, horizon or policy.horizon)
    service, practitioner = _check_visit(session, request, rules, errors, service)
    errors.raise_if_any()
    assert service is not None and practitioner is not None
    return phone, service, practitioner


def _check_visit(
    session: Session,
    request: BookingRequest,
    rules: _StartRules,
    errors: FieldErrors,
    loaded: Service | None = None,
) -> tuple[Service | None, Practitioner | None]:
    """The booking's service (``loaded``, if the caller has it) and practitioner, with a
    message for each one that cannot be booked, and for a start they cannot be booked at."""
    service = loaded if loaded is not None else session.get(Service, request.service_id)
    if service is None or not service.active:
        errors.add("service_id", "Choose one of the clinic's services.")
    # With the services and hours the checks and the snapshot read: one statement, not three.
    practitioner = session.get(
        Practitioner,
        request.practitioner_id,
        options=[joinedload(Practitioner.services), joinedload(Practitioner.hours)],
    )
    if practitioner is None or not practitioner.active:
        errors.add("practitioner_id", "Choose one of the clinic's practitioners.")
    elif service is not None and not practitioner.offers(service):
        errors.add("practitioner_id", "This practitioner does not offer that service.")
    if service is not None and practitioner is not None and "practitioner_id" not in errors:
        _check_time(request.starts_at, service, practitioner, rules, errors)
    return service, practitioner


def create_patient(
    session: Session, request: BookingRequest, phone: str, settings: Settings, now: datetime
) -> Patient:
    """A new patient record with its consent answers (the email one when an email is given),
    their exact wording and channel."""
    details = request.patient
    patient = Patient(
        first_name=details.first_name.strip(),
        last_name=details.last_name.strip(),
        phone_e164=phone,
        email=_usable_email(details),
        time_zone=details.time_zone or settings.clinic_timezone,
        created_at=now,
    )
    session.add(patient)
    patient.consents.extend(_consents(request, now))
    return patient


def booking_patient(
    session: Session, request: BookingRequest, phone: str, settings: Settings, now: datetime
) -> Patient:
    """The patient a booking is for. A booking that proves its number (a proof from a texted
    code, or staff entering it) joins the record of the patient who proved the number before,
    with this booking's consent answers (and its email, when one is given, in place of theirs),
    or makes a new record that owns the number; any other booking makes a new record.

    :raise ValidationFailed: on ``phone_proof`` if the proof is not valid for this number.
    """
    if request.phone_proof:
        redeem_proof(session, request.phone_proof, phone, now)
    elif not request.phone_proven:
        return create_patient(session, request, phone, settings, now)
    owner = proven_owner(session, phone)
    if owner is not None:
        owner.consents.extend(_consents(request, now))
        new_email = _usable_email(request.patient)
        if new_email is not None and new_email != owner.email:
            readdress_unsent_emails(session, owner.id, new_email, now)
            owner.email = new_email
        return owner
    patient = create_patient(session, request, phone, settings, now)
    patient.phone_verified_at = now
    return patient


def readdress_unsent_emails(session: Session, patient_id: int, email: str, now: datetime) -> int:
    """Send the patient's emails not yet handed over to their new address (else each would be
    skipped as "email address changed"); returns how many."""
    result = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.patient_id == patient_id,
            OutboundMessage.channel == Channel.EMAIL,
            OutboundMessage.status.in_((MessageStatus.PENDING, MessageStatus.QUEUED)),
        )
        .values(to_email=email, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _usable_email(details: PatientDetails) -> str | None:
    """The address as kept, or None when none was given (or one the checks refused)."""
    try:
        return optional_email(details.email)
    except ValueError:
        return None


def _consents(request: BookingRequest, now: datetime) -> list[Consent]:
    """The request's consent answers, each with the words it answered: the two about texts,
    and the one about email when an email is given (no email, no email answer)."""
    answers = [
        (ConsentKind.REMINDERS, request.consent_reminders),
        (ConsentKind.DIARY_PROMPTS, request.consent_diary_prompts),
    ]
    if _usable_email(request.patient) is not None:
        answers.append((ConsentKind.EMAIL, request.consent_email))
    return [
        Consent(
            kind=kind,
            granted=bool(granted),
            wording=WORDING[kind],
            channel=request.channel,
            recorded_at=now,
        )
        for kind, granted in answers
    ]


def flush_or_conflict(session: Session) -> None:
    """Flush; a concurrent booking that won the race (exclusion constraint, or the one
    proven owner of a number) is reported.

    :raise ConcurrentConflict: if PostgreSQL's overlap constraints refuse the new visits, or
        another booking has just made a new record the owner of the same proven number
        (``Database.retrying`` tries again on a fresh view; the caller's 409 otherwise).
    """
    try:
        session.flush()
    except IntegrityError as exc:
        if "overlap" in str(exc.orig):
            raise ConcurrentConflict("the time was taken a moment ago") from exc
        if any(name in str(exc.orig) for name in PROVEN_PHONE_INDEX):
            # Two bookings proved one new number at once: the next try joins the owner.
            raise ConcurrentConflict("the number was proven a moment ago") from exc
        raise


def book_visit(
    session: Session,
    request: BookingRequest,
    *,
    settings: Settings,
    now: datetime,
    policy: BookingPolicy | None = None,
) -> BookingResult:
    """Book one visit and plan its messages, in the caller's transaction: for a new patient
    record, or for the proven owner of the number when the request proves it
    (``booking_patient``).

    :raise ValidationFailed: with every field that is wrong, or a proof not valid for the
        number; nothing is written.
    :raise SlotUnavailable: if the practitioner or every room is taken at that time.
    """
    loaded: Service | None = None
    if policy is None:
        # The service comes with the rules (one query), and the checks take it from here.
        loaded, rules = service_and_rules(session, request.service_id)
        policy = policy_from(rules)
    phone, service, practitioner = validate_booking(
        session, request, settings=settings, now=now, policy=policy, service=loaded
    )
    slot = _claim_slot(session, request.starts_at, service, practitioner, settings.zone)
    patient = booking_patient(session, request, phone, settings, now)
    return _book_slot(session, slot, patient, request, settings=settings, now=now)


def book_visit_on_record(
    session: Session,
    patient: Patient,
    request: BookingRequest,
    *,
    settings: Settings,
    now: datetime,
) -> BookingResult:
    """Book one visit for a patient already on record, as ``book_visit`` books one: their
    details and consents stay as kept (the request's patient fields are not read).

    :raise ValidationFailed: with every field of the visit that is wrong; nothing is written.
    :raise SlotUnavailable: if the practitioner or every room is taken at that time.
    """
    _, service, practitioner = validate_booking(
        session,
        request,
        settings=settings,
        now=now,
        policy=load_policy(session),
        with_patient=False,
    )
    slot = _claim_slot(session, request.starts_at, service, practitioner, settings.zone)
    return _book_slot(session, slot, patient, request, settings=settings, now=now)


def _book_slot(
    session: Session,
    slot: _Slot,
    patient: Patient,
    request: BookingRequest,
    *,
    settings: Settings,
    now: datetime,
) -> BookingResult:
    """The visit in the claimed slot, a personal link for its texts, and the texts planned."""
    appointment = _add_visit(session, slot, patient, request, now)
    token = issue_link_token(session, patient, now)
    flush_or_conflict(session)
    url = settings.manage_url(token)
    messages = plan_visit_messages(
        session, appointment, manage_url=url, settings=settings, now=now, new_visit=True
    )
    return BookingResult(appointment, patient, token, messages)


def check_booking(
    session: Session,
    request: BookingRequest,
    *,
    settings: Settings,
    now: datetime,
    policy: BookingPolicy | None = None,
) -> None:
    """Check a visit could be booked now as ``book_visit`` would book it, writing nothing:
    every field, and the time still free (before a code is texted to prove the phone).

    :raise ValidationFailed: with every field that is wrong.
    :raise SlotUnavailable: if the practitioner or every room is taken at that time.
    """
    policy = policy or load_policy(session)
    _, service, practitioner = validate_booking(
        session, request, settings=settings, now=now, policy=policy
    )
    _claim_slot(session, request.starts_at, service, practitioner, settings.zone)


@dataclass(frozen=True)
class _Slot:
    """A time claimed for a visit: with whom, for what, in which room (if any), from when."""

    practitioner: Practitioner
    service: Service
    room_id: int | None
    start: datetime


def _claim_slot(
    session: Session, start: datetime, service: Service, practitioner: Practitioner, zone: ZoneInfo
) -> _Slot:
    """Claim ``start`` against the calendar around it (a day either side).

    :raise SlotUnavailable: if the practitioner or every room is taken at that time.
    """
    end = start + timedelta(minutes=service.duration_min)
    window = (start - timedelta(days=1), end + timedelta(days=1))
    snapshot = load_snapshot(session, *window, zone, known=[practitioner])
    room_id = claim_time(snapshot, practitioner.id, service, start)
    return _Slot(practitioner, service, room_id, start)


def _add_visit(
    session: Session, slot: _Slot, patient: Patient, request: BookingRequest, now: datetime
) -> Appointment:
    """The patient's visit in the claimed slot, in the status and channel of the request."""
    service = slot.service
    held = service.duration_min + service.buffer_min
    appointment = Appointment(
        patient=patient,
        practitioner=slot.practitioner,
        service=service,
        room_id=slot.room_id,
        starts_at=slot.start,
        ends_at=slot.start + timedelta(minutes=service.duration_min),
        blocked_until=from_minutes(to_minutes(slot.start) + held),
        status=request.first_status,
        booked_via=request.channel,
        created_at=now,
        updated_at=now,
    )
    session.add(appointment)
    return appointment
