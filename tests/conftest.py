"""Fixtures: real Redis and PostgreSQL for the session, a fresh database per test on both."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient

from scheduler.clock import FrozenClock
from scheduler.config import Settings, TwilioSettings
from scheduler.db import Database
from scheduler.records.audit import register_audit_listener
from tests.fakes.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilio
from tests.support.processes import ManagedProcess
from tests.support.services import (
    PostgresDatabases,
    SqliteDatabases,
    postgres_server,
    redis_server,
)
from tests.support.smtp_server import SmtpServer
from tests.support.url_rules import share_url_builders
from web.limits import storage_options

# A Monday in winter (GMT); the clocks go forward on 2026-03-29.
MONDAY_8AM = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
BACKENDS = ["sqlite", "postgresql"]
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))
# Every case of a test parametrised over inputs runs on SQLite; on PostgreSQL the first case
# does, unless this is set (the cases differ in what the Python code checks, not in what the
# database does; `make test-all-cases` runs every case on both).
ALL_CASES_ON_POSTGRES = os.environ.get("TEST_ALL_CASES_ON_POSTGRES") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the further input cases of a parametrised test on PostgreSQL (see above)."""
    if ALL_CASES_ON_POSTGRES:
        return
    seen: set[tuple[str, str]] = set()
    kept: list[pytest.Item] = []
    left_out: list[pytest.Item] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", None)
        if not params or params.get("backend") != "postgresql" or len(params) == 1:
            kept.append(item)
            continue
        test = (str(item.path), getattr(item, "originalname", item.name))
        (left_out if test in seen else kept).append(item)
        seen.add(test)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture(scope="session", autouse=True)
def shared_url_builders() -> None:
    share_url_builders()


@pytest.fixture(scope="session", autouse=True)
def audit_trail() -> None:
    """Every session a test opens records the audit trail, as in the app and the worker."""
    register_audit_listener()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as (url, _server):
        yield url


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    with postgres_server() as (admin_url, server):
        databases = PostgresDatabases(admin_url, server)
        databases.prepare_template()
        yield databases
        databases.close()


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SqliteDatabases:
    return SqliteDatabases(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database on the backend under test."""
    if backend == "sqlite":
        yield request.getfixturevalue("sqlite_databases").fresh(tmp_path)
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    url = databases.fresh()
    yield url
    databases.drop(url)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis_lib.Redis]:
    client = redis_lib.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MONDAY_8AM)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def processes() -> Iterator[list[ManagedProcess]]:
    """Real processes (workers, beat, web) a test starts: each stopped at the end."""
    started: list[ManagedProcess] = []
    yield started
    for process in started:
        process.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 that keeps what it takes (tests/support/smtp_server.py)."""
    with SmtpServer() as server:
        yield server


def clear_limits(redis_url: str) -> None:
    """Forget every request counted against the limits on anonymous work (web/limits.py): the
    tests all come from 127.0.0.1, so each starts with the whole allowance. Tests about the
    limits count from zero too."""
    client = redis_lib.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{storage_options()['key_prefix']}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def settings(database_url: str, redis_url: str, tmp_path: Path) -> Settings:
    clear_limits(redis_url)
    return Settings(
        environment="test",
        instance_path=tmp_path / "instance",
        database_url=database_url,
        redis_url=redis_url,
        secret_key="test-secret-key",
        public_base_url="https://book.example.test",
    )


def twilio_settings(fake: FakeTwilio) -> TwilioSettings:
    return TwilioSettings(
        account_sid=DEFAULT_ACCOUNT_SID,
        auth_token=DEFAULT_AUTH_TOKEN,
        from_number="+15005550006",
        api_base_url=fake.base_url,
        request_timeout_s=3.0,
    )


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, redis_client: redis_lib.Redis) -> Flask:
    return __import__("web.app", fromlist=["create_app"]).create_app(settings, clock)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
