"""Per-process resources of a worker: database, SMS backend, Redis client and clock."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import redis

from scheduler.clock import Clock, SystemClock
from scheduler.config import Settings, load_settings
from scheduler.db import Database
from scheduler.messaging.rate_limit import TokenBucket
from scheduler.messaging.sending import SendPolicy
from scheduler.messaging.sms import SmsBackend, backend_from_settings

SEND_RATE_KEY = "clinic:sms:send-rate"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    sms: SmsBackend
    redis: redis.Redis
    clock: Clock
    send_policy: SendPolicy


@cache
def runtime() -> Runtime:
    """Built lazily in each worker process (after the fork), once."""
    from workers.celery_app import broker_url

    settings = load_settings()
    client = redis.Redis.from_url(broker_url(settings), socket_timeout=5)
    return Runtime(
        settings=settings,
        db=Database(settings.database_url, pool_size=2, max_overflow=4)
        if not settings.database_url.startswith("sqlite")
        else Database(settings.database_url),
        sms=backend_from_settings(settings),
        redis=client,
        clock=SystemClock(),
        send_policy=SendPolicy(
            daily_cap=settings.sms_daily_cap,
            deadline_s=settings.send_deadline_s,
            bucket=TokenBucket(client, SEND_RATE_KEY, settings.sms_rate_per_second),
        ),
    )


def reset_runtime() -> None:
    """Forget the parent's resources in a freshly forked child."""
    runtime.cache_clear()
