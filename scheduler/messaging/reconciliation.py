"""Settling messages whose send outcome is unknown, by asking the provider before any resend."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scheduler.clock import Clock
from scheduler.db import Database
from scheduler.messaging.sms.base import SendFailure, SmsBackend
from scheduler.models import MessageStatus, OutboundMessage

log = logging.getLogger("clinic.reconciliation")


def reconcile_stuck_sends(
    db: Database, backend: SmsBackend, clock: Clock, older_than: timedelta, limit: int = 100
) -> dict[str, int]:
    """Look up each message left in ``sending`` for longer than ``older_than``.

    Found at the provider: recorded as sent with its id. Not found: handed back as pending,
    which is safe because the provider never took it. Lookup failed: left for the next round.
    Runs of this may overlap; each settles only the very attempt it looked up.
    """
    now = clock.now()
    with db.session() as session:
        stuck = session.execute(
            select(
                OutboundMessage.id,
                OutboundMessage.to_phone,
                OutboundMessage.body,
                OutboundMessage.claimed_at,
            )
            .where(
                OutboundMessage.status == MessageStatus.SENDING,
                OutboundMessage.claimed_at < now - older_than,
            )
            .order_by(OutboundMessage.claimed_at)
            .limit(limit)
        ).all()
    counts = {"found": 0, "requeued": 0, "unresolved": 0}
    for message_id, to, body, claimed_at in stuck:
        if claimed_at is None:  # a row in `sending` always has its claim time
            continue
        since = claimed_at - timedelta(minutes=5)
        try:
            receipt = backend.find_sent(to, body, since)
        except SendFailure:
            counts["unresolved"] += 1
            continue
        with db.transaction() as session:
            settled = _settle(
                session, message_id, claimed_at, receipt.sid if receipt else None, now
            )
        if settled:
            counts["found" if receipt else "requeued"] += 1
    if stuck:
        log.info("reconciled stuck sends: %s", counts)
    return counts


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
    if sid is not None:
        values: dict[str, object] = {
            "status": MessageStatus.SENT,
            "provider_sid": sid,
            "sent_at": now,
            "updated_at": now,
        }
    else:
        values = {"status": MessageStatus.PENDING, "due_at": now, "updated_at": now}
    result = session.execute(
        update(OutboundMessage)
        .where(still_stuck)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
