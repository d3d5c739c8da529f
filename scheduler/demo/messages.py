"""The demo messages: past outbox rows (texts and emails) settled as the provider reported them,
and patients' replies."""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.demo.history import at
from scheduler.messaging.inbound import InboundResult, receive_sms
from scheduler.messaging.outbox import write_message
from scheduler.messaging.texts import MessageContext, render
from scheduler.messaging.wording import load_wording
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
)
from scheduler.records.audit import acting_as

FAILED_SHARE = 0.04  # of the texts sent, how many the network could not deliver
SENT_SHARE = 0.06  # how many are sent with no delivery report (yet)
FAILURE = ("30003", "Unreachable destination handset")
CLINIC_NUMBER = "+15005550006"  # the number patients' texts arrive on in the demo


def provider_id(*parts: object) -> str:
    """A provider message id like Twilio's ("SM" and 32 hex digits), the same every time."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return "SM" + digest[:32]


def settle_past_messages(session: Session, now: datetime, rng: random.Random) -> int:
    """Every pending row due by ``now`` put in the state the provider left it in: a text
    delivered, sent, or failed, an email sent (mail servers report no delivery); a row about a
    visit cancelled or missed before it was due is cancelled. Nothing in the past stays pending
    for the dispatcher. Returns how many were settled."""
    rows = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.status == MessageStatus.PENDING, OutboundMessage.due_at <= now)
        .order_by(OutboundMessage.due_at, OutboundMessage.id)
    ).all()
    for row in rows:
        visit = session.get(Appointment, row.appointment_id) if row.appointment_id else None
        if _overtaken(row, visit):
            _set(row, MessageStatus.CANCELLED, row.due_at)
        elif row.channel == Channel.EMAIL:
            send_email(row)
        else:
            send(row, rng.random())
    session.flush()
    return len(rows)


def _overtaken(row: OutboundMessage, visit: Appointment | None) -> bool:
    """Whether the visit was cancelled before the message was due (other than the email
    saying so), or missed before it."""
    if visit is None:
        return False
    cancelling = row.kind == MessageKind.CANCELLATION
    if visit.cancelled_at is not None and row.due_at >= visit.cancelled_at and not cancelling:
        return True
    return visit.status == AppointmentStatus.NO_SHOW and row.due_at >= visit.starts_at


def _set(row: OutboundMessage, status: MessageStatus, moment: datetime) -> None:
    row.status = status
    row.updated_at = moment


def send(row: OutboundMessage, draw: float) -> None:
    """The row as sent at its due time, with the provider's id and report."""
    row.attempts = 1
    row.claimed_at = row.sent_at = row.due_at
    row.provider_sid = provider_id("out", row.dedupe_key)
    if draw < FAILED_SHARE:
        row.provider_status = "undelivered"
        row.error_code, row.error_message = FAILURE
        _set(row, MessageStatus.FAILED, row.due_at)
    elif draw < FAILED_SHARE + SENT_SHARE:
        row.provider_status = "sent"
        _set(row, MessageStatus.SENT, row.due_at)
    else:
        row.provider_status = "delivered"
        _set(row, MessageStatus.DELIVERED, row.due_at)


def send_email(row: OutboundMessage) -> None:
    """The email as accepted by the mail server at its due time (no delivery report)."""
    row.attempts = 1
    row.claimed_at = row.sent_at = row.due_at
    row.provider_sid = "EM" + provider_id("email", row.dedupe_key)[2:]
    row.provider_status = "sent"
    _set(row, MessageStatus.SENT, row.due_at)


def write_diary_prompt(
    session: Session, patient: Patient, day: date, settings: Settings
) -> OutboundMessage | None:
    """The evening diary prompt for ``day``, as the planner writes it, delivered."""
    zone = ZoneInfo(patient.time_zone)
    due = datetime.combine(day, patient.diary_prompt_time, zone)
    context = MessageContext(
        first_name=patient.first_name,
        local_start=due.astimezone(settings.zone),
        clinic_name=settings.clinic_name,
        clinic_phone=settings.clinic_phone,
        manage_url="",
    )
    body = render(
        MessageKind.DIARY_PROMPT, context, load_wording(session).get(MessageKind.DIARY_PROMPT)
    )
    key = f"diary:{patient.id}:{day.isoformat()}"
    planned_for = datetime.combine(day, time.min, zone)
    message = write_message(
        session, patient, MessageKind.DIARY_PROMPT, key, body, due, due, planned_for=planned_for
    )
    if message is not None:
        send(message, 1.0)
        session.flush()
    return message


def text_the_clinic(
    session: Session, patient: Patient, body: str, settings: Settings, moment: datetime
) -> InboundResult:
    """The patient's text, received at ``moment`` through the same code as the provider's
    webhook; the answer it gets is settled later with the other past texts."""
    with acting_as(at(moment, "patient")):
        return receive_sms(
            session,
            sid=provider_id("in", patient.id, moment.isoformat(), body),
            from_phone=patient.phone_e164,
            to_phone=CLINIC_NUMBER,
            body=body,
            settings=settings,
            now=moment,
        )
