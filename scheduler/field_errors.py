"""The one collector of per-field messages for every form and JSON body, with set-up readers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.errors import ValidationFailed
from scheduler.models import CourseTemplate, Room, Service

TIME_OF_DAY = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


class FieldErrors:
    """Messages per field, raised together so a form can show each next to its field.

    Field names are the flat names the use case reads (``first_name``, ``day``, ``name``);
    an entry point places them where its input had them (the API nests the booking's patient
    and consent fields), so every entry point shows the same words.
    """

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        """Add ``message`` to ``field``'s list, after any it already has."""
        self.fields.setdefault(field, []).append(message)

    def __contains__(self, field: str) -> bool:
        return field in self.fields

    def raise_if_any(self) -> None:
        """:raise ValidationFailed: if any message was added."""
        if self.fields:
            raise ValidationFailed(self.fields)

    def text(self, field: str, value: str, *, longest: int, required: bool = True) -> str:
        """``value`` stripped; a message if it is empty (when required), too long or has
        control characters."""
        value = (value or "").strip()
        if not value:
            if required:
                self.add(field, "This is required.")
            return ""
        if len(value) > longest:
            self.add(field, f"Use at most {longest} characters.")
        elif any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            self.add(field, "Use letters, digits, spaces and punctuation only.")
        return value

    def unique_name(
        self,
        session: Session,
        value: str,
        model: type[Service] | type[Room] | type[CourseTemplate],
        *,
        editing: int | None,
        longest: int,
        taken: str,
    ) -> str:
        """The "name" field checked as ``text``, with ``taken`` as its message when another
        ``model`` row (not the one ``editing``) has that name, letter case aside."""
        name = self.text("name", value, longest=longest)
        if name and "name" not in self:
            same = select(model.id).where(func.lower(model.name) == name.lower())
            if editing is not None:
                same = same.where(model.id != editing)
            if session.scalar(same) is not None:
                self.add("name", taken)
        return name

    def whole_number(self, field: str, value: str | int, lowest: int, highest: int) -> int:
        """``value`` as a whole number within [lowest, highest]; 0 with a message otherwise."""
        try:
            number = value if isinstance(value, int) else int(str(value).strip())
        except ValueError:
            self.add(field, "Enter a whole number.")
            return 0
        if not lowest <= number <= highest:
            self.add(field, f"Enter a number from {lowest} to {highest}.")
        return number

    def optional_date(self, field: str, value: str | date | None) -> date | None:
        """A date written as YYYY-MM-DD, or None when left empty."""
        if value is None or isinstance(value, date):
            return value
        value = value.strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.add(field, "Enter a date like 2027-03-31.")
            return None

    def local_moment(self, field: str, value: str | datetime, zone: ZoneInfo) -> datetime | None:
        """A wall-clock date and time in the clinic's zone (``2026-04-03T09:00``), as UTC."""
        if isinstance(value, datetime):
            moment = value
        else:
            text = (value or "").strip()
            if not text:
                self.add(field, "Enter a date and time.")
                return None
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                self.add(field, "Enter a date and time like 2026-04-03 09:00.")
                return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(UTC)


def parse_time_of_day(text: str) -> time | None:
    """``9:00``, ``09:00`` or ``09.00`` as a time; None if it is not one (24:00 is not)."""
    match = TIME_OF_DAY.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)
