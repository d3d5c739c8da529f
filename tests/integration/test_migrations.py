"""The migrations build exactly the models' schema on both databases, and undo cleanly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ops.migrations import downgrade_database, upgrade_database
from scheduler.db import Database, make_engine
from scheduler.models import Base


def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"render_as_batch": db.dialect == "sqlite"}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_nothing_and_upgrade_again(database_url: str) -> None:
    downgrade_database(database_url)
    engine = make_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade_database(database_url)
    assert {"appointments", "courses", "outbound_messages"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


# Exclusion constraints exist on PostgreSQL only: collected for it alone, never skipped.
@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_has_the_overlap_constraints(db: Database) -> None:
    assert db.is_postgresql
    with db.engine.connect() as connection:
        names = set(
            connection.exec_driver_sql(
                "SELECT conname FROM pg_constraint WHERE contype = 'x'"
            ).scalars()
        )
    assert names == {"ex_appointments_practitioner_overlap", "ex_appointments_room_overlap"}
