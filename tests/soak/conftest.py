"""The soak's own PostgreSQL server (it restarts it) with one fresh, migrated database."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scheduler.db import normalise_database_url
from tests.support.services import PostgresDatabases


@pytest.fixture
def soak_postgres() -> Iterator[tuple[str, Any]]:
    """(URL of a fresh migrated database, its server): a server of the soak's own, whatever
    TEST_DATABASE_URL says, since the soak crashes and restarts it."""
    import pgserver

    # A short path: the server's Unix socket lives in it.
    directory = Path(tempfile.mkdtemp(prefix="pg-soak-", dir="/tmp"))
    server = pgserver.get_server(directory, cleanup_mode="delete")
    try:
        databases = PostgresDatabases(normalise_database_url(server.get_uri()), server)
        databases.prepare_template()
        yield databases.fresh(), server
    finally:
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)
