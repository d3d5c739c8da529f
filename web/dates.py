"""Dates and times as the clinic's locale writes them (CLDR, through Babel and Flask-Babel)."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_time,
    get_datetime_format,
    get_time_format,
)
from flask import Flask
from flask_babel import Babel

from scheduler.config import Settings


def init_babel(app: Flask, settings: Settings) -> None:
    """Flask-Babel for the app: every page speaks the clinic's locale in the clinic's zone."""
    Babel(
        app,
        locale_selector=lambda: settings.clinic_locale,
        timezone_selector=lambda: settings.zone.key,
    )
    app.add_template_filter(lambda at: clock_time(at, settings.clinic_locale), "clock")


@lru_cache(maxsize=512)
def long_day(day: date, locale: str) -> str:
    """The whole date in words: "Wednesday, 2 December 2026" in en-GB."""
    return format_date(day, "full", locale=locale)


@lru_cache(maxsize=512)
def short_day(day: date, locale: str) -> str:
    """A day heading in a week: "Wed 4 Mar" in en-GB, "Wed, Mar 4" in en-US."""
    return format_skeleton("MMMEd", day, locale=locale)


def days_title(first: date, last: date, locale: str) -> str:
    """The days a page shows: one whole date, or a range like "30 Nov - 6 Dec 2026" (with
    CLDR's en dash between thin spaces)."""
    if first == last:
        return long_day(first, locale)
    return format_interval(first, last, "yMMMd", locale=locale)


@lru_cache(maxsize=2048)
def clock_time(at: time, locale: str) -> str:
    """A time of day: "14:00" in en-GB, "2:00 PM" in en-US."""
    return format_time(at, "short", locale=locale)


@lru_cache(maxsize=4096)
def time_span(start: time, end: time, locale: str) -> str:
    """From one time of day to another: "12:00-12:45" in en-GB (with an en dash)."""
    return format_interval(start, end, _skeleton(locale), locale=locale)


@lru_cache(maxsize=16)
def _skeleton(locale: str) -> str:
    """Hours and minutes on the locale's clock: "Hm" (24 hours) or "hm" (12, with AM/PM)."""
    return "hm" if "h" in get_time_format("short", locale=locale).pattern else "Hm"


def visit_when(start: datetime, end: datetime, zone: ZoneInfo, locale: str) -> str:
    """When a visit is, in the clinic's zone: "Wednesday, 2 December 2026, 12:00-12:45"."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    return day_and_span(first.date(), first.time(), last.time(), locale)


@lru_cache(maxsize=4096)
def day_and_span(day: date, start: time, end: time, locale: str) -> str:
    """A day in words and two times on it, joined as the locale joins a date and a time."""
    return _joining(locale).format(time_span(start, end, locale), long_day(day, locale))


@lru_cache(maxsize=16)
def _joining(locale: str) -> str:
    """How the locale joins a date ({1}) and a time ({0}): "{1}, {0}" in English."""
    return str(get_datetime_format("medium", locale=locale)).replace("'", "")


def first_weekday(locale: str) -> int:
    """The locale's first day of the week as FullCalendar counts (0 Sunday, 1 Monday...)."""
    return (Locale.parse(locale).first_week_day + 1) % 7


def tag(locale: str) -> str:
    """The locale as a BCP 47 tag for the browser's Intl and FullCalendar: "en-GB"."""
    return str(Locale.parse(locale)).replace("_", "-")
