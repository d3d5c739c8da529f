"""Bank holidays as clinic closures: one closure per holiday, named after it, from `holidays`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.errors import ValidationFailed
from scheduler.models import Appointment, Closure
from scheduler.setup.services import upcoming_visits

# How far ahead a year may be seeded: this year and the next two cover the next 12 to 24 months
# whatever the month; further out, governments have not always fixed the dates.
YEARS_AHEAD = 2
LONGEST_NAME = 200


@dataclass(frozen=True)
class Region:
    """Where the clinic is, as the `holidays` library names it: ``GB`` and ``ENG``."""

    country: str
    subdivision: str = ""


@dataclass(frozen=True)
class BankHolidaysAdded:
    """The closures added, how many holidays were already closed, and the visits booked in them."""

    year: int
    added: list[Closure]
    already_closed: int
    clashes: int


def bank_holiday_years(today: date) -> list[int]:
    """The years whose bank holidays staff may add: this one and the next ``YEARS_AHEAD``."""
    return list(range(today.year, today.year + YEARS_AHEAD + 1))


def regions_of(country: str) -> list[str]:
    """The regions of ``country`` whose holidays differ (GB: ENG, NIR, SCT, WLS), if any."""
    return sorted(holidays.list_supported_countries().get(country, []))


def holidays_in(region: Region, year: int) -> list[tuple[date, str]]:
    """The region's bank holidays in ``year``, in date order, each with its name."""
    found = holidays.country_holidays(region.country, subdiv=region.subdivision or None, years=year)
    return sorted(found.items())


def _year(value: int | str, today: date) -> int:
    """:raise ValidationFailed: on ``year`` if it is not one of ``bank_holiday_years``."""
    allowed = bank_holiday_years(today)
    try:
        year = int(str(value).strip())
    except ValueError:
        year = 0
    if year not in allowed:
        raise ValidationFailed({"year": [f"Choose a year from {allowed[0]} to {allowed[-1]}."]})
    return year


def _day(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day from midnight to midnight, as instants (a clock change day is 23 or 25h)."""
    starts = datetime.combine(day, time(0), tzinfo=zone)
    ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return starts.astimezone(UTC), ends.astimezone(UTC)


def _closed_all_day(session: Session, starts: datetime, ends: datetime) -> bool:
    return (
        session.scalars(
            select(Closure.id).where(Closure.starts_at <= starts, Closure.ends_at >= ends)
        ).first()
        is not None
    )


def add_bank_holidays(
    session: Session, year: int | str, *, region: Region, zone: ZoneInfo, now: datetime
) -> BankHolidaysAdded:
    """Close the clinic on each of the region's bank holidays in ``year`` that has not yet
    ended: one closure per holiday, midnight to midnight local time, named after it. A day
    already closed all day (seeded before, or added by hand) is left as it is, so adding
    twice adds nothing. Visits already booked on a holiday stay and are counted, for staff
    to move.

    :raise ValidationFailed: on ``year`` if it is not this year or one of the next two;
        nothing is written.
    """
    chosen = _year(year, now.astimezone(zone).date())
    added, already = _new_closures(session, holidays_in(region, chosen), zone, now)
    session.add_all(added)
    session.flush()
    return BankHolidaysAdded(chosen, added, already, _clashes(session, added, now))


def _new_closures(
    session: Session, days: list[tuple[date, str]], zone: ZoneInfo, now: datetime
) -> tuple[list[Closure], int]:
    """A closure for each holiday still to come and not yet closed all day; and how many
    were already closed."""
    added: list[Closure] = []
    already = 0
    for day, name in days:
        starts, ends = _day(day, zone)
        if ends <= now:
            continue
        if _closed_all_day(session, starts, ends):
            already += 1
            continue
        added.append(Closure(starts_at=starts, ends_at=ends, reason=name[:LONGEST_NAME]))
    return added, already


def _clashes(session: Session, closures: list[Closure], now: datetime) -> int:
    return sum(
        upcoming_visits(
            session, now, Appointment.starts_at < c.ends_at, Appointment.ends_at > c.starts_at
        )
        for c in closures
    )


def add_coming_bank_holidays(
    session: Session, *, region: Region, zone: ZoneInfo, now: datetime
) -> list[Closure]:
    """Close the clinic on the bank holidays of this year and the next (the demo clinic's
    closures); idempotent like ``add_bank_holidays``."""
    this_year = now.astimezone(zone).year
    return [
        closure
        for year in (this_year, this_year + 1)
        for closure in add_bank_holidays(session, year, region=region, zone=zone, now=now).added
    ]
