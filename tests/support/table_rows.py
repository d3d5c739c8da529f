"""Every row of some tables as plain tuples: to show that a refused change changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select

from scheduler.db import Database
from scheduler.models import Base


def table_rows(db: Database, *tables: type[Base] | Table) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's rows, every column, in primary-key order."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with db.session() as session:
        for model in tables:
            table = model if isinstance(model, Table) else model.__table__
            assert isinstance(table, Table)
            order = list(table.primary_key.columns)
            found[table.name] = [tuple(r) for r in session.execute(select(table).order_by(*order))]
    return found
