"""Sending one outbox message: claim it, re-check it, hand it to the provider, record the result."""

from __future__ import annotations

import enum
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.clock import Clock
from scheduler.db import Database
from scheduler.models import (
    ACTIVE_STATUSES,
    Appointment,
    ConsentKind,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    StaffAlert,
)
from scheduler.outbox import start_sending
from scheduler.quiet_hours import AT_ONCE, MOVES_EARLIER, QuietHours
from scheduler.rate_limit import TokenBucket
from scheduler.sms.base import FailureKind, OutgoingSms, SendFailure, SmsBackend

log = logging.getLogger("clinic.sending")

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=15)
MAX_BACKOFF = timedelta(hours=1)
# Which consent each kind of message needs.
CONSENT_FOR = {
    MessageKind.DIARY_PROMPT: ConsentKind.DIARY_PROMPTS,
    MessageKind.QUESTIONNAIRE: ConsentKind.DIARY_PROMPTS,
}
# Messages counted against the patient's daily cap (answers to their own actions are not).
CAPPED = frozenset(MessageKind) - AT_ONCE


class SendOutcome(enum.StrEnum):
    SENT = "sent"
    NOT_CLAIMED = "not_claimed"  # another task has it, or it was cancelled meanwhile
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    DEFERRED = "deferred"  # quiet hours, the rate limit or the daily cap: it waits
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    OUTCOME_UNKNOWN = "outcome_unknown"


@dataclass(frozen=True)
class SendPolicy:
    quiet: QuietHours = field(default_factory=QuietHours)
    daily_cap: int = 4
    bucket: TokenBucket | None = None


def backoff(attempt: int, retry_after_s: float | None = None) -> timedelta:
    """Exponential backoff with full jitter, never shorter than the provider asked for."""
    ceiling = min(MAX_BACKOFF, BASE_BACKOFF * (2 ** max(0, attempt - 1)))
    delay = timedelta(seconds=random.uniform(ceiling.total_seconds() / 2, ceiling.total_seconds()))
    if retry_after_s is not None:
        delay = max(delay, timedelta(seconds=retry_after_s))
    return delay


def reason_not_to_send(session: Session, message: OutboundMessage) -> tuple[MessageStatus, str]:
    """Why this message must not go at all (status to record and reason), or (SENDING, "")."""
    patient = message.patient
    if message.appointment_id is not None:
        visit = session.get(Appointment, message.appointment_id)
        if visit is None or visit.status not in ACTIVE_STATUSES:
            return MessageStatus.CANCELLED, "visit cancelled"
        if message.planned_for is not None and visit.starts_at != message.planned_for:
            return MessageStatus.CANCELLED, "visit moved"
    if patient.sms_opted_out_at is not None:
        return MessageStatus.SKIPPED, "patient opted out of SMS"
    consent = CONSENT_FOR.get(message.kind, ConsentKind.REMINDERS)
    if not patient.consents_to(consent):
        return MessageStatus.SKIPPED, f"no consent to {consent.value.replace('_', ' ')}"
    return MessageStatus.SENDING, ""


def _sent_today(session: Session, message: OutboundMessage, zone: ZoneInfo, now: datetime) -> int:
    midnight = datetime.combine(now.astimezone(zone).date(), time.min, tzinfo=zone)
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                OutboundMessage.patient_id == message.patient_id,
                OutboundMessage.kind.in_(CAPPED),
                OutboundMessage.sent_at >= midnight,
                OutboundMessage.id != message.id,
            )
        )
        or 0
    )


def when_allowed(
    session: Session, message: OutboundMessage, policy: SendPolicy, now: datetime
) -> tuple[datetime | None, str]:
    """(None, "") if the message may go now; else when it may, and why it waits.

    Returns (now, reason) with reason "useless" for a reminder that quiet hours would make
    late: it is skipped rather than sent after the fact.
    """
    if message.kind in AT_ONCE:
        return None, ""
    zone = ZoneInfo(message.patient.time_zone)
    if policy.quiet.is_quiet(now, zone):
        allowed = policy.quiet.next_allowed(now, zone)
        if message.kind in MOVES_EARLIER and (
            message.planned_for is None or allowed >= message.planned_for - timedelta(hours=1)
        ):
            return now, "useless"
        return allowed, "quiet hours"
    if _sent_today(session, message, zone, now) >= policy.daily_cap:
        tomorrow = datetime.combine(
            now.astimezone(zone).date() + timedelta(days=1), policy.quiet.ends, tzinfo=zone
        )
        return tomorrow, "daily cap"
    return None, ""


def _defer(message: OutboundMessage, until: datetime, reason: str, now: datetime) -> None:
    message.status = MessageStatus.PENDING
    message.due_at = until
    message.attempts = max(0, message.attempts - 1)  # waiting is not a failed try
    message.error_message = f"waiting: {reason}"
    message.updated_at = now


def _alert(
    session: Session, message: OutboundMessage, kind: str, detail: str, now: datetime
) -> None:
    session.add(
        StaffAlert(
            kind=kind,
            patient_id=message.patient_id,
            message_id=message.id,
            detail=detail[:300],
            created_at=now,
        )
    )


def _record_failure(
    session: Session, message: OutboundMessage, failure: SendFailure, now: datetime
) -> SendOutcome:
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
    patient = message.patient
    if failure.kind == FailureKind.OPTED_OUT and patient.sms_opted_out_at is None:
        patient.sms_opted_out_at = now
    elif failure.kind == FailureKind.PERMANENT and patient.phone_flagged_at is None:
        patient.phone_flagged_at = now
        _alert(session, message, "phone_unusable", f"Twilio error {failure.code}", now)
    elif failure.kind == FailureKind.CONTENT:
        _alert(session, message, "content_filtered", f"Twilio error {failure.code}", now)
    return SendOutcome.FAILED


def send_outbound_message(
    db: Database,
    message_id: int,
    backend: SmsBackend,
    clock: Clock,
    status_callback_url: str | None = None,
    policy: SendPolicy | None = None,
) -> SendOutcome:
    """Send one claimed (``queued``) message at most once.

    Only the caller whose compare-and-set moves the row to ``sending`` calls the provider.
    First the visit, consent, opt-out, quiet hours, the patient's daily cap and the clinic's
    send rate are checked; a message that must wait goes back to ``pending`` with a later due
    time, never dropped. The provider is called outside any transaction and its answer
    recorded in a second one.
    """
    policy = policy or SendPolicy()
    with db.transaction() as session:
        now = clock.now()
        message = start_sending(session, message_id, now)
        if message is None:
            return SendOutcome.NOT_CLAIMED
        status, reason = reason_not_to_send(session, message)
        if status != MessageStatus.SENDING:
            message.status = status
            message.error_message = reason
            return SendOutcome(status.value)
        until, why = when_allowed(session, message, policy, now)
        if why == "useless":
            message.status = MessageStatus.SKIPPED
            message.error_message = "quiet hours until too close to the visit"
            return SendOutcome.SKIPPED
        if until is None and policy.bucket is not None:
            wait = policy.bucket.take()
            if wait > 0:
                until, why = now + timedelta(seconds=wait), "clinic send rate"
        if until is not None:
            _defer(message, until, why, now)
            return SendOutcome.DEFERRED
        sms = OutgoingSms(message.to_phone, message.body, status_callback_url)
    try:
        receipt = backend.send(sms)
    except SendFailure as failure:
        with db.transaction() as session:
            message = session.get_one(OutboundMessage, message_id)
            outcome = _record_failure(session, message, failure, clock.now())
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
