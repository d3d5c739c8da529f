"""What staff see of messaging: a patient's thread, and the health of the whole machinery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from scheduler.models import (
    InboundMessage,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
    StaffAlert,
)
from scheduler.redaction import redact_tokens

STUCK_QUEUED = timedelta(minutes=5)
STUCK_SENDING = timedelta(minutes=5)
DIARY_KINDS = {"diary"}


@dataclass(frozen=True)
class ThreadEntry:
    direction: str  # "out" or "in"
    at: datetime
    kind: str
    text: str
    status: str
    error_code: str | None
    message_id: int


def patient_thread(session: Session, patient: Patient, *, show_diary: bool) -> list[ThreadEntry]:
    """Every text to and from the patient, oldest first, personal links masked. Without
    ``show_diary`` the words of diary replies (health data) are withheld."""
    sent = select(OutboundMessage).where(OutboundMessage.patient_id == patient.id)
    received = select(InboundMessage).where(InboundMessage.patient_id == patient.id)
    entries = [_outgoing(m) for m in session.scalars(sent)]
    entries += [_incoming(m, show_diary) for m in session.scalars(received)]
    return sorted(entries, key=lambda e: (e.at, e.direction == "out"))


def _outgoing(m: OutboundMessage) -> ThreadEntry:
    # Staff see the words, never the personal link in them: it opens the patient's diary.
    text = redact_tokens(m.body)
    return ThreadEntry(
        "out", m.sent_at or m.due_at, m.kind.value, text, m.status.value, m.error_code, m.id
    )


def _incoming(m: InboundMessage, show_diary: bool) -> ThreadEntry:
    hidden = m.understood_as in DIARY_KINDS and not show_diary
    text = "(diary reply)" if hidden else m.body
    return ThreadEntry("in", m.received_at, m.understood_as, text, "received", None, m.id)


@dataclass(frozen=True)
class Monitor:
    counts: dict[str, int]
    overdue: int
    stuck: list[OutboundMessage]
    failed: list[OutboundMessage]
    open_alerts: list[StaffAlert]
    sent_last_hour: int


def monitor(session: Session, now: datetime) -> Monitor:
    """Counts by status, messages overdue or stuck, recent failures and open staff alerts."""
    return Monitor(
        counts=_status_counts(session),
        overdue=_count_messages(
            session,
            OutboundMessage.status == MessageStatus.PENDING,
            OutboundMessage.due_at < now - timedelta(minutes=1),
        ),
        stuck=_stuck(session, now),
        failed=_recently_failed(session),
        open_alerts=_open_alerts(session),
        sent_last_hour=_count_messages(
            session,
            OutboundMessage.sent_at >= now - timedelta(hours=1),
            OutboundMessage.kind != MessageKind.REPLY,
        ),
    )


def _status_counts(session: Session) -> dict[str, int]:
    """How many outbound messages are in each status."""
    return {
        status.value: count
        for status, count in session.execute(
            select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
        )
    }


def _count_messages(session: Session, *conditions: ColumnElement[bool]) -> int:
    """How many outbound messages meet every condition."""
    query = select(func.count()).select_from(OutboundMessage).where(*conditions)
    return session.scalar(query) or 0


def _stuck(session: Session, now: datetime) -> list[OutboundMessage]:
    """Up to 50 rows claimed long ago and still ``queued`` or ``sending``, oldest claim first."""
    return list(
        session.scalars(
            select(OutboundMessage)
            .where(
                (
                    (OutboundMessage.status == MessageStatus.QUEUED)
                    & (OutboundMessage.claimed_at < now - STUCK_QUEUED)
                )
                | (
                    (OutboundMessage.status == MessageStatus.SENDING)
                    & (OutboundMessage.claimed_at < now - STUCK_SENDING)
                )
            )
            .order_by(OutboundMessage.claimed_at)
            .limit(50)
        )
    )


def _recently_failed(session: Session) -> list[OutboundMessage]:
    """The 50 most recently failed messages, latest first."""
    return list(
        session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.status == MessageStatus.FAILED)
            .order_by(OutboundMessage.updated_at.desc())
            .limit(50)
        )
    )


def _open_alerts(session: Session) -> list[StaffAlert]:
    """The 50 latest staff alerts not yet resolved, latest first."""
    return list(
        session.scalars(
            select(StaffAlert)
            .where(StaffAlert.resolved_at.is_(None))
            .order_by(StaffAlert.created_at.desc())
            .limit(50)
        )
    )


def retry_failed(session: Session, message_id: int, now: datetime) -> OutboundMessage | None:
    """Put a failed message back in the queue (after staff fixed the number, say)."""
    message = session.get(OutboundMessage, message_id, with_for_update=True)
    if message is None or message.status != MessageStatus.FAILED:
        return None
    message.status = MessageStatus.PENDING
    message.due_at = now
    message.attempts = 0
    message.error_message = f"retried by staff after: {message.error_code or 'failure'}"
    message.updated_at = now
    if message.patient is not None:  # staff may have corrected the number meanwhile
        message.to_phone = message.patient.phone_e164
    return message
