"""What the console says after a staff booking: what was booked, and only the texts planned."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.messaging.sending import reason_not_to_send
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Practitioner,
)
from web.context import settings
from web.dates import clock_time, long_day, visit_when
from web.staff.booking_form import int_value, read_start

TEXT_PLANNED = "The patient will be texted a confirmation."
NO_TEXT = "No confirmation text will be sent: please give the patient the time now."
REVIEW = "It waits for a practitioner's review because of the screen's answers (pending review)."
GIVEN_UP = (MessageStatus.FAILED, MessageStatus.CANCELLED, MessageStatus.SKIPPED)


def booked_words(session: Session, visit: Appointment, *, held: int = 0) -> str:
    """What was booked, for whom, when (in the clinic's locale) and with whom; the course's
    held visits; whether a confirmation text is planned (and would be sent now); and whether
    the visit waits for review."""
    cfg = settings()
    when = visit_when(visit.starts_at, visit.ends_at, cfg.zone, cfg.clinic_locale)
    patient = visit.patient
    words = [
        f"Booked {patient.first_name} {patient.last_name}: {visit.service.name}, {when} "
        f"with {visit.practitioner.name}."
    ]
    if held:
        words.append(f"{held} later visit{'' if held == 1 else 's'} of the course held (proposed).")
    words.append(TEXT_PLANNED if confirmation_planned(session, visit) else NO_TEXT)
    if visit.status == AppointmentStatus.PENDING_REVIEW:
        words.append(REVIEW)
    return " ".join(words)


def confirmation_planned(session: Session, visit: Appointment) -> bool:
    """Whether the visit's confirmation text is planned and nothing would stop it now (no
    consent to texts, a STOP, a number the clinic does not text)."""
    confirmation = session.scalar(
        select(OutboundMessage).where(
            OutboundMessage.appointment_id == visit.id,
            OutboundMessage.kind == MessageKind.CONFIRMATION,
            OutboundMessage.channel == Channel.SMS,
            OutboundMessage.status.not_in(GIVEN_UP),
        )
    )
    if confirmation is None:
        return False
    status, _ = reason_not_to_send(session, confirmation, settings().sms_regions)
    return status == MessageStatus.SENDING


def slot_words(session: Session, values: Mapping[str, str]) -> str:
    """The slot the booking started from, "Tuesday, 3 March 2026 at 10:00 with Dr Mei Lin",
    or "" when none was chosen (or it is no time)."""
    cfg = settings()
    start = read_start(values.get("start"), cfg.zone)
    if start is None:
        return ""
    local, locale = start.astimezone(cfg.zone), cfg.clinic_locale
    words = f"{long_day(local.date(), locale)} at {clock_time(local.time(), locale)}"
    practitioner = session.get(Practitioner, int_value(values.get("practitioner_id")) or 0)
    return f"{words} with {practitioner.name}" if practitioner is not None else words
