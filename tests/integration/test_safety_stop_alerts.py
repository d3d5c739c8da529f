"""A safety stop's staff alert, one a phone a day, on both databases: two stops racing for one
number raise one alert, the more serious tier wins, and another number or day raises its own."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.clinical.safety import raise_stop_alert, stop_alert_key
from scheduler.db import Database
from scheduler.models import Patient, SafetyTier, StaffAlert

NOW = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def patient(session: Session, phone: str = "+447400123456") -> Patient:
    """A new record for ``phone``, as each stopped screen makes one."""
    record = Patient(
        first_name="Ana", last_name="Silva", phone_e164=phone, time_zone="UTC", created_at=NOW
    )
    session.add(record)
    session.flush()
    return record


def alerts(db: Database) -> list[tuple[str, int | None, str | None]]:
    with db.session() as session:
        rows = session.scalars(select(StaffAlert).order_by(StaffAlert.id))
        return [(a.kind, a.patient_id, a.dedupe_key) for a in rows]


def test_two_stops_racing_for_one_phone_raise_one_alert_at_the_more_serious_tier(
    db: Database,
) -> None:
    def second_stop() -> None:
        with db.transaction() as session:
            raise_stop_alert(session, patient(session), SafetyTier.EMERGENT, NOW, LONDON)

    with db.transaction() as session:
        first = patient(session)
        raise_stop_alert(session, first, SafetyTier.URGENT, NOW, LONDON)
        session.flush()
        racer = threading.Thread(target=second_stop)
        racer.start()
        racer.join(timeout=1)
        assert racer.is_alive()  # waiting on the first stop's alert (or write lock)
    racer.join(timeout=60)
    key = stop_alert_key("+447400123456", NOW.date())
    assert alerts(db) == [("safety_emergent", first.id, key)]


def test_another_phone_or_another_day_raises_its_own_alert(db: Database) -> None:
    with db.transaction() as session:
        for phone, at in [
            ("+447400123456", NOW),
            ("+447400123456", NOW - timedelta(minutes=10)),  # the same London day
            ("+447400999999", NOW),
            ("+447400123456", NOW + timedelta(minutes=31)),  # just past midnight
        ]:
            raise_stop_alert(session, patient(session, phone), SafetyTier.URGENT, at, LONDON)
    assert [key for _kind, _patient, key in alerts(db)] == [
        "safety-stop:+447400123456:2026-03-02",
        "safety-stop:+447400999999:2026-03-02",
        "safety-stop:+447400123456:2026-03-03",
    ]


def test_a_less_serious_stop_later_leaves_the_days_alert_as_it_is(db: Database) -> None:
    with db.transaction() as session:
        raise_stop_alert(session, patient(session), SafetyTier.EMERGENT, NOW, LONDON)
        raise_stop_alert(session, patient(session), SafetyTier.URGENT, NOW, LONDON)
    with db.session() as session:
        alert = session.scalars(select(StaffAlert)).one()
        assert alert.kind == "safety_emergent"
        assert alert.detail.startswith("Safety screen: emergency signs")
        assert alert.phone_proven is False
