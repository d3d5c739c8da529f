"""Planning the texts that do not follow a booking: offers, after-care, diary prompts, recalls."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ScalarResult, select
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.messaging.outbox import write_message
from scheduler.messaging.texts import MessageContext, render
from scheduler.messaging.timing import load_reminder_plan
from scheduler.messaging.wording import load_wording, render_for
from scheduler.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Cadence,
    ConsentKind,
    Course,
    CourseStatus,
    MessageKind,
    OutboundMessage,
    Patient,
    WaitlistOffer,
)
from scheduler.patients.links import issue_link_token

AFTERCARE_SERVICES = frozenset({"dry_needling"})
MAINTENANCE_WINDOW_OPENS = timedelta(weeks=4)
PROMPT_DAYS_AHEAD = 2


def _context(
    patient: Patient, settings: Settings, when: datetime | None = None, url: str = ""
) -> MessageContext:
    zone = ZoneInfo(patient.time_zone)
    return MessageContext(
        first_name=patient.first_name,
        local_start=(when or datetime.now(zone)).astimezone(settings.zone),
        clinic_name=settings.clinic_name,
        clinic_phone=settings.clinic_phone,
        manage_url=url,
    )


def plan_offer_message(
    session: Session, offer: WaitlistOffer, settings: Settings, now: datetime
) -> OutboundMessage | None:
    """The text offering a held time, due when the hold starts (quiet hours respected)."""
    visit = offer.appointment
    patient = visit.patient
    context = _context(patient, settings, visit.starts_at)
    context = MessageContext(
        **{**context.__dict__, "expires": offer.expires_at.astimezone(ZoneInfo(patient.time_zone))}
    )
    return write_message(
        session,
        patient,
        MessageKind.WAITLIST_OFFER,
        f"offer:{offer.id}",
        render_for(session, MessageKind.WAITLIST_OFFER, context),
        offer.offered_at,
        now,
        appointment_id=visit.id,
        planned_for=visit.starts_at,
    )


def plan_aftercare(
    session: Session, visit: Appointment, settings: Settings, now: datetime
) -> OutboundMessage | None:
    """After a completed dry needling visit: a check-in the next day at the clinic's
    after-care hour (10:00 unless its reminder plan says otherwise)."""
    if visit.status != AppointmentStatus.COMPLETED or visit.service.code not in AFTERCARE_SERVICES:
        return None
    zone = ZoneInfo(visit.patient.time_zone)
    next_day = visit.starts_at.astimezone(zone).date() + timedelta(days=1)
    due = datetime.combine(next_day, load_reminder_plan(session).aftercare_at, tzinfo=zone)
    return write_message(
        session,
        visit.patient,
        MessageKind.AFTERCARE,
        f"aftercare:{visit.id}",
        render_for(
            session, MessageKind.AFTERCARE, _context(visit.patient, settings, visit.starts_at)
        ),
        due,
        now,
    )


def _prompt_days(patient: Patient, today: date) -> list[date]:
    days = [today + timedelta(days=n) for n in range(PROMPT_DAYS_AHEAD)]
    if patient.diary_frequency == "weekly":
        return [d for d in days if d.weekday() == 6]  # Sundays
    return days


def plan_diary_prompts(session: Session, settings: Settings, now: datetime) -> int:
    """Diary prompts for today and tomorrow, for every patient in an active course who agreed
    to diary prompts; once per patient and day (consent is checked again when sending).
    Returns how many were written."""
    patients = _diary_patients(session)
    wording = load_wording(session).get(MessageKind.DIARY_PROMPT)
    written = 0
    for patient in patients:
        if patient.consents_to(ConsentKind.DIARY_PROMPTS):
            written += _plan_prompts_for(session, patient, wording, settings, now)
    return written


def _diary_patients(session: Session) -> ScalarResult[Patient]:
    """Patients in an active course who take texts and have not turned diary prompts off."""
    in_course = select(Course.patient_id).where(Course.status == CourseStatus.ACTIVE)
    # IN rather than JOIN ... DISTINCT: PostgreSQL cannot compare the JSON columns DISTINCT needs.
    return session.scalars(
        select(Patient).where(
            Patient.id.in_(in_course),
            Patient.sms_opted_out_at.is_(None),
            Patient.diary_frequency != "off",
        )
    )


def _plan_prompts_for(
    session: Session, patient: Patient, wording: str | None, settings: Settings, now: datetime
) -> int:
    """The patient's prompts for the coming days, at their prompt time and not yet past;
    returns how many were new."""
    zone = ZoneInfo(patient.time_zone)
    written = 0
    for day in _prompt_days(patient, now.astimezone(zone).date()):
        due = datetime.combine(day, patient.diary_prompt_time, tzinfo=zone)
        if due < now:
            continue
        message = write_message(
            session,
            patient,
            MessageKind.DIARY_PROMPT,
            f"diary:{patient.id}:{day.isoformat()}",
            render(MessageKind.DIARY_PROMPT, _context(patient, settings), wording),
            due,
            now,
            planned_for=datetime.combine(day, time.min, tzinfo=zone),
        )
        written += message is not None
    return written


def plan_maintenance_due(session: Session, settings: Settings, now: datetime) -> int:
    """Shortly before a course's maintenance window opens with nothing booked: a nudge to book.

    The window opens four weeks after the course's last visit so far; the nudge goes the
    reminder plan's notice days before (7 unless the clinic says otherwise). Returns how many
    were written.
    """
    notice = load_reminder_plan(session).maintenance_notice
    written = 0
    courses = session.scalars(select(Course).where(Course.status == CourseStatus.ACTIVE))
    for course in courses:
        opens = _maintenance_window_opens(session, course, now)
        if opens is not None and opens - notice <= now < opens:
            written += _nudge_to_book(session, course, opens, settings, now)
    return written


def _maintenance_window_opens(session: Session, course: Course, now: datetime) -> datetime | None:
    """Four weeks after the course's last visit so far; None without a maintenance phase,
    before its first visit, or when a visit ahead is more than proposed."""
    if not any(p.cadence == Cadence.MAINTENANCE for p in course.template.phases):
        return None
    visits = session.scalars(
        select(Appointment).where(
            Appointment.course_id == course.id, Appointment.status.in_(ACTIVE_STATUSES)
        )
    ).all()
    done = [v for v in visits if v.starts_at <= now]
    ahead = [v for v in visits if v.starts_at > now]
    if not done or any(v.status != AppointmentStatus.PROPOSED for v in ahead):
        return None
    return max(v.starts_at for v in done) + MAINTENANCE_WINDOW_OPENS


def _nudge_to_book(
    session: Session, course: Course, opens: datetime, settings: Settings, now: datetime
) -> bool:
    """The nudge for the window opening at ``opens``, once per course and window; whether it
    was written now."""
    key = f"maintenance_due:{course.id}:{opens.date().isoformat()}"
    if session.scalar(select(OutboundMessage.id).where(OutboundMessage.dedupe_key == key)):
        return False
    url = settings.manage_url(issue_link_token(session, course.patient, now))
    body = render_for(
        session, MessageKind.MAINTENANCE_DUE, _context(course.patient, settings, url=url)
    )
    kind = MessageKind.MAINTENANCE_DUE
    return write_message(session, course.patient, kind, key, body, now, now) is not None
