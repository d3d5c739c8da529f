"""What staff see of messaging: a patient's thread, and the health of the whole machinery."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from icalendar import Calendar
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from scheduler.models import (
    Channel,
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
    text: str  # a text's words, or an email's plain-text part (never its HTML)
    status: str
    error_code: str | None
    message_id: int
    channel: str = Channel.SMS.value
    to_email: str | None = None
    subject: str | None = None
    # An email's calendar invite: "new", "moved" or "cancel" (None: no invite).
    invite: str | None = None
    # For an email sent because a text could not be delivered: that text's id.
    fallback_for_id: int | None = None


def patient_thread(session: Session, patient: Patient, *, show_diary: bool) -> list[ThreadEntry]:
    """Every text and email to and from the patient, oldest first, personal links masked.
    Without ``show_diary`` the words of diary replies (health data) are withheld."""
    sent = select(OutboundMessage).where(OutboundMessage.patient_id == patient.id)
    received = select(InboundMessage).where(InboundMessage.patient_id == patient.id)
    entries = [_outgoing(m) for m in session.scalars(sent)]
    entries += [_incoming(m, show_diary) for m in session.scalars(received)]
    return sorted(entries, key=lambda e: (e.at, e.direction == "out"))


def _outgoing(m: OutboundMessage) -> ThreadEntry:
    # Staff see the words, never the personal link in them: it opens the patient's diary.
    text = redact_tokens(m.body)
    return ThreadEntry(
        "out",
        m.sent_at or m.due_at,
        m.kind.value,
        text,
        m.status.value,
        m.error_code,
        m.id,
        channel=m.channel.value,
        to_email=m.to_email,
        subject=m.subject,
        invite=invite_change(m.invite) if m.invite else None,
        fallback_for_id=m.fallback_for_id,
    )


def invite_change(ics: str) -> str:
    """What a calendar invite does to the patient's calendar: "cancel" (METHOD:CANCEL), "new"
    (a request at SEQUENCE 0) or "moved" (a request at a later SEQUENCE)."""
    try:
        calendar = Calendar.from_ical(ics)
        method = str(calendar.get("METHOD", "")).upper()
        events = calendar.walk("VEVENT")
        sequence = int(events[0].get("SEQUENCE", 0)) if events else 0
    except (ValueError, TypeError):  # not readable: its text still says which method it is
        method, sequence = ("CANCEL" if "METHOD:CANCEL" in ics else "REQUEST"), 0
    if method == "CANCEL":
        return "cancel"
    return "moved" if sequence > 0 else "new"


def _incoming(m: InboundMessage, show_diary: bool) -> ThreadEntry:
    hidden = m.understood_as in DIARY_KINDS and not show_diary
    text = "(diary reply)" if hidden else m.body
    return ThreadEntry("in", m.received_at, m.understood_as, text, "received", None, m.id)


@dataclass(frozen=True)
class ChannelFigures:
    """One channel's share of the monitor's figures."""

    counts: dict[str, int]
    overdue: int
    sent_last_hour: int


@dataclass(frozen=True)
class Monitor:
    counts: dict[str, int]
    overdue: int
    stuck: list[OutboundMessage]
    failed: list[OutboundMessage]
    open_alerts: list[StaffAlert]
    sent_last_hour: int
    # The same figures for each channel ("sms", "email"), every channel present.
    channels: dict[str, ChannelFigures] = field(default_factory=dict)


def monitor(session: Session, now: datetime) -> Monitor:
    """Counts by status, messages overdue or stuck, recent failures and open staff alerts; the
    counts, overdue and sent figures also for each channel."""
    by_status = _status_counts(session)
    overdue = _per_channel(
        session,
        OutboundMessage.status == MessageStatus.PENDING,
        OutboundMessage.due_at < now - timedelta(minutes=1),
    )
    sent = _per_channel(
        session,
        OutboundMessage.sent_at >= now - timedelta(hours=1),
        OutboundMessage.kind != MessageKind.REPLY,
    )
    channels = {
        channel.value: ChannelFigures(
            counts=by_status.get(channel.value, {}),
            overdue=overdue.get(channel.value, 0),
            sent_last_hour=sent.get(channel.value, 0),
        )
        for channel in Channel
    }
    totals: dict[str, int] = {}
    for counts in by_status.values():
        for status, count in counts.items():
            totals[status] = totals.get(status, 0) + count
    return Monitor(
        counts=totals,
        overdue=sum(overdue.values()),
        stuck=_stuck(session, now),
        failed=_recently_failed(session),
        open_alerts=_open_alerts(session),
        sent_last_hour=sum(sent.values()),
        channels=channels,
    )


def _status_counts(session: Session) -> dict[str, dict[str, int]]:
    """Per channel, how many outbound messages are in each status."""
    counts: dict[str, dict[str, int]] = {}
    query = select(OutboundMessage.channel, OutboundMessage.status, func.count()).group_by(
        OutboundMessage.channel, OutboundMessage.status
    )
    for channel, status, count in session.execute(query):
        counts.setdefault(Channel(channel).value, {})[MessageStatus(status).value] = count
    return counts


def _per_channel(session: Session, *conditions: ColumnElement[bool]) -> dict[str, int]:
    """Per channel, how many outbound messages meet every condition."""
    query = (
        select(OutboundMessage.channel, func.count())
        .where(*conditions)
        .group_by(OutboundMessage.channel)
    )
    return {Channel(channel).value: count for channel, count in session.execute(query)}


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
    """Put a failed message back in the queue (after staff fixed the number, say), to the
    patient's current number, or for an email their current address. None when there is no
    such failed message, or it is an email and the patient has no address any more."""
    message = session.get(OutboundMessage, message_id, with_for_update=True)
    if message is None or message.status != MessageStatus.FAILED:
        return None
    patient = message.patient
    if message.channel == Channel.EMAIL and (patient is None or not patient.email):
        return None
    message.status = MessageStatus.PENDING
    message.due_at = now
    message.attempts = 0
    message.error_message = f"retried by staff after: {message.error_code or 'failure'}"
    message.updated_at = now
    if patient is not None and message.channel == Channel.EMAIL:
        message.to_email = patient.email  # the patient may have given a new address
    elif patient is not None:  # staff may have corrected the number meanwhile
        message.to_phone = patient.phone_e164
    return message
