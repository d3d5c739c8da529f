"""Celery tasks: ids in, one use case called, guard clauses first."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from sqlalchemy.exc import OperationalError

from scheduler.health import record_heartbeat
from scheduler.outbox import claim_due, requeue_lost_claims
from scheduler.reconciliation import reconcile_stuck_sends as reconcile
from scheduler.sending import send_outbound_message
from workers.runtime import runtime

log = logging.getLogger("clinic.tasks")

# A send whose outcome is unknown is looked up only after any task that might still be
# running it has passed its hard time limit.
STUCK_AFTER = timedelta(seconds=90)


@shared_task(name="clinic.dispatch_due_messages")
def dispatch_due_messages() -> int:
    """Claim the outbox rows that are due and enqueue one send task for each.

    The claim commits before anything is enqueued; a claim whose task is lost is handed back
    after ``REQUEUE_AFTER_SECONDS``. Returns how many were claimed.
    """
    rt = runtime()
    now = rt.clock.now()
    with rt.db.transaction() as session:
        requeue_lost_claims(session, now, timedelta(seconds=rt.settings.requeue_after_s))
        claimed = claim_due(session, now, rt.settings.dispatch_batch_size)
    for message_id in claimed:
        send_message.delay(message_id)
    return len(claimed)


@shared_task(
    name="clinic.send_message",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def send_message(message_id: int) -> str:
    """Send one claimed message; a duplicate delivery of this task sends nothing."""
    rt = runtime()
    callback = rt.settings.status_callback_url if rt.sms.name == "twilio" else None
    outcome = send_outbound_message(rt.db, message_id, rt.sms, rt.clock, callback)
    return outcome.value


@shared_task(name="clinic.reconcile_stuck_sends")
def reconcile_stuck_sends() -> dict[str, int]:
    """Ask the provider about sends left unfinished by a crash or a timeout."""
    rt = runtime()
    return reconcile(rt.db, rt.sms, rt.clock, STUCK_AFTER)


@shared_task(name="clinic.heartbeat")
def heartbeat() -> None:
    """Record that a worker is alive and beat is scheduling (shown by /healthz)."""
    rt = runtime()
    record_heartbeat(rt.redis, rt.clock.now())
