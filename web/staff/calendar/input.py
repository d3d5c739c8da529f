"""Reading the staff calendar's query parameters and form fields, in the clinic's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

MAX_RANGE = timedelta(days=42)
MAX_ID = 2**31 - 1
FIRST_YEAR, LAST_YEAR = 2000, 2100


class BadInput(ValueError):
    """One field is wrong; ``field`` names it, the message says how to put it right."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def local_moment(value: Any, zone: ZoneInfo, field: str) -> datetime:
    """An ISO 8601 date or date-time as aware UTC; without an offset it is the clinic's time.

    :raise BadInput: if the value is missing or not such a date.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        raise BadInput(field, f"Give '{field}' as a date or date-time, e.g. 2026-03-02T09:00.")
    text = value.strip()
    if "T" in text:
        text = text.replace(" ", "+")  # a "+" sent unencoded in a query string
    try:
        moment = (
            datetime.fromisoformat(text)
            if "T" in text
            else datetime.combine(date.fromisoformat(text), time.min)
        )
    except ValueError:
        raise BadInput(
            field, f"'{field}' is not a date: use the form 2026-03-02 or 2026-03-02T09:00."
        ) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise BadInput(field, f"'{field}' must fall between {FIRST_YEAR} and {LAST_YEAR}.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class Range:
    start: datetime
    end: datetime


def event_range(start: Any, end: Any, zone: ZoneInfo) -> Range:
    """The [start, end) the events feed was asked for: end after start, at most 42 days.

    :raise BadInput: for a missing or malformed date, a reversed or a too long range.
    """
    first = local_moment(start, zone, "start")
    last = local_moment(end, zone, "end")
    if last <= first:
        raise BadInput("end", "'end' must be after 'start'.")
    if last - first > MAX_RANGE:
        raise BadInput("end", "Ask for at most 42 days at a time.")
    return Range(first, last)


def optional_id(value: Any, field: str) -> int | None:
    """A record id from a query string, form or JSON body; empty means none.

    :raise BadInput: if it is not a whole number from 1 up.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadInput(field, "Choose one from the list.")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 10:
        number = int(value.strip())
    else:
        raise BadInput(field, "Choose one from the list.")
    if not 1 <= number <= MAX_ID:
        raise BadInput(field, "Choose one from the list.")
    return number


def day_of(value: str | None, default: date | None) -> date:
    """A day from ``YYYY-MM-DD``; ``default`` when not given.

    :raise BadInput: if it is not a date, or not given and there is no default.
    """
    if not value:
        if default is None:
            raise BadInput("date", "Enter the date as YYYY-MM-DD, e.g. 2026-03-02.")
        return default
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput("date", "Enter the date as YYYY-MM-DD, e.g. 2026-03-02.") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadInput("date", f"Choose a date between {FIRST_YEAR} and {LAST_YEAR}.")
    return day


def clock_time(value: str | None) -> time:
    """A time of day from ``HH:MM``.

    :raise BadInput: if it is missing or not a time.
    """
    try:
        parsed = time.fromisoformat((value or "").strip())
    except ValueError:
        raise BadInput("time", "Enter the time as HH:MM, e.g. 09:30.") from None
    if parsed.second or parsed.microsecond or parsed.tzinfo:
        raise BadInput("time", "Enter the time as HH:MM, e.g. 09:30.")
    return parsed


def days_shown(day: date, view: str, week_start: int = 0) -> tuple[date, date]:
    """The first and last day of a day view, or of the week holding ``day`` that starts on
    ``week_start`` (0 Monday, as ``date.weekday`` counts; the clinic's locale says which)."""
    if view == "day":
        return day, day
    first = day - timedelta(days=(day.weekday() - week_start) % 7)
    return first, first + timedelta(days=6)


def local_bounds(first: date, last: date, zone: ZoneInfo) -> Range:
    """The UTC instants at which those local days begin and the day after ``last`` begins."""
    utc = ZoneInfo("UTC")
    return Range(
        datetime.combine(first, time.min, tzinfo=zone).astimezone(utc),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(utc),
    )
