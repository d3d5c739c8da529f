"""While the database cannot be reached (a restart, a dropped connection), the app answers 503
with Retry-After on the API and on pages: never a 500."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from flask import Flask

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from web.app import create_app


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def unreachable(tmp_path: Path, redis_url: str, clock: FrozenClock) -> Flask:
    url = f"postgresql+psycopg://clinic@127.0.0.1:{closed_port()}/clinic?connect_timeout=2"
    settings = Settings(
        environment="test",
        instance_path=tmp_path,
        database_url=url,
        redis_url=redis_url,
        secret_key="test-secret-key",
    )
    return create_app(settings, clock)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/services"),
        ("GET", "/api/v1/practitioners"),
        ("GET", "/visit"),
        ("GET", "/m/abcdefghijklmnopqrstuv"),
    ],
)
def test_every_surface_answers_503_with_retry_after_while_the_database_is_away(
    unreachable: Flask, method: str, path: str
) -> None:
    client = unreachable.test_client()
    response = client.open(path, method=method)
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"] == "30"
    text = response.get_data(as_text=True)
    assert "look for a confirmation text before you book again" in text
