"""Delivery reports from the provider: idempotent and safe to receive out of order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.messaging.sending import fall_back_to_email, flag_number_unusable
from scheduler.messaging.sms.base import FailureKind
from scheduler.messaging.sms.error_policy import TWILIO_ERROR_ACTIONS
from scheduler.models import MessageStatus, OutboundMessage

# How far along each provider status is; a report never moves a message backwards.
PROVIDER_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "read": 5,
}
FINAL = {"delivered": MessageStatus.DELIVERED, "read": MessageStatus.DELIVERED}
FAILED = {"undelivered", "failed"}


def record_delivery_report(
    session: Session,
    sid: str,
    status: str,
    error_code: str | None,
    now: datetime,
    settings: Settings | None = None,
) -> bool:
    """Apply one status report to the message with provider id ``sid``.

    Returns False when no message has that id (nothing is written). A report older than what
    is already known changes nothing, so repeats and reordering are harmless. A carrier's
    report that the number can never take texts (a landline, an unknown number) flags the
    number for staff and, with ``settings``, sends the visit's message by email instead.
    """
    message = session.scalars(
        select(OutboundMessage).where(OutboundMessage.provider_sid == sid).with_for_update()
    ).first()
    if message is None:
        return False
    status = status.lower()
    if _moves_on(message.provider_status, status):
        _apply(message, status, error_code, now)
        if message.status == MessageStatus.FAILED and _never_deliverable(error_code):
            _number_unusable(session, message, settings, now)
    return True


def _never_deliverable(error_code: str | None) -> bool:
    """Whether a carrier's error code says the number can never take texts."""
    if error_code is None or not error_code.isdigit():
        return False
    return TWILIO_ERROR_ACTIONS.get(int(error_code)) == FailureKind.PERMANENT


def _number_unusable(
    session: Session, message: OutboundMessage, settings: Settings | None, now: datetime
) -> None:
    """Flag the patient's number for staff (once), and send the message by email instead."""
    if message.patient is None:
        return
    flag_number_unusable(session, message, f"Carrier reported error {message.error_code}", now)
    if settings is not None:
        fall_back_to_email(session, message, settings, now)


def _moves_on(known: str | None, status: str) -> bool:
    """Whether a report of ``status`` is news after ``known``: further along, or a repeated
    "read" (unknown statuses never are)."""
    if status not in PROVIDER_RANK:
        return False
    rank, known_rank = PROVIDER_RANK[status], PROVIDER_RANK.get(known or "", -1)
    return rank > known_rank or (rank == known_rank and status == "read")


def _apply(message: OutboundMessage, status: str, error_code: str | None, now: datetime) -> None:
    """Record the provider's ``status``, and what it means for the message's own status."""
    message.provider_status = status
    message.updated_at = now
    if status in FINAL:
        message.status = FINAL[status]
    elif status in FAILED:
        message.status = MessageStatus.FAILED
        message.error_code = error_code or message.error_code
        message.error_message = f"carrier reported {status}"
    elif message.status == MessageStatus.SENDING:
        message.status = MessageStatus.SENT
        message.sent_at = message.sent_at or now
