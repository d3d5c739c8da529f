"""The demo clinic is closed on the bank holidays of this year and the next, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.demo import load_demo_clinic
from scheduler.models import Closure

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 13, 8, 0, tzinfo=UTC)


def test_the_demo_clinic_is_closed_on_this_and_next_years_bank_holidays(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        assert load_demo_clinic(session, settings, NOW)
    with db.session() as session:
        found = [
            (c.starts_at.astimezone(LONDON).date(), c.reason)
            for c in session.scalars(select(Closure).order_by(Closure.starts_at))
        ]
    assert found[:4] == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 26), "Boxing Day"),
        (date(2026, 12, 28), "Boxing Day (observed)"),
        (date(2027, 1, 1), "New Year's Day"),
    ]
    assert found[-1][0].year == 2027 and len(found) > 10


def test_the_demo_clinic_without_settings_has_no_closures_so_tests_keep_their_calendars(
    db: Database,
) -> None:
    with db.transaction() as session:
        assert load_demo_clinic(session)
    with db.session() as session:
        assert session.scalars(select(Closure)).first() is None
