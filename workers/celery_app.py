"""The Celery application: broker, reliability settings and the beat schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery
from celery.signals import task_prerun, worker_process_init

from scheduler.config import (
    TASK_SOFT_TIME_LIMIT_S,
    TASK_TIME_LIMIT_S,
    Settings,
    load_settings,
)
from scheduler.follow_ups import Task
from workers.quiet_logs import quiet_provider_requests, quiet_routine_runs
from workers.runtime import broker_url, reset_runtime, warm_runtime


def create_celery(settings: Settings) -> Celery:
    """A Celery app whose tasks survive a killed worker and never wait long in Redis."""
    app = Celery("clinic", include=["workers.tasks"])
    url = broker_url(settings)
    app.conf.update(
        broker_url=url,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 300},
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_time_limit=TASK_TIME_LIMIT_S,
        task_soft_time_limit=TASK_SOFT_TIME_LIMIT_S,
        task_default_queue="clinic",
        worker_prefetch_multiplier=1,
        # A pool process builds its runtime before it reports up (_fresh_resources_after_fork):
        # on a loaded machine that may take longer than Celery's default 4 s.
        worker_proc_alive_timeout=30,
        worker_hijack_root_logger=False,
        timezone="UTC",
        beat_schedule=beat_schedule(settings),
        beat_schedule_filename=str(settings.instance_path / "celerybeat-schedule"),
    )
    quiet_routine_runs((entry, task) for entry, task, _period, _expires in _periodic_runs(settings))
    quiet_provider_requests()
    return app


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """What beat starts, how often, and how long a start may wait in Redis before it is dropped
    (a late periodic run is worth nothing: the next one comes soon)."""
    return {
        entry: {
            "task": task.value,
            "schedule": timedelta(seconds=period),
            "options": {"expires": expires},
        }
        for entry, task, period, expires in _periodic_runs(settings)
    }


def _periodic_runs(settings: Settings) -> list[tuple[str, Task, float, float]]:
    """Each periodic run: (entry, task, period, expires), the last two in seconds."""
    dispatch = settings.dispatch_interval_s
    heartbeat = settings.heartbeat_interval_s
    return [
        ("dispatch-due-messages", Task.DISPATCH_DUE_MESSAGES, dispatch, dispatch * 5),
        ("reconcile-stuck-sends", Task.RECONCILE_STUCK_SENDS, settings.reconcile_interval_s, 60),
        ("expire-waitlist-offers", Task.EXPIRE_WAITLIST_OFFERS, 30, 60),
        ("sweep-course-events", Task.SWEEP_COURSE_EVENTS, 5 * 60, 240),
        ("plan-diary-prompts", Task.PLAN_DIARY_PROMPTS, 15 * 60, 600),
        ("plan-maintenance-due", Task.PLAN_MAINTENANCE_DUE, 60 * 60, 1800),
        ("plan-questionnaire-links", Task.PLAN_QUESTIONNAIRE_LINKS, 15 * 60, 600),
        ("purge-phone-codes", Task.PURGE_PHONE_CODES, 60 * 60, 1800),
        ("escalate-safety-alerts", Task.ESCALATE_SAFETY_ALERTS, 60, 120),
        ("worker-heartbeat", Task.HEARTBEAT, heartbeat, heartbeat * 3),
    ]


@worker_process_init.connect
def _fresh_resources_after_fork(**_: Any) -> None:
    """A pool process forgets its parent's connections and builds its own runtime before it
    takes a task."""
    reset_runtime()
    warm_runtime()


@task_prerun.connect
def _act_as_system(task: Any = None, **_: Any) -> None:
    """Changes a task makes are the system's, named after the task, in the audit trail."""
    from scheduler.records.audit import Actor, set_actor

    set_actor(Actor(kind="system", label="system", via=getattr(task, "name", "")[:60]))


app = create_celery(load_settings())
