"""Celery tasks: ids in, one use case called, guard clauses first."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from celery import current_app, shared_task
from sqlalchemy.exc import OperationalError

from scheduler import follow_ups
from scheduler.clinical.alerts import escalate_overdue
from scheduler.courses import events as course_events
from scheduler.follow_ups import FollowUp, FreedTime, Task
from scheduler.health import record_heartbeat
from scheduler.messaging import plans as message_plans
from scheduler.messaging import questionnaire_link as questionnaire_messages
from scheduler.messaging.outbox import claim_due, requeue_lost_claims
from scheduler.messaging.reconciliation import reconcile_stuck_sends as reconcile
from scheduler.messaging.sending import send_outbound_message, send_outbound_messages
from scheduler.patients.verification import purge_stale
from scheduler.visits import waitlist
from workers.runtime import runtime

log = logging.getLogger("clinic.tasks")

SWEEP_LOOKBACK = timedelta(days=14)


@shared_task(name=Task.DISPATCH_DUE_MESSAGES)
def dispatch_due_messages() -> int:
    """Claim the outbox rows that are due and enqueue send tasks for them, in small batches.

    Each claim commits before its tasks are enqueued; a claim whose task is lost is handed
    back after ``REQUEUE_AFTER_SECONDS``. Claims repeat while full batches come back, for at
    most one dispatch interval. Returns how many were claimed.
    """
    rt = runtime()
    settings = rt.settings
    with rt.db.transaction() as session:
        requeue_lost_claims(session, rt.clock.now(), timedelta(seconds=settings.requeue_after_s))
    deadline = time.monotonic() + max(1.0, settings.dispatch_interval_s)
    total = 0
    while True:
        with rt.db.transaction() as session:
            claimed = claim_due(session, rt.clock.now(), settings.dispatch_batch_size)
        for start in range(0, len(claimed), settings.send_batch_size):
            send_messages.delay(claimed[start : start + settings.send_batch_size])
        total += len(claimed)
        if len(claimed) < settings.dispatch_batch_size or time.monotonic() > deadline:
            return total


@shared_task(
    name=Task.SEND_MESSAGES,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def send_messages(message_ids: list[int]) -> list[str]:
    """Send a batch of claimed messages; each still goes at most once on its own."""
    rt = runtime()
    callback = rt.settings.status_callback_url if rt.sms.name == "twilio" else None
    outcomes = send_outbound_messages(
        rt.db,
        message_ids,
        rt.sms,
        rt.clock,
        callback,
        rt.send_policy,
        concurrency=rt.settings.send_concurrency,
        email_backend=rt.email,
    )
    return [outcomes[message_id].value for message_id in message_ids]


@shared_task(
    name=Task.SEND_MESSAGE,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def send_message(message_id: int) -> str:
    """Send one claimed message; a duplicate delivery of this task sends nothing."""
    rt = runtime()
    callback = rt.settings.status_callback_url if rt.sms.name == "twilio" else None
    outcome = send_outbound_message(
        rt.db, message_id, rt.sms, rt.clock, callback, rt.send_policy, email_backend=rt.email
    )
    return outcome.value


@shared_task(name=Task.RECONCILE_STUCK_SENDS)
def reconcile_stuck_sends() -> dict[str, int]:
    """Ask the provider about sends left unfinished by a crash or a timeout."""
    rt = runtime()
    # Only after any task that might still be running the send has passed its time limit.
    return reconcile(rt.db, rt.sms, rt.clock, timedelta(seconds=rt.settings.reconcile_after_s))


@shared_task(name=Task.HEARTBEAT)
def heartbeat() -> None:
    """Record that a worker is alive and beat is scheduling (shown by /healthz)."""
    rt = runtime()
    record_heartbeat(rt.redis, rt.clock.now())


@shared_task(name=Task.FILL_UNPLACED_VISITS, autoretry_for=(OperationalError,), max_retries=5)
def fill_unplaced_visits(course_id: int) -> list[int]:
    """Try again to place a course's visits that the first plan could not."""
    rt = runtime()
    with rt.db.transaction() as session:
        added = course_events.fill_unplaced_visits(session, course_id, rt.settings, rt.clock.now())
        return [a.id for a in added]


@shared_task(name=Task.AFTER_VISIT_COMPLETED, autoretry_for=(OperationalError,), max_retries=5)
def after_visit_completed(appointment_id: int) -> list[int]:
    """Book the course's next visit day and plan the next maintenance visit; idempotent."""
    rt = runtime()
    with rt.db.transaction() as session:
        changed = course_events.after_visit_completed(
            session, appointment_id, rt.settings, rt.clock.now()
        )
        return [a.id for a in changed]


@shared_task(name=Task.AFTER_VISIT_MISSED, autoretry_for=(OperationalError,), max_retries=5)
def after_visit_missed(appointment_id: int) -> list[int]:
    """Plan a replacement for a cancelled or missed course visit; idempotent."""
    rt = runtime()
    with rt.db.transaction() as session:
        added = course_events.after_visit_missed(
            session, appointment_id, rt.settings, rt.clock.now()
        )
        return [a.id for a in added]


@shared_task(name=Task.OFFER_FREED_TIME, autoretry_for=(OperationalError,), max_retries=5)
def offer_freed_time(practitioner_id: int, start: str) -> int | None:
    """Offer a freed time to the first patient on the waitlist it suits."""
    rt = runtime()
    freed = FreedTime(practitioner_id, datetime.fromisoformat(start))
    with rt.db.transaction() as session:
        offer = waitlist.offer_freed_time(session, freed, settings=rt.settings, now=rt.clock.now())
        return offer.id if offer else None


@shared_task(name=Task.EXPIRE_WAITLIST_OFFERS)
def expire_waitlist_offers() -> int:
    """Close offers past their hold and offer those times to the next patient waiting."""
    rt = runtime()
    with rt.db.transaction() as session:
        released = waitlist.expire_offers(session, rt.clock.now())
    _enqueue(f for one in released for f in one.follow_ups)
    return len(released)


@shared_task(name=Task.SWEEP_COURSE_EVENTS)
def sweep_course_events() -> dict[str, int]:
    """Run the course follow-ups for recent events again, in case an event's task was lost.

    Every step is idempotent, so repeating one that already ran changes nothing.
    """
    rt = runtime()
    now = rt.clock.now()
    with rt.db.session() as session:
        recent = course_events.recent_course_events(session, now - SWEEP_LOOKBACK)
    _enqueue(follow_ups.after_visit_completed(i) for i in recent.completed)
    _enqueue(follow_ups.after_visit_missed(i) for i in recent.missed)
    _enqueue(follow_ups.fill_unplaced_visits(i) for i in recent.unplaced)
    return {
        "completed": len(recent.completed),
        "missed": len(recent.missed),
        "unplaced": len(recent.unplaced),
    }


def _enqueue(work: Iterable[FollowUp]) -> None:
    """Hand follow-ups to the workers, on the default queue, once this task's commit is done."""
    for follow_up in work:
        current_app.send_task(follow_up.task.value, args=list(follow_up.args))


@shared_task(name=Task.PLAN_DIARY_PROMPTS)
def plan_diary_prompts() -> int:
    """Write today's and tomorrow's diary prompts for patients who keep a diary by text."""
    rt = runtime()
    with rt.db.transaction() as session:
        return message_plans.plan_diary_prompts(session, rt.settings, rt.clock.now())


@shared_task(name=Task.PLAN_MAINTENANCE_DUE)
def plan_maintenance_due() -> int:
    """Nudge patients whose maintenance window opens within a week and have nothing booked."""
    rt = runtime()
    with rt.db.transaction() as session:
        return message_plans.plan_maintenance_due(session, rt.settings, rt.clock.now())


@shared_task(name=Task.PLAN_QUESTIONNAIRE_LINKS)
def plan_questionnaire_links() -> int:
    """Text a link to every patient whose MIDAS or HIT-6 point has opened, once per point.

    Idempotent (each text has a dedupe key per patient and point), so beat may run it as
    often as it likes; quiet hours and consent are kept. Returns how many were written.
    """
    rt = runtime()
    with rt.db.transaction() as session:
        return questionnaire_messages.plan_questionnaire_links(session, rt.settings, rt.clock.now())


@shared_task(name=Task.PURGE_PHONE_CODES)
def purge_phone_codes() -> dict[str, int]:
    """Forget bookings that waited for codes nobody answered, and codes two days old."""
    rt = runtime()
    with rt.db.transaction() as session:
        purged = purge_stale(session, rt.clock.now())
    return {"cleared": purged.cleared, "deleted": purged.deleted}


@shared_task(name=Task.ESCALATE_SAFETY_ALERTS)
def escalate_safety_alerts() -> int:
    """Escalate the safety alerts nobody closed within ``SAFETY_ALERT_ESCALATE_MINUTES``: each
    once (one atomic statement), so beat may run it as often as it likes. How many were."""
    rt = runtime()
    now = rt.clock.now()
    open_since = now - timedelta(minutes=rt.settings.safety_alert_escalate_minutes)
    with rt.db.transaction() as session:
        escalated = escalate_overdue(session, open_since=open_since, now=now)
    if escalated:
        log.warning(
            "escalated %d safety alert(s) open over %d minutes",
            escalated,
            rt.settings.safety_alert_escalate_minutes,
        )
    return escalated
