"""Appointments between two dates as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.errors import ValidationFailed
from scheduler.models import Appointment

MAX_DAYS = 366
# A cell starting with one of these is read as a formula by spreadsheets (OWASP "CSV
# injection"); tab and carriage return can hide such a start.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = [
    "appointment_id",
    "date",
    "start",
    "end",
    "status",
    "service",
    "practitioner",
    "room",
    "patient_id",
    "first_name",
    "last_name",
    "phone",
    "course_id",
    "visit_number",
    "booked_via",
]


def parse_range(raw_from: str | None, raw_to: str | None) -> tuple[date, date]:
    """Two local dates, both included, at most a year apart.

    :raise ValidationFailed: on "from" or "to" with what is wrong.
    """
    errors: dict[str, list[str]] = {}
    start, end = _date(errors, "from", raw_from), _date(errors, "to", raw_to)
    if start is None or end is None:
        raise ValidationFailed(errors)
    if end < start:
        raise ValidationFailed({"to": ["The end date must be on or after the start date."]})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed({"to": [f"Choose at most {MAX_DAYS} days."]})
    return start, end


def _date(errors: dict[str, list[str]], field: str, raw: str | None) -> date | None:
    """A date written YYYY-MM-DD; None, with a message in ``errors``, if it is not one."""
    text = (raw or "").strip()
    if not text:
        errors[field] = ["Enter a date."]
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        errors[field] = ["Enter a date as YYYY-MM-DD, like 2026-03-01."]
        return None


def safe_cell(value: object) -> str:
    """The value as text, with a leading quote when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def appointments_between(
    session: Session, start: date, end: date, zone: ZoneInfo
) -> Iterator[Appointment]:
    """Every appointment starting on a local day from ``start`` to ``end``, in time order."""
    begin = datetime.combine(start, time(0), zone)
    finish = datetime.combine(end + timedelta(days=1), time(0), zone)
    yield from session.scalars(
        select(Appointment)
        .where(Appointment.starts_at >= begin, Appointment.starts_at < finish)
        .options(
            selectinload(Appointment.patient),
            selectinload(Appointment.practitioner),
            selectinload(Appointment.service),
            selectinload(Appointment.room),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )


def row(visit: Appointment, zone: ZoneInfo) -> list[str]:
    start = visit.starts_at.astimezone(zone)
    end = visit.ends_at.astimezone(zone)
    values: list[object] = [
        visit.id,
        start.date().isoformat(),
        start.strftime("%H:%M"),
        end.strftime("%H:%M"),
        visit.status.value,
        visit.service.name,
        visit.practitioner.name,
        visit.room.name if visit.room else "",
        visit.patient_id,
        visit.patient.first_name,
        visit.patient.last_name,
        visit.patient.phone_e164,
        visit.course_id or "",
        visit.visit_number or "",
        visit.booked_via,
    ]
    return [safe_cell(v) for v in values]


def appointments_csv(session: Session, start: date, end: date, zone: ZoneInfo) -> str:
    """The CSV document (a header row, then one row per appointment), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for visit in appointments_between(session, start, end, zone):
        writer.writerow(row(visit, zone))
    return out.getvalue()
