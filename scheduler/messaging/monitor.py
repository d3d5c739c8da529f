"""What staff see of messaging: a patient's thread, and the health of the whole machinery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.models import (
    InboundMessage,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
    StaffAlert,
)

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
    """Every text to and from the patient, oldest first. Without ``show_diary`` the words of
    diary replies (health data) are withheld."""
    entries = [
        ThreadEntry(
            "out",
            m.sent_at or m.due_at,
            m.kind.value,
            m.body,
            m.status.value,
            m.error_code,
            m.id,
        )
        for m in session.scalars(
            select(OutboundMessage).where(OutboundMessage.patient_id == patient.id)
        )
    ]
    for m in session.scalars(select(InboundMessage).where(InboundMessage.patient_id == patient.id)):
        hidden = m.understood_as in DIARY_KINDS and not show_diary
        entries.append(
            ThreadEntry(
                "in",
                m.received_at,
                m.understood_as,
                "(diary reply)" if hidden else m.body,
                "received",
                None,
                m.id,
            )
        )
    return sorted(entries, key=lambda e: (e.at, e.direction == "out"))


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
    counts = {
        status.value: count
        for status, count in session.execute(
            select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
        )
    }
    overdue = (
        session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                OutboundMessage.status == MessageStatus.PENDING,
                OutboundMessage.due_at < now - timedelta(minutes=1),
            )
        )
        or 0
    )
    stuck = list(
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
    failed = list(
        session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.status == MessageStatus.FAILED)
            .order_by(OutboundMessage.updated_at.desc())
            .limit(50)
        )
    )
    alerts = list(
        session.scalars(
            select(StaffAlert)
            .where(StaffAlert.resolved_at.is_(None))
            .order_by(StaffAlert.created_at.desc())
            .limit(50)
        )
    )
    sent_last_hour = (
        session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                OutboundMessage.sent_at >= now - timedelta(hours=1),
                OutboundMessage.kind != MessageKind.REPLY,
            )
        )
        or 0
    )
    return Monitor(counts, overdue, stuck, failed, alerts, sent_last_hour)


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
    message.to_phone = message.patient.phone_e164
    return message
