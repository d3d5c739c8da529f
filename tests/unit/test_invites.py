"""Calendar invites: a REQUEST or CANCEL any calendar app reads, times in UTC, UID kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from scheduler.calendar.invites import invite

LONDON = ZoneInfo("Europe/London")
# 10:00 in London during summer time is 09:00 UTC.
STARTS = datetime(2026, 6, 2, 10, 0, tzinfo=LONDON)
STAMP = datetime(2026, 5, 30, 8, 15, tzinfo=UTC)


def _invite(**changes: Any) -> str:
    values: dict[str, Any] = {
        "uid": "visit-42@book.example.test",
        "sequence": 0,
        "method": "REQUEST",
        "starts_at": STARTS,
        "ends_at": STARTS + timedelta(minutes=45),
        "summary": "Physiotherapy, first visit; bring shorts",
        "location": "Clearwater Clinic, 1 High St",
        "organizer_email": "bookings@clinic.example",
        "organizer_name": "Clínica Norte, Reception",
        "attendee_email": "jose@example.com",
        "attendee_name": "Ñúñez, José",
        "description": "Arrive 10 minutes early.\nMove or cancel: https://book.example/m/…",
        "stamp": STAMP,
    }
    values.update(changes)
    return invite(**values)


def _event(ics: str) -> Any:
    calendar = Calendar.from_ical(ics)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def test_a_request_reads_back_whole() -> None:
    calendar, event = _event(_invite())

    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//")
    assert str(event["UID"]) == "visit-42@book.example.test"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 6, 2, 9, 45, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == STAMP
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Physiotherapy, first visit; bring shorts"
    assert str(event["LOCATION"]) == "Clearwater Clinic, 1 High St"
    assert str(event["DESCRIPTION"]).splitlines() == [
        "Arrive 10 minutes early.",
        "Move or cancel: https://book.example/m/…",
    ]
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:bookings@clinic.example"
    assert organizer.params["CN"] == "Clínica Norte, Reception"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:jose@example.com"
    assert attendee.params["CN"] == "Ñúñez, José"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"


def test_times_are_written_in_utc_with_a_z() -> None:
    text = _invite()
    assert "DTSTART:20260602T090000Z" in text
    assert "DTEND:20260602T094500Z" in text
    assert "TZID" not in text


def test_lines_end_with_crlf_and_fold_at_75_octets() -> None:
    text = _invite(description="x" * 300)
    lines = text.split("\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "\n" not in text.replace("\r\n", "")


def test_a_cancel_keeps_the_uid_and_marks_the_event_cancelled() -> None:
    calendar, event = _event(_invite(method="CANCEL", sequence=3))

    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == "visit-42@book.example.test"
    assert int(event["SEQUENCE"]) == 3
    assert str(event["STATUS"]) == "CANCELLED"
    assert "PARTSTAT" not in event["ATTENDEE"].params
    assert str(event["ATTENDEE"]) == "mailto:jose@example.com"


def test_a_move_is_the_same_uid_with_a_higher_sequence_and_the_new_time() -> None:
    _, first = _event(_invite())
    _, moved = _event(
        _invite(
            sequence=1,
            starts_at=STARTS + timedelta(days=1),
            ends_at=STARTS + timedelta(days=1, minutes=45),
        )
    )
    assert moved["UID"] == first["UID"]
    assert int(moved["SEQUENCE"]) > int(first["SEQUENCE"])
    assert moved.decoded("DTSTART") == datetime(2026, 6, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"method": "PUBLISH"}, "method"),
        ({"starts_at": datetime(2026, 6, 2, 10, 0)}, "starts_at"),
        ({"stamp": datetime(2026, 6, 2, 10, 0)}, "stamp"),
        ({"ends_at": STARTS}, "after"),
        ({"sequence": -1}, "sequence"),
    ],
)
def test_malformed_invites_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _invite(**changes)
