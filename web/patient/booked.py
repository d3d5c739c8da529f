"""The "You're booked" message a patient lands on after booking a visit or a course."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.messaging.sending import reason_not_to_send
from scheduler.models import Appointment, Channel, MessageKind, MessageStatus, OutboundMessage
from web.context import db, settings

GIVEN_UP = (MessageStatus.FAILED, MessageStatus.CANCELLED, MessageStatus.SKIPPED)
REVIEW_NOTE = (
    "Because of your answers, your practitioner will look over them before your first visit "
    "and call you if anything needs to change."
)
TEXT_COMING = "We will text you a confirmation."
NO_TEXT = "We will not text you a confirmation, so please keep a note of it."


def booked_message(appointment_id: int, *, course: bool = False, review: bool = False) -> str:
    """What was booked (the service, the day, the time, the practitioner) and whether a
    confirmation text is coming: only when one is planned and would be sent now (the patient
    may have said no to texts)."""
    with db().session() as session:
        visit = session.get(Appointment, appointment_id)
        if visit is None:  # cancelled and deleted already: nothing true to say about it
            return "You're booked."
        lead = "Your course is booked. Your first visit:" if course else "You're booked:"
        words = [f"{lead} {_visit_words(visit, settings().zone)}."]
        words.append(TEXT_COMING if _confirmation_coming(session, visit) else NO_TEXT)
        if review:
            words.append(REVIEW_NOTE)
        return " ".join(words)


def _visit_words(visit: Appointment, zone: ZoneInfo) -> str:
    when = visit.starts_at.astimezone(zone)
    return (
        f"{visit.service.name} on {when:%A %-d %B} at {when:%H:%M} with {visit.practitioner.name}"
    )


def _confirmation_coming(session: Session, visit: Appointment) -> bool:
    """Whether the visit's confirmation is planned (or gone) and nothing would stop it now."""
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
