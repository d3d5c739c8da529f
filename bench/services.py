"""The benchmark's own services: a migrated SQLite file and an embedded PostgreSQL."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ops.migrations import upgrade_database
from scheduler.db import normalise_database_url


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        upgrade_database(url)
        yield url


@contextmanager
def postgres_database() -> Iterator[str]:
    import pgserver

    with tempfile.TemporaryDirectory(prefix="pg-", dir="/tmp") as directory:
        server = pgserver.get_server(Path(directory), cleanup_mode="delete")
        try:
            server.psql("CREATE DATABASE bench;")
            url = normalise_database_url(server.get_uri("bench"))
            upgrade_database(url)
            yield url
        finally:
            server.cleanup()
