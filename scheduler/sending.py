"""Sending one outbox message: claim it, re-check it, hand it to the provider, record the result."""

from __future__ import annotations

import enum
import logging
import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from scheduler.clock import Clock
from scheduler.db import Database
from scheduler.models import (
    ACTIVE_STATUSES,
    Appointment,
    ConsentKind,
    MessageStatus,
    OutboundMessage,
)
from scheduler.outbox import start_sending
from scheduler.sms.base import FailureKind, OutgoingSms, SendFailure, SmsBackend

log = logging.getLogger("clinic.sending")

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=15)
MAX_BACKOFF = timedelta(hours=1)


class SendOutcome(enum.StrEnum):
    SENT = "sent"
    NOT_CLAIMED = "not_claimed"  # another task has it, or it was cancelled meanwhile
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    OUTCOME_UNKNOWN = "outcome_unknown"


def backoff(attempt: int, retry_after_s: float | None = None) -> timedelta:
    """Exponential backoff with full jitter, never shorter than the provider asked for."""
    ceiling = min(MAX_BACKOFF, BASE_BACKOFF * (2 ** max(0, attempt - 1)))
    delay = timedelta(seconds=random.uniform(ceiling.total_seconds() / 2, ceiling.total_seconds()))
    if retry_after_s is not None:
        delay = max(delay, timedelta(seconds=retry_after_s))
    return delay


def reason_not_to_send(session: Session, message: OutboundMessage) -> tuple[MessageStatus, str]:
    """Why this message must not go now (status to record and reason), or (SENDING, "")."""
    patient = message.patient
    if message.appointment_id is not None:
        visit = session.get(Appointment, message.appointment_id)
        if visit is None or visit.status not in ACTIVE_STATUSES:
            return MessageStatus.CANCELLED, "visit cancelled"
        if message.planned_for is not None and visit.starts_at != message.planned_for:
            return MessageStatus.CANCELLED, "visit moved"
    if patient.sms_opted_out_at is not None:
        return MessageStatus.SKIPPED, "patient opted out of SMS"
    if not patient.consents_to(ConsentKind.REMINDERS):
        return MessageStatus.SKIPPED, "no consent to appointment messages"
    return MessageStatus.SENDING, ""


def _record_failure(message: OutboundMessage, failure: SendFailure, now: datetime) -> SendOutcome:
    message.error_code = failure.code
    message.error_message = failure.detail or failure.kind.value
    message.updated_at = now
    if failure.kind == FailureKind.UNKNOWN:
        # Left in `sending`: reconciliation asks the provider before anything is sent again.
        return SendOutcome.OUTCOME_UNKNOWN
    if failure.kind == FailureKind.RETRY_LATER and message.attempts < MAX_ATTEMPTS:
        message.status = MessageStatus.PENDING
        message.due_at = now + backoff(message.attempts, failure.retry_after_s)
        return SendOutcome.RETRY_SCHEDULED
    message.status = MessageStatus.FAILED
    if failure.kind == FailureKind.OPTED_OUT and message.patient.sms_opted_out_at is None:
        message.patient.sms_opted_out_at = now
    return SendOutcome.FAILED


def send_outbound_message(
    db: Database,
    message_id: int,
    backend: SmsBackend,
    clock: Clock,
    status_callback_url: str | None = None,
) -> SendOutcome:
    """Send one claimed (``queued``) message at most once.

    Only the caller whose compare-and-set moves the row to ``sending`` calls the provider; the
    visit, consent and opt-out are checked again first. The provider is called outside any
    transaction, and its answer recorded in a second one.
    """
    with db.transaction() as session:
        message = start_sending(session, message_id, clock.now())
        if message is None:
            return SendOutcome.NOT_CLAIMED
        status, reason = reason_not_to_send(session, message)
        if status != MessageStatus.SENDING:
            message.status = status
            message.error_message = reason
            return SendOutcome(status.value)
        sms = OutgoingSms(message.to_phone, message.body, status_callback_url)
    try:
        receipt = backend.send(sms)
    except SendFailure as failure:
        with db.transaction() as session:
            message = session.get_one(OutboundMessage, message_id)
            outcome = _record_failure(message, failure, clock.now())
        log.warning("message %s not sent: %s (%s)", message_id, failure.kind, failure.code)
        return outcome
    with db.transaction() as session:
        message = session.get_one(OutboundMessage, message_id)
        message.provider_sid = receipt.sid
        message.provider_status = receipt.status
        if message.status == MessageStatus.SENDING:  # a delivery callback may have come first
            message.status = MessageStatus.SENT
        message.sent_at = clock.now()
        message.updated_at = message.sent_at
        message.error_code = None
        message.error_message = None
    return SendOutcome.SENT
