"""Texts name the visit's day as it reads when they arrive: today, tomorrow, or its date."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduler.messaging.texts import MessageContext, day_word, render, reword_day
from scheduler.models import MessageKind

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")


def at(zone: ZoneInfo, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=zone)


@pytest.mark.parametrize(
    ("visit", "sends", "word"),
    [
        (at(LONDON, 11, 9), at(LONDON, 11, 7), "today"),
        (at(LONDON, 11, 9), at(LONDON, 10, 19, 59), "tomorrow"),
        (at(LONDON, 11, 9), at(LONDON, 9, 9), "on Wed 11 Mar"),
        (at(LONDON, 11, 9), at(LONDON, 10, 23, 59), "tomorrow"),
        (at(LONDON, 11, 9), at(LONDON, 11, 0, 0), "today"),
        (at(NEW_YORK, 11, 9), at(LONDON, 11, 1), "tomorrow"),  # 20:00 the evening before there
        (at(SYDNEY, 11, 9), at(LONDON, 10, 21), "today"),  # 08:00 on the day in Sydney
        (at(LONDON, 29, 9), at(LONDON, 28, 19, 59), "tomorrow"),  # the clocks go forward
    ],
)
def test_the_day_word_is_chosen_for_the_send_time_in_the_visits_own_zone(
    visit: datetime, sends: datetime, word: str
) -> None:
    assert day_word(visit, sends) == word


def test_with_no_send_time_the_day_is_named_by_its_date() -> None:
    assert day_word(at(LONDON, 11, 9), None) == "on Wed 11 Mar"


def context(sends_at: datetime | None) -> MessageContext:
    return MessageContext(
        first_name="Eve",
        local_start=at(LONDON, 11, 9),
        clinic_name="Clearwater Clinic",
        clinic_phone="+44 20 7946 0000",
        manage_url="http://127.0.0.1:5101/m/" + "A" * 22,
        sends_at=sends_at,
    )


def test_a_short_reminder_sent_the_evening_before_says_tomorrow() -> None:
    text = render(MessageKind.REMINDER_2H, context(at(LONDON, 10, 19, 59)))
    assert "see you at 09:00 tomorrow at Clearwater Clinic" in text
    assert "today" not in text


def test_a_short_reminder_sent_on_the_day_says_today() -> None:
    text = render(MessageKind.REMINDER_2H, context(at(LONDON, 11, 7)))
    assert "see you at 09:00 today at Clearwater Clinic" in text


@pytest.mark.parametrize(
    ("worded_for", "sends", "word"),
    [
        (at(LONDON, 10, 19, 59), at(LONDON, 11, 8), "today"),
        (at(LONDON, 11, 7), at(LONDON, 11, 8), "today"),
        (at(LONDON, 9, 19, 59), at(LONDON, 10, 8), "tomorrow"),
        (at(LONDON, 8, 12), at(LONDON, 10, 8), "tomorrow"),
    ],
)
def test_a_text_that_goes_on_another_day_has_its_day_word_made_true(
    worded_for: datetime, sends: datetime, word: str
) -> None:
    body = render(MessageKind.REMINDER_2H, context(worded_for))
    assert f"see you at 09:00 {word} at" in reword_day(body, at(LONDON, 11, 9), sends)


def test_a_text_without_a_day_word_is_kept_as_it_is() -> None:
    body = "Hi Eve, a reminder of your visit on Wed 11 Mar at 09:00."
    assert reword_day(body, at(LONDON, 11, 9), at(LONDON, 9, 9)) == body
    assert reword_day("Nothing to change", at(LONDON, 11, 9), at(LONDON, 11, 8)) == (
        "Nothing to change"
    )


def test_the_day_word_is_in_utc_too() -> None:
    assert day_word(datetime(2026, 3, 11, 9, tzinfo=UTC), at(LONDON, 10, 20)) == "tomorrow"
