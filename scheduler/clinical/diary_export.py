"""The diary as a CSV file for the patient's doctor: one row per recorded day, formula-safe."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from scheduler.clinical.diary_choices import trigger_label
from scheduler.models import DiaryDay

HEADER = (
    "date",
    "headache",
    "worst_pain_0_10",
    "hours_of_headache",
    "acute_medication",
    "medication_class",
    "menstruation",
    "sleep_hours",
    "stress_0_10",
    "triggers",
    "notes",
    "recorded_by",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell's text, with a leading quote when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def diary_csv(entries: Iterable[DiaryDay]) -> str:
    """A header and one row per day entry, oldest first, every cell formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for entry in sorted(entries, key=lambda e: e.day):
        row = (
            entry.day.isoformat(),
            _yes_no(entry.headache),
            entry.worst_pain,
            _number(entry.hours),
            _yes_no(entry.acute_medication),
            entry.medication_class.value
            if entry.medication_class and entry.acute_medication
            else "",
            _yes_no(entry.menstruation),
            _number(entry.sleep_hours),
            "" if entry.stress is None else entry.stress,
            "; ".join(trigger_label(code) for code in entry.triggers or []),
            entry.notes or "",
            "text message" if entry.source == "sms" else "web",
        )
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
