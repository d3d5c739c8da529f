"""Environment for real processes (web, worker, beat) pointed at the test's database and fakes."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from celery import Celery

from tests.fakes.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilio


def process_env(
    database_url: str, redis_url: str, instance: Path, fake: FakeTwilio | None, **extra: str
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "DATABASE_", "REDIS_", "SMS_", "APP_", "PUBLIC_"))
    }
    env.update(
        APP_ENV="test",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        INSTANCE_PATH=str(instance),
        SECRET_KEY="test-secret-key",
        DISPATCH_INTERVAL_SECONDS="0.5",
        HEARTBEAT_INTERVAL_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    if fake is not None:
        env.update(
            SMS_BACKEND="twilio",
            TWILIO_ACCOUNT_SID=DEFAULT_ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=DEFAULT_AUTH_TOKEN,
            TWILIO_FROM_NUMBER="+15005550006",
            TWILIO_API_BASE_URL=fake.base_url,
            TWILIO_REQUEST_TIMEOUT="5",
        )
    env.update(extra)
    return env


def task_client(redis_url: str) -> Celery:
    """A Celery client that only sends tasks by name, as the web layer would."""
    return Celery("clinic-test-client", broker=redis_url)


def next_weekday_at(hour: int, days_ahead: int = 3) -> datetime:
    """A weekday at least ``days_ahead`` days from now, at ``hour``:00 UTC."""
    day = datetime.now(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    day += timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
