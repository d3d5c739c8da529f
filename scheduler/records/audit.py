"""The audit trail: who changed which appointment, course or patient, recorded on every flush."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from scheduler.models import Appointment, AuditEvent, Course, Patient, StaffAlert

AUDITED: dict[type[Any], str] = {
    Appointment: "appointment",
    Course: "course",
    Patient: "patient",
    StaffAlert: "staff_alert",
}
# Bookkeeping columns whose changes say nothing a reader needs.
QUIET_FIELDS = {"id", "updated_at", "created_at"}


@dataclass(frozen=True)
class Actor:
    """Who is making the changes now: staff (with their id), a patient, or the system."""

    kind: str  # staff, patient, system
    label: str
    id: int | None = None
    via: str = ""  # the page, API call or task
    at: datetime | None = None  # the request's time; None: the wall clock at the flush

    def now(self) -> datetime:
        return self.at or datetime.now(UTC)


SYSTEM = Actor(kind="system", label="system")
_current: ContextVar[Actor] = ContextVar("clinic_audit_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Attribute every audited change made inside the block to ``actor``."""
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def set_actor(actor: Actor) -> None:
    """Attribute the changes of the rest of this context (a request, a task) to ``actor``."""
    _current.set(actor)


@contextmanager
def via(where: str) -> Iterator[Actor]:
    """The current actor, narrowed to a named code path (a task name, an API call)."""
    with acting_as(replace(current_actor(), via=where)) as actor:
        yield actor


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _changes(obj: Any, created: bool) -> dict[str, list[Any]]:
    state = inspect(obj)
    found: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in QUIET_FIELDS:
            continue
        if created:
            value = getattr(obj, key)
            if value is not None and value != [] and value != "":
                found[key] = [None, _plain(value)]
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if _plain(old) != _plain(new):
            found[key] = [_plain(old), _plain(new)]
    return found


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    actor = current_actor()
    rows = []
    for obj, created in [(o, True) for o in session.new] + [(o, False) for o in session.dirty]:
        entity = AUDITED.get(type(obj))
        if entity is None:
            continue
        changes = _changes(obj, created)
        if not changes:
            continue
        rows.append(
            {
                "at": actor.now(),
                "actor_kind": actor.kind,
                "actor_id": actor.id,
                "actor_label": actor.label[:120],
                "entity": entity,
                "entity_id": obj.id,
                "action": "created" if created else "changed",
                "changes": changes,
                "via": actor.via[:60],
            }
        )
    if rows:
        session.connection().execute(insert(AuditEvent), rows)


def register_audit_listener() -> None:
    """Record the audit trail on every flush of every session in this process, from now on.

    The composition roots (the web app, the worker, the ``make run`` supervisor, the benchmarks
    and the tests) call it once; calling it again changes nothing.
    """
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def history(session: Session, entity: str, entity_id: int) -> list[AuditEvent]:
    """Every recorded change of one record, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
