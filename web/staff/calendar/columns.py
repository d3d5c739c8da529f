"""The calendar page's columns (one per practitioner or room in the day view) and the words
FullCalendar shows, formatted on the server in the clinic's locale."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from scheduler.calendar.read_model import CalendarVisit
from web.dates import clock_time, days_title, first_weekday, long_day, short_day, tag
from web.staff.calendar.choices import Choices

COLUMN_KINDS = ("practitioners", "rooms")
FIRST_HOUR, LAST_HOUR, SLOT_MINUTES = 7, 20, 15


@dataclass(frozen=True)
class Column:
    """One calendar side by side with others: whose visits it shows, and its heading."""

    label: str
    practitioner_id: int | None = None
    room_id: int | None = None
    no_room: bool = False  # the visits that take no room
    takes_drops: bool = True  # whether a visit from another column may be dropped here


def week_start(locale: str) -> int:
    """The locale's first day of the week, counted as ``date.weekday`` does (0 Monday)."""
    return (first_weekday(locale) - 1) % 7


def column_kind(raw: str | None, errors: dict[str, str]) -> str:
    """Whether the day view has a column per practitioner or per room (practitioners unless
    asked), with a message for anything else."""
    if raw in (None, ""):
        return "practitioners"
    if raw not in COLUMN_KINDS:
        errors["columns"] = "Choose a column per practitioner or per room."
        return "practitioners"
    return str(raw)


def columns_for(
    view: str,
    kind: str,
    wanted: dict[str, int | None],
    choices: Choices,
    visits: Iterable[CalendarVisit] = (),
) -> list[Column]:
    """A column per practitioner (or room) in the day view of everyone's visits; otherwise the
    one calendar asked for.

    No visit of the day is left without a column: a practitioner or room no longer active
    who still has ``visits`` that day gets one, marked inactive, after the active ones; in
    the room view, visits that take no room get a "No room" column last. Neither takes
    visits dropped from another column.
    """
    everyone = wanted["practitioner_id"] is None and wanted["room_id"] is None
    if view != "day" or not everyone:
        return [Column("", wanted["practitioner_id"], wanted["room_id"])]
    visits = list(visits)
    if kind == "rooms":
        columns = [Column(name, room_id=rid) for rid, name in choices.rooms]
        listed = {rid for rid, _ in choices.rooms}
        held = {v.room_id: v.room_name for v in visits if v.room_id is not None}
        columns += [
            Column(f"{name} (inactive)", room_id=rid, takes_drops=False)
            for rid, name in _by_name(held, listed)
        ]
        if any(v.room_id is None for v in visits):
            columns.append(Column("No room", no_room=True, takes_drops=False))
        return columns
    columns = [Column(name, practitioner_id=pid) for pid, name in choices.practitioners]
    listed = {pid for pid, _ in choices.practitioners}
    held_by = {v.practitioner_id: v.practitioner_name for v in visits}
    return columns + [
        Column(f"{name} (inactive)", practitioner_id=pid, takes_drops=False)
        for pid, name in _by_name(held_by, listed)
    ]


def _by_name(held: Mapping[int, str | None], listed: set[int]) -> list[tuple[int, str]]:
    """The ids in ``held`` that are not ``listed``, with their names, in name order."""
    missing = [(i, name or "") for i, name in held.items() if i not in listed]
    return sorted(missing, key=lambda pair: (pair[1], pair[0]))


def calendar_words(first: date, last: date, locale: str) -> dict[str, Any]:
    """What the page and FullCalendar show: the title, each day's heading, every slot's time,
    the locale's tag and its first day of the week."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    slots = [
        time(minute // 60, minute % 60)
        for minute in range(FIRST_HOUR * 60, LAST_HOUR * 60, SLOT_MINUTES)
    ]
    options = {
        "locale": tag(locale),
        "firstDay": first_weekday(locale),
        "days": {d.isoformat(): short_day(d, locale) for d in days},
        "slots": {f"{t:%H:%M}": clock_time(t, locale) for t in slots},
    }
    return {
        "title": days_title(first, last, locale),
        "day_words": {d: long_day(d, locale) for d in days},
        "fc_options": json.dumps(options, ensure_ascii=False),
    }
