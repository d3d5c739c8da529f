"""Per-process resources of a worker: database, SMS backend, Redis client and clock."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import redis

from ops.embedded_redis import resolve_redis_url
from scheduler.clock import Clock, SystemClock
from scheduler.config import Settings, load_settings
from scheduler.db import Database
from scheduler.messaging.email import email_backend_from_settings
from scheduler.messaging.email.base import EmailBackend
from scheduler.messaging.rate_limit import TokenBucket
from scheduler.messaging.sending import SendPolicy
from scheduler.messaging.sms import SmsBackend, backend_from_settings
from scheduler.records.audit import register_audit_listener

SEND_RATE_KEY = "clinic:sms:send-rate"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    sms: SmsBackend
    redis: redis.Redis
    clock: Clock
    send_policy: SendPolicy
    email: EmailBackend


def broker_url(settings: Settings) -> str:
    """REDIS_URL, or the instance folder's embedded Redis when it is unset."""
    return resolve_redis_url(settings.redis_url, settings.instance_path)


@cache
def runtime() -> Runtime:
    """Built lazily in each worker process (after the fork), once; the changes its tasks make
    are recorded in the audit trail."""
    register_audit_listener()
    settings = load_settings()
    client = redis.Redis.from_url(broker_url(settings), socket_timeout=5)
    return Runtime(
        settings=settings,
        db=Database(settings.database_url, pool_size=2, max_overflow=4)
        if not settings.database_url.startswith("sqlite")
        else Database(settings.database_url),
        sms=backend_from_settings(settings),
        email=email_backend_from_settings(settings),
        redis=client,
        clock=SystemClock(),
        send_policy=SendPolicy(
            daily_cap=settings.sms_daily_cap,
            deadline_s=settings.send_deadline_s,
            task_budget_s=settings.send_task_budget_s,
            bucket=TokenBucket(client, SEND_RATE_KEY, settings.sms_rate_per_second),
            served=settings.sms_regions,
            new_numbers_per_hour=settings.new_numbers_per_hour,
            zone=settings.zone,
            settings=settings,
        ),
    )


def warm_runtime() -> None:
    """Build this process's runtime now and load what its first send would, so that the first
    task a new pool process takes does not pay for the imports."""
    sms = runtime().sms
    warm = getattr(sms, "warm", None)
    if callable(warm):
        warm()


def reset_runtime() -> None:
    """Forget the parent's resources in a freshly forked child."""
    runtime.cache_clear()
