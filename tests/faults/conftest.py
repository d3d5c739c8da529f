"""Fault scenarios run against PostgreSQL with their own Redis, so they can break it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.embedded_redis import EmbeddedRedis
from scheduler.db import Database
from tests.fakes.fake_twilio import FakeTwilio
from tests.support.fault_stack import FaultStack
from tests.support.services import PostgresDatabases

# `make test` runs the short form; `make test-faults` sets FAULT_MESSAGES=10000 and
# FAULT_SECONDS=30 (how long each of Twilio's bad phases lasts).
MESSAGES = int(os.environ.get("FAULT_MESSAGES", "1000"))
PHASE_SECONDS = float(os.environ.get("FAULT_SECONDS", "4"))
FULL = MESSAGES >= 10_000


@pytest.fixture
def stack(postgres_databases: PostgresDatabases, tmp_path: Path) -> Iterator[FaultStack]:
    url = postgres_databases.fresh()
    redis = EmbeddedRedis(tmp_path / "redis").start()
    fake = FakeTwilio().start()
    db = Database(url)
    built = FaultStack(db=db, database_url=url, redis=redis, fake=fake, logs=tmp_path)
    try:
        yield built
    finally:
        built.stop()
        fake.stop()
        redis.stop()
        db.dispose()
        postgres_databases.drop(url)
