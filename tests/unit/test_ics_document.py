"""iCalendar text rules (RFC 5545): escaping, folding at 75 octets, UTC times, CRLF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from scheduler.calendar.feeds import short_name
from scheduler.calendar.ics import IcsEvent, calendar_text, escape_text, fold, utc_stamp


def test_text_values_escape_backslash_semicolon_comma_and_line_breaks() -> None:
    assert escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"
    assert escape_text("bell\x07 tab\t") == "bell tab\t"


def test_a_long_line_is_folded_at_75_octets_without_splitting_a_character() -> None:
    line = "SUMMARY:" + "é" * 100  # two octets each
    folded = fold(line)
    physical = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert folded.replace("\r\n ", "") == line
    assert fold("SHORT:x") == "SHORT:x"


def test_a_line_of_exactly_75_octets_is_not_folded() -> None:
    line = "X" * 75
    assert fold(line) == line
    assert fold(line + "Y") == line + "\r\n Y"


def test_times_are_written_in_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert utc_stamp(datetime(2026, 3, 4, 12, 0, tzinfo=plus_two)) == "20260304T100000Z"
    with pytest.raises(ValueError):
        utc_stamp(datetime(2026, 3, 4, 12, 0))


def test_a_calendar_has_crlf_lines_and_one_event_per_visit() -> None:
    start = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    text = calendar_text(
        [
            IcsEvent(
                "appointment-7@clinic.test",
                start,
                start + timedelta(minutes=45),
                "Ana S.: Tui Na, neck",
            )
        ],
        name="Clinic; Dr Lin",
        product="Clinic",
        now=start,
    )
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert "\nSUMMARY:Ana S.: Tui Na\\, neck\r\n" in text
    assert "X-WR-CALNAME:Clinic\\; Dr Lin\r\n" in text
    assert "DTSTART:20260304T100000Z\r\nDTEND:20260304T104500Z\r\n" in text
    assert text.count("BEGIN:VEVENT") == 1
    assert "\n" not in text.replace("\r\n", "")


def test_a_feed_names_a_patient_by_first_name_and_last_initial() -> None:
    assert short_name(" Ana ", "Silva") == "Ana S."
    assert short_name("Ana", "") == "Ana"
