"""The benchmark's own services: a migrated SQLite file and an embedded PostgreSQL."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

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


def postmaster_pid(database_url: str) -> int | None:
    """The embedded PostgreSQL's main process (its backends are its children), from the
    ``postmaster.pid`` in the socket folder the URL names; None for other databases."""
    host = parse_qs(urlsplit(database_url).query).get("host")
    if not host:
        return None
    try:
        return int((Path(host[0]) / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None
