"""Settling messages whose send outcome is unknown, by asking the provider before any resend."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from scheduler.clock import Clock
from scheduler.db import Database
from scheduler.models import MessageStatus, OutboundMessage
from scheduler.sms.base import SendFailure, SmsBackend

log = logging.getLogger("clinic.reconciliation")


def reconcile_stuck_sends(
    db: Database, backend: SmsBackend, clock: Clock, older_than: timedelta, limit: int = 100
) -> dict[str, int]:
    """Look up each message left in ``sending`` for longer than ``older_than``.

    Found at the provider: recorded as sent with its id. Not found: handed back as pending,
    which is safe because the provider never took it. Lookup failed: left for the next round.
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
        since = (claimed_at or now) - timedelta(minutes=5)
        try:
            receipt = backend.find_sent(to, body, since)
        except SendFailure:
            counts["unresolved"] += 1
            continue
        with db.transaction() as session:
            message = session.get_one(OutboundMessage, message_id)
            if message.status != MessageStatus.SENDING:
                continue
            _settle(message, receipt.sid if receipt else None, now)
        counts["found" if receipt else "requeued"] += 1
    if stuck:
        log.info("reconciled stuck sends: %s", counts)
    return counts


def _settle(message: OutboundMessage, sid: str | None, now: datetime) -> None:
    message.updated_at = now
    if sid is not None:
        message.status = MessageStatus.SENT
        message.provider_sid = sid
        message.sent_at = message.sent_at or now
        return
    message.status = MessageStatus.PENDING
    message.due_at = now
