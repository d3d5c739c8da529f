"""The Celery application: broker, reliability settings and the beat schedule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery
from celery.signals import task_prerun, worker_process_init

from ops.embedded_redis import resolve_redis_url
from scheduler.config import Settings, load_settings


def broker_url(settings: Settings) -> str:
    """REDIS_URL, or the instance folder's embedded Redis when it is unset."""
    return resolve_redis_url(settings.redis_url, settings.instance_path)


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
        task_time_limit=60,
        task_soft_time_limit=45,
        task_default_queue="clinic",
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        timezone="UTC",
        beat_schedule={
            "dispatch-due-messages": {
                "task": "clinic.dispatch_due_messages",
                "schedule": timedelta(seconds=settings.dispatch_interval_s),
                "options": {"expires": settings.dispatch_interval_s * 5},
            },
            "reconcile-stuck-sends": {
                "task": "clinic.reconcile_stuck_sends",
                "schedule": timedelta(seconds=settings.reconcile_interval_s),
                "options": {"expires": 60},
            },
            "expire-waitlist-offers": {
                "task": "clinic.expire_waitlist_offers",
                "schedule": timedelta(seconds=30),
                "options": {"expires": 60},
            },
            "sweep-course-events": {
                "task": "clinic.sweep_course_events",
                "schedule": timedelta(minutes=5),
                "options": {"expires": 240},
            },
            "plan-diary-prompts": {
                "task": "clinic.plan_diary_prompts",
                "schedule": timedelta(minutes=15),
                "options": {"expires": 600},
            },
            "plan-maintenance-due": {
                "task": "clinic.plan_maintenance_due",
                "schedule": timedelta(hours=1),
                "options": {"expires": 1800},
            },
            "plan-questionnaire-links": {
                "task": "clinic.plan_questionnaire_links",
                "schedule": timedelta(minutes=15),
                "options": {"expires": 600},
            },
            "worker-heartbeat": {
                "task": "clinic.heartbeat",
                "schedule": timedelta(seconds=settings.heartbeat_interval_s),
                "options": {"expires": settings.heartbeat_interval_s * 3},
            },
        },
        beat_schedule_filename=str(settings.instance_path / "celerybeat-schedule"),
    )
    return app


@worker_process_init.connect
def _fresh_resources_after_fork(**_: Any) -> None:
    from workers.runtime import reset_runtime

    reset_runtime()


@task_prerun.connect
def _act_as_system(task: Any = None, **_: Any) -> None:
    """Changes a task makes are the system's, named after the task, in the audit trail."""
    from scheduler.records.audit import Actor, set_actor

    set_actor(Actor(kind="system", label="system", via=getattr(task, "name", "")[:60]))


app = create_celery(load_settings())
