"""The calendar page's columns and the words it hands FullCalendar."""

from __future__ import annotations

import json
from datetime import date

from scheduler.calendar.read_model import CalendarVisit
from scheduler.models import AppointmentStatus
from web.staff.calendar.choices import Choices
from web.staff.calendar.columns import (
    Column,
    calendar_words,
    column_kind,
    columns_for,
    week_start,
)
from web.staff.calendar.input import days_shown

CHOICES = Choices(practitioners=[(1, "Dr Mei Lin"), (3, "Sara Novak")], rooms=[(7, "Room 1")])
EVERYONE: dict[str, int | None] = {"practitioner_id": None, "room_id": None}


def test_everyones_day_has_a_column_per_practitioner_or_per_room() -> None:
    assert columns_for("day", "practitioners", EVERYONE, CHOICES) == [
        Column("Dr Mei Lin", practitioner_id=1),
        Column("Sara Novak", practitioner_id=3),
    ]
    assert columns_for("day", "rooms", EVERYONE, CHOICES) == [Column("Room 1", room_id=7)]


def test_one_practitioners_day_or_any_week_is_one_calendar() -> None:
    one: dict[str, int | None] = {"practitioner_id": 3, "room_id": None}
    assert columns_for("day", "practitioners", one, CHOICES) == [Column("", 3, None)]
    assert columns_for("week", "rooms", EVERYONE, CHOICES) == [Column("", None, None)]


def test_an_unknown_column_kind_is_explained_and_practitioners_are_shown() -> None:
    errors: dict[str, str] = {}
    assert column_kind("chairs", errors) == "practitioners"
    assert errors == {"columns": "Choose a column per practitioner or per room."}
    assert column_kind(None, {}) == "practitioners"
    assert column_kind("rooms", {}) == "rooms"


def test_a_british_week_starts_on_monday_and_an_american_one_on_sunday() -> None:
    assert week_start("en_GB") == 0
    assert week_start("en_US") == 6
    wednesday = date(2026, 3, 4)
    assert days_shown(wednesday, "week", week_start("en_GB")) == (
        date(2026, 3, 2),
        date(2026, 3, 8),
    )
    assert days_shown(wednesday, "week", week_start("en_US")) == (
        date(2026, 3, 1),
        date(2026, 3, 7),
    )


def test_fullcalendar_is_handed_every_word_it_shows() -> None:
    words = calendar_words(date(2026, 3, 2), date(2026, 3, 8), "en_GB")
    options = json.loads(words["fc_options"])
    assert options["locale"] == "en-GB" and options["firstDay"] == 1
    assert options["days"]["2026-03-04"] == "Wed 4 Mar"
    assert options["slots"]["07:00"] == "07:00" and options["slots"]["19:45"] == "19:45"
    assert words["day_words"][date(2026, 3, 4)] == "Wednesday, 4 March 2026"


def _visit(practitioner: tuple[int, str], room: tuple[int | None, str | None]) -> CalendarVisit:
    return CalendarVisit(
        1, 0, 45, AppointmentStatus.BOOKED, 1, "Ana Silva", "Massage", *practitioner, *room, None
    )


def test_a_visit_of_an_inactive_practitioner_or_room_or_of_no_room_keeps_a_column() -> None:
    visits = [_visit((9, "Old Hand"), (8, "Room 9")), _visit((1, "Dr Mei Lin"), (None, None))]
    assert columns_for("day", "practitioners", EVERYONE, CHOICES, visits)[2:] == [
        Column("Old Hand (inactive)", practitioner_id=9, takes_drops=False)
    ]
    assert columns_for("day", "rooms", EVERYONE, CHOICES, visits) == [
        Column("Room 1", room_id=7),
        Column("Room 9 (inactive)", room_id=8, takes_drops=False),
        Column("No room", no_room=True, takes_drops=False),
    ]
    assert columns_for("day", "rooms", EVERYONE, CHOICES, visits[:1])[-1].label != "No room"
