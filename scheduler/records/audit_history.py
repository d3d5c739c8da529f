"""The audit trail in plain words: who changed what on a record, when, from what to what."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import (
    Appointment,
    AuditEvent,
    Course,
    CourseTemplate,
    Patient,
    Practitioner,
    Room,
    Service,
)

ENTITIES = ("appointment", "course", "patient")

# Fields that hold health details: never shown to someone who may not see clinical data.
CLINICAL_FIELDS = {"patient": {"safety_flags"}}

# Bookkeeping that follows from another change and would only repeat it.
HIDDEN_FIELDS = {"updated_at", "blocked_until", "id"}

LABELS = {
    "starts_at": "Start",
    "ends_at": "End",
    "status": "Status",
    "practitioner_id": "Practitioner",
    "room_id": "Room",
    "service_id": "Service",
    "template_id": "Course template",
    "patient_id": "Patient",
    "course_id": "Course",
    "replaces_id": "Replaces visit",
    "visit_number": "Visit number",
    "phase_position": "Phase",
    "booked_via": "Booked via",
    "cancelled_at": "Cancelled at",
    "hold_expires_at": "Held until",
    "planning_note": "Planning note",
    "first_name": "First name",
    "last_name": "Last name",
    "phone_e164": "Phone",
    "time_zone": "Time zone",
    "sms_opted_out_at": "Texts stopped at",
    "phone_flagged_at": "Phone flagged at",
    "diary_prompt_time": "Diary prompt time",
    "diary_frequency": "Diary prompts",
    "safety_flags": "Safety flags",
    "preferred_weekdays": "Preferred days",
    "preferred_time": "Preferred time",
    "maintenance_interval_weeks": "Maintenance interval (weeks)",
    "unplaced": "Visits not yet placed",
    "ended_at": "Ended at",
    "created_at": "Created at",
}
NAMED_REFERENCES = {
    "practitioner_id": Practitioner,
    "room_id": Room,
    "service_id": Service,
    "template_id": CourseTemplate,
}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ChangeLine:
    """One field's change, already in words: ``Status: booked -> cancelled``."""

    field: str
    old: str
    new: str

    @property
    def text(self) -> str:
        if self.old == "(none)":
            return f"{self.field}: {self.new}"
        return f"{self.field}: {self.old} -> {self.new}"


@dataclass(frozen=True)
class AuditEntry:
    """One event: when (clinic time), who, what was done, through what, and each change."""

    id: int
    entity: str
    entity_id: int
    at: datetime
    who: str
    actor_kind: str
    action: str
    via: str
    changes: list[ChangeLine]


def who(event: AuditEvent) -> str:
    """The staff member's name, or "patient", or "system"."""
    if event.actor_kind == "staff":
        return event.actor_label or "staff"
    if event.actor_kind == "patient":
        return "patient"
    return "system"


def local_text(moment: datetime, zone: ZoneInfo) -> str:
    """``Wed 4 Mar 2026 10:00`` in the clinic's zone."""
    local = moment.astimezone(zone)
    return f"{WEEKDAYS[local.weekday()]} {local.day} {local.strftime('%b %Y %H:%M')}"


class _Names:
    """Names of the practitioners, rooms, services and templates the events refer to."""

    def __init__(self, session: Session, events: Iterable[AuditEvent]) -> None:
        wanted: dict[str, set[int]] = {field: set() for field in NAMED_REFERENCES}
        for event in events:
            for field, pair in event.changes.items():
                if field in wanted and isinstance(pair, list | tuple):
                    wanted[field].update(v for v in pair if isinstance(v, int))
        self._names: dict[str, dict[int, str]] = {}
        for field, ids in wanted.items():
            model: Any = NAMED_REFERENCES[field]
            query = select(model.id, model.name).where(model.id.in_(ids))
            self._names[field] = {i: n for i, n in session.execute(query)} if ids else {}

    def of(self, field: str, value: int) -> str | None:
        return self._names.get(field, {}).get(value)


def _value_text(field: str, value: Any, zone: ZoneInfo, names: _Names) -> str:
    """One stored value in words: names for references, clinic time for instants."""
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and field in NAMED_REFERENCES:
        return names.of(field, value) or f"#{value}"
    if isinstance(value, int) and field.endswith("_id"):
        return f"#{value}"
    if isinstance(value, list):
        return ", ".join(_value_text(field, v, zone, names) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, str):
        return _string_text(field, value, zone)
    return str(value)


def _string_text(field: str, value: str, zone: ZoneInfo) -> str:
    """A stored string in words: ISO instants and dates as clinic days, statuses spaced."""
    if ISO_INSTANT.match(value):
        return _instant_text(value, zone)
    if ISO_DATE.match(value):
        return _date_text(value)
    if field == "status":
        return value.replace("_", " ")
    return value


def _instant_text(value: str, zone: ZoneInfo) -> str:
    """An ISO instant in clinic time (naive ones are UTC); as stored if it does not parse."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return local_text(moment, zone)


def _date_text(value: str) -> str:
    """``Wed 4 Mar 2026`` for an ISO date; as stored if it does not parse."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day.strftime('%b %Y')}"


def _label(field: str) -> str:
    return LABELS.get(field, field.replace("_", " ").capitalize())


def describe(
    event: AuditEvent, zone: ZoneInfo, names: _Names, *, clinical: bool
) -> AuditEntry | None:
    """The event in words; None when nothing in it may be shown to this viewer."""
    hidden = HIDDEN_FIELDS | (set() if clinical else CLINICAL_FIELDS.get(event.entity, set()))
    lines = _change_lines(event, hidden, zone, names)
    if not lines and event.changes:
        return None
    return AuditEntry(
        id=event.id,
        entity=event.entity,
        entity_id=event.entity_id,
        at=event.at.astimezone(zone),
        who=who(event),
        actor_kind=event.actor_kind,
        action=event.action,
        via=event.via,
        changes=lines,
    )


def _change_lines(
    event: AuditEvent, hidden: set[str], zone: ZoneInfo, names: _Names
) -> list[ChangeLine]:
    """The event's changes in words, in the order of ``LABELS``, less the ``hidden`` fields."""
    lines = []
    for field, pair in sorted(event.changes.items(), key=lambda item: _order(item[0])):
        if field in hidden:
            continue
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        lines.append(
            ChangeLine(
                _label(field),
                _value_text(field, old, zone, names),
                _value_text(field, new, zone, names),
            )
        )
    return lines


def _order(field: str) -> tuple[int, str]:
    keys = list(LABELS)
    return (keys.index(field) if field in keys else len(keys), field)


def history(
    session: Session,
    entity: str,
    entity_ids: Iterable[int],
    zone: ZoneInfo,
    *,
    clinical: bool,
) -> dict[int, list[AuditEntry]]:
    """Every event on these records, oldest first, in words, keyed by record id."""
    ids = sorted(set(entity_ids))
    result: dict[int, list[AuditEntry]] = {i: [] for i in ids}
    if not ids:
        return result
    events = _events(session, entity, ids)
    names = _Names(session, events)
    for event in events:
        entry = describe(event, zone, names, clinical=clinical)
        if entry is not None:
            result[event.entity_id].append(entry)
    return result


def _events(session: Session, entity: str, ids: list[int]) -> list[AuditEvent]:
    """Every event on these records, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == entity, AuditEvent.entity_id.in_(ids))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def patient_of(session: Session, entity: str, entity_id: int) -> int | None:
    """Whose record this is: the patient an appointment, course or patient row belongs to."""
    if entity == "patient":
        return entity_id if session.get(Patient, entity_id) is not None else None
    model: Any = {"appointment": Appointment, "course": Course}.get(entity)
    if model is None:
        return None
    return session.scalar(select(model.patient_id).where(model.id == entity_id))
