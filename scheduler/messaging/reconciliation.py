"""Settling messages whose send outcome is unknown, by asking the provider before any resend."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from scheduler.clock import Clock
from scheduler.db import Database
from scheduler.messaging.provider import UNKNOWN_EMAIL
from scheduler.messaging.sms.base import SendFailure, SmsBackend
from scheduler.models import Channel, MessageStatus, OutboundMessage, StaffAlert

log = logging.getLogger("clinic.reconciliation")


def reconcile_stuck_sends(
    db: Database, backend: SmsBackend, clock: Clock, older_than: timedelta, limit: int = 100
) -> dict[str, int]:
    """Look up each message left in ``sending`` for longer than ``older_than``.

    Found at the provider: recorded as sent with its id. Not found: handed back as pending,
    which is safe because the provider never took it. Lookup failed: left for the next round.
    An email cannot be looked up (SMTP keeps no record a client can ask for): it is marked
    failed with its outcome unknown, never sent again by itself, and staff are alerted to check
    with the patient and resend it from the thread if it did not arrive ("unknown").
    Runs of this may overlap; each settles only the very attempt it looked up.
    """
    now = clock.now()
    stuck = _stuck_sends(db, now - older_than, limit)
    counts = {"found": 0, "requeued": 0, "unresolved": 0, "unknown": 0}
    for send in stuck:
        if send.to is None:
            outcome = _settle_unknown_email(db, send, now)
        else:
            outcome = _look_up_and_settle(db, backend, send, now)
        if outcome is not None:
            counts[outcome] += 1
    if stuck:
        log.info("reconciled stuck sends: %s", counts)
    return counts


class _StuckSend(NamedTuple):
    """A send attempt whose outcome is unknown: the row, what it said to whom, and when."""

    message_id: int
    to: str | None  # None for an email
    body: str
    claimed_at: datetime


def _stuck_sends(db: Database, claimed_before: datetime, limit: int) -> list[_StuckSend]:
    """Up to ``limit`` rows in ``sending`` claimed before ``claimed_before``, oldest first."""
    with db.session() as session:
        rows = session.execute(
            select(
                OutboundMessage.id,
                case((OutboundMessage.channel == Channel.SMS, OutboundMessage.to_phone)),
                OutboundMessage.body,
                OutboundMessage.claimed_at,
            )
            .where(
                OutboundMessage.status == MessageStatus.SENDING,
                OutboundMessage.claimed_at < claimed_before,
            )
            .order_by(OutboundMessage.claimed_at)
            .limit(limit)
        ).all()
    # A row in `sending` always has its claim time.
    return [_StuckSend(i, to, body, at) for i, to, body, at in rows if at is not None]


def _settle_unknown_email(db: Database, send: _StuckSend, now: datetime) -> str | None:
    """Mark an email whose send may or may not have happened as failed, outcome unknown, and
    alert staff; None if another run settled it first."""
    with db.transaction() as session:
        still_stuck = (
            (OutboundMessage.id == send.message_id)
            & (OutboundMessage.status == MessageStatus.SENDING)
            & (OutboundMessage.claimed_at == send.claimed_at)
        )
        result = session.execute(
            update(OutboundMessage)
            .where(still_stuck)
            .values(
                status=MessageStatus.FAILED,
                error_code=UNKNOWN_EMAIL,
                error_message="may or may not have been sent: check before resending",
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        message = session.get_one(OutboundMessage, send.message_id)
        session.add(
            StaffAlert(
                kind="email_outcome_unknown",
                patient_id=message.patient_id,
                message_id=message.id,
                detail="An email may not have reached the patient: check with them, and "
                "resend it from their messages if it did not.",
                created_at=now,
            )
        )
    log.warning("message %s: email outcome unknown, staff alerted", send.message_id)
    return "unknown"


def _look_up_and_settle(
    db: Database, backend: SmsBackend, send: _StuckSend, now: datetime
) -> str | None:
    """Ask the provider about one stuck attempt and settle it: "found", "requeued",
    "unresolved" (the lookup failed), or None if another run settled it first."""
    since = send.claimed_at - timedelta(minutes=5)
    assert send.to is not None
    try:
        receipt = backend.find_sent(send.to, send.body, since)
    except SendFailure:
        return "unresolved"
    sid = receipt.sid if receipt else None
    with db.transaction() as session:
        settled = _settle(session, send.message_id, send.claimed_at, sid, now)
    if not settled:
        return None
    return "found" if receipt else "requeued"


def _settle(
    session: Session, message_id: int, claimed_at: datetime, sid: str | None, now: datetime
) -> bool:
    """Record what the provider said, only if the row is still the attempt that was looked up.

    Another reconciliation may have handed the row back meanwhile and a new attempt may be on
    its way to the provider: comparing ``claimed_at`` keeps this one from touching it.
    """
    still_stuck = (
        (OutboundMessage.id == message_id)
        & (OutboundMessage.status == MessageStatus.SENDING)
        & (OutboundMessage.claimed_at == claimed_at)
    )
    values: dict[str, object] = (
        {"status": MessageStatus.SENT, "provider_sid": sid, "sent_at": now, "updated_at": now}
        if sid is not None
        else {"status": MessageStatus.PENDING, "due_at": now, "updated_at": now}
    )
    result = session.execute(
        update(OutboundMessage)
        .where(still_stuck)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
