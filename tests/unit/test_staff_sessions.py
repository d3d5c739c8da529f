"""A staff session lives while its account allows it: 30 minutes idle, 10 hours in all, and
until its account ends every session (signing out, a new password)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.models import Role, StaffUser
from scheduler.staff.sessions import ABSOLUTE_LIMIT, IDLE_LIMIT, SessionStamp, end_sessions

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def account(**overrides: object) -> StaffUser:
    values: dict[str, object] = {
        "id": 7,
        "email": "desk@clinic.test",
        "name": "Desk",
        "password_hash": "x",
        "role": Role.FRONT_DESK,
        "active": True,
        "session_version": 3,
        "created_at": NINE,
    }
    values.update(overrides)
    return StaffUser(**values)


def test_a_new_session_is_alive_until_it_idles_for_30_minutes() -> None:
    stamp = SessionStamp.begin(account(), NINE)
    assert stamp.alive_for(account(), NINE + IDLE_LIMIT - timedelta(seconds=1))
    assert not stamp.alive_for(account(), NINE + IDLE_LIMIT)


def test_using_a_session_moves_its_idle_limit_but_never_its_absolute_one() -> None:
    stamp = SessionStamp.begin(account(), NINE)
    at = NINE
    while at + timedelta(minutes=25) < NINE + ABSOLUTE_LIMIT:
        at += timedelta(minutes=25)
        assert stamp.alive_for(account(), at)
        stamp = stamp.seen(at)
    assert not stamp.alive_for(account(), NINE + ABSOLUTE_LIMIT)


def test_ending_the_accounts_sessions_ends_this_one() -> None:
    user = account()
    stamp = SessionStamp.begin(user, NINE)
    assert end_sessions(user) == 4
    assert not stamp.alive_for(user, NINE)
    assert stamp.renewed(4).alive_for(user, NINE)


def test_a_stopped_missing_or_other_account_has_no_session() -> None:
    stamp = SessionStamp.begin(account(), NINE)
    assert not stamp.alive_for(None, NINE)
    assert not stamp.alive_for(account(active=False), NINE)
    assert not stamp.alive_for(account(id=8), NINE)
