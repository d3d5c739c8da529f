"""Dates and times in the clinic's locale: the words the staff calendar shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from web.dates import (
    clock_time,
    days_title,
    first_weekday,
    long_day,
    short_day,
    tag,
    time_span,
    visit_when,
)

LONDON = ZoneInfo("Europe/London")
DASH = "\u2013"  # CLDR joins two times with an en dash
RANGE = f"\u2009{DASH}\u2009"  # and two dates with one between thin spaces


def test_a_british_week_reads_day_month_year_without_repeating_the_year() -> None:
    assert days_title(date(2026, 11, 30), date(2026, 12, 6), "en_GB") == f"30 Nov{RANGE}6 Dec 2026"


def test_an_american_week_reads_month_first() -> None:
    assert days_title(date(2026, 11, 30), date(2026, 12, 6), "en_US") == f"Nov 30{RANGE}Dec 6, 2026"


def test_a_week_across_new_year_names_both_years() -> None:
    assert days_title(date(2026, 12, 28), date(2027, 1, 3), "en_GB") == (
        f"28 Dec 2026{RANGE}3 Jan 2027"
    )


def test_one_day_is_the_whole_date_in_words() -> None:
    assert days_title(date(2026, 12, 2), date(2026, 12, 2), "en_GB") == long_day(
        date(2026, 12, 2), "en_GB"
    )
    assert "Wednesday" in long_day(date(2026, 12, 2), "en_GB")
    assert "2 December 2026" in long_day(date(2026, 12, 2), "en_GB")


def test_a_visit_reads_its_day_in_words_and_its_times_on_the_clinic_clock() -> None:
    start = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    end = datetime(2026, 12, 2, 12, 45, tzinfo=UTC)
    words = visit_when(start, end, LONDON, "en_GB")
    assert words == f"Wednesday, 2 December 2026, 12:00{DASH}12:45"


def test_a_summer_visit_is_shown_in_british_summer_time() -> None:
    start = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    end = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    assert visit_when(start, end, LONDON, "en_GB").endswith(f"10:00{DASH}10:30")


def test_times_follow_the_locales_clock() -> None:
    assert clock_time(time(14, 0), "en_GB") == "14:00"
    assert clock_time(time(7, 0), "en_GB") == "07:00"
    assert "PM" in clock_time(time(14, 0), "en_US")
    assert time_span(time(12, 0), time(12, 45), "en_GB") == f"12:00{DASH}12:45"
    assert "PM" in time_span(time(12, 0), time(12, 45), "en_US")


def test_a_weekday_heading_is_short() -> None:
    assert short_day(date(2026, 3, 4), "en_GB") == "Wed 4 Mar"
    assert short_day(date(2026, 3, 4), "en_US") == "Wed, Mar 4"


def test_the_week_starts_on_the_locales_first_day() -> None:
    assert first_weekday("en_GB") == 1  # Monday, as FullCalendar counts
    assert first_weekday("en_US") == 0  # Sunday


def test_the_locale_is_tagged_for_the_browser() -> None:
    assert tag("en_GB") == "en-GB"
    assert tag("de_DE") == "de-DE"
