"""Bank holidays as closures, on both databases: seeded, named, idempotent, removable, skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.calendar.availability import from_minutes
from scheduler.calendar.snapshot import free_slots
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.courses.booking import CourseRequest, plan_for_request
from scheduler.db import Database
from scheduler.errors import ValidationFailed
from scheduler.models import Closure, CourseTemplate
from scheduler.setup.bank_holidays import Region, add_bank_holidays, holidays_in
from scheduler.setup.hours import remove_closure
from tests.support.factories import booking_request, demo_clinic, ids
from tests.support.staff import create_accounts, csrf, log_in
from tests.support.table_rows import table_rows

LONDON = ZoneInfo("Europe/London")
ENGLAND = Region("GB", "ENG")
SCOTLAND = Region("GB", "SCT")
NOW = datetime(2026, 12, 13, 8, 0, tzinfo=UTC)  # a Sunday
CONSULTATION = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)  # Monday, GMT
CHRISTMAS = date(2026, 12, 25)
NEW_YEAR = date(2027, 1, 1)


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def seed(db: Database, year: int | str, region: Region = ENGLAND) -> list[tuple[str, str]]:
    """Add ``year``'s bank holidays; the added closures as (local start, name)."""
    with db.transaction() as session:
        result = add_bank_holidays(session, year, region=region, zone=LONDON, now=NOW)
        return [
            (c.starts_at.astimezone(LONDON).strftime("%d %b %H:%M"), c.reason) for c in result.added
        ]


def closures(db: Database) -> list[Closure]:
    with db.session() as session:
        return list(session.scalars(select(Closure).order_by(Closure.starts_at)))


def test_the_bank_holidays_still_to_come_are_added_as_whole_days_named_after_them(
    db: Database,
) -> None:
    assert seed(db, 2026) == [
        ("25 Dec 00:00", "Christmas Day"),
        ("26 Dec 00:00", "Boxing Day"),
        ("28 Dec 00:00", "Boxing Day (observed)"),
    ]
    added = seed(db, 2027)
    assert added[0] == ("01 Jan 00:00", "New Year's Day")
    assert ("29 Mar 00:00", "Easter Monday") in added
    summer = next(c for c in closures(db) if c.reason == "Late Summer Bank Holiday")
    # A BST day: local midnight to midnight is 23:00 to 23:00 UTC.
    assert (summer.starts_at, summer.ends_at) == (
        datetime(2027, 8, 29, 23, 0, tzinfo=UTC),
        datetime(2027, 8, 30, 23, 0, tzinfo=UTC),
    )


def test_adding_a_year_twice_adds_nothing_the_second_time(db: Database) -> None:
    first = seed(db, "2027")
    before = table_rows(db, Closure)
    with db.transaction() as session:
        again = add_bank_holidays(session, 2027, region=ENGLAND, zone=LONDON, now=NOW)
    assert (again.added, again.already_closed) == ([], len(first))
    assert table_rows(db, Closure) == before


def test_the_clinics_region_decides_which_holidays_are_added(db: Database) -> None:
    names = {name for _, name in seed(db, 2027, SCOTLAND)}
    assert "Saint Andrew's Day" in names and "Easter Monday" not in names
    assert "Easter Monday" in {name for _, name in holidays_in(ENGLAND, 2027)}


def test_a_seeded_holiday_can_be_removed_like_any_closure_and_the_others_stay(
    db: Database,
) -> None:
    seed(db, 2026)
    boxing = next(c for c in closures(db) if c.reason == "Boxing Day")
    with db.transaction() as session:
        remove_closure(session, boxing.id, NOW)
    assert [c.reason for c in closures(db)] == ["Christmas Day", "Boxing Day (observed)"]


@pytest.mark.parametrize("year", ["2025", "2029", "", "next", "2026.5"])
def test_a_year_not_this_one_or_the_next_two_is_refused_and_nothing_written(
    db: Database, year: str
) -> None:
    before = table_rows(db, Closure)
    with pytest.raises(ValidationFailed) as raised, db.transaction() as session:
        add_bank_holidays(session, year, region=ENGLAND, zone=LONDON, now=NOW)
    assert raised.value.fields == {"year": ["Choose a year from 2026 to 2028."]}
    assert table_rows(db, Closure) == before


def free_days(db: Database, settings: Settings, *days: date) -> dict[date, int]:
    """How many acupuncture starts each day offers with anyone."""
    service_id, _ = ids(db)
    with db.session() as session:
        return {
            day: len(
                free_slots(
                    session,
                    service_id=service_id,
                    first_day=day,
                    last_day=day,
                    zone=settings.zone,
                    now=NOW,
                )
            )
            for day in days
        }


def test_christmas_and_new_years_day_are_offered_until_seeded_and_then_never(
    db: Database, settings: Settings
) -> None:
    assert all(free_days(db, settings, CHRISTMAS, NEW_YEAR).values())
    seed(db, 2026)
    seed(db, 2027)
    assert free_days(db, settings, CHRISTMAS, NEW_YEAR) == {CHRISTMAS: 0, NEW_YEAR: 0}
    assert free_days(db, settings, date(2026, 12, 24))[date(2026, 12, 24)] > 0


def planned_days(db: Database, settings: Settings) -> list[date]:
    """The local days of a migraine course planned from Monday 14 December, Tuesdays and
    Fridays preferred (so 25 December and 1 January are the days it would want)."""
    with db.session() as session:
        template = session.scalars(
            select(CourseTemplate.id).where(CourseTemplate.code == "migraine")
        ).one()
        request = CourseRequest(
            template_id=template,
            booking=booking_request(db, CONSULTATION, service_code="initial"),
            weekdays=(1, 4),
        )
        plan = plan_for_request(session, request, settings=settings, now=NOW)[3]
    assert all(v.placed for v in plan)
    return [from_minutes(v.start or 0).astimezone(LONDON).date() for v in plan]


def test_a_course_plan_proposes_neither_christmas_nor_new_years_day_once_seeded(
    db: Database, settings: Settings
) -> None:
    assert {CHRISTMAS, NEW_YEAR} <= set(planned_days(db, settings))
    seed(db, 2026)
    seed(db, 2027)
    days = planned_days(db, settings)
    assert not {CHRISTMAS, NEW_YEAR, date(2026, 12, 28)} & set(days)
    assert len(days) == 14


@pytest.fixture
def logins(db: Database, clock: FrozenClock) -> dict[str, str]:
    return create_accounts(db, clock)


def test_the_closures_page_adds_a_years_bank_holidays_once_and_refuses_a_bad_year(
    db: Database, client: FlaskClient, logins: dict[str, str], clock: FrozenClock
) -> None:
    assert log_in(client, logins["admin"]) == 303
    token = csrf(client)
    listed = client.get("/staff/setup/closures").get_data(as_text=True)
    year = clock.now().year
    assert f"Add the bank holidays for {year}" in listed
    assert f"Add the bank holidays for {year + 2}" in listed
    url = "/staff/setup/closures/bank-holidays"
    added = client.post(url, data={"csrf_token": token, "year": year}, follow_redirects=True)
    page = added.get_data(as_text=True)
    count = len(closures(db))
    assert count >= 5 and f"{count} bank holiday(s) of {year} added as closures" in page
    assert f"Fri 25 Dec {year} 00:00" in page and "Christmas Day" in page
    again = client.post(url, data={"csrf_token": token, "year": year}, follow_redirects=True)
    assert f"No bank holidays of {year} to add" in again.get_data(as_text=True)
    before = table_rows(db, Closure)
    refused = client.post(url, data={"csrf_token": token, "year": "1999"}, follow_redirects=True)
    assert f"Choose a year from {year} to {year + 2}." in refused.get_data(as_text=True)
    assert table_rows(db, Closure) == before
