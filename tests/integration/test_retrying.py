"""``Database.retrying`` on PostgreSQL: a real deadlock is tried again, other errors are not."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.db import Database
from scheduler.models import Room
from tests.support.factories import demo_clinic

# SQLite serialises writers at BEGIN IMMEDIATE: it cannot deadlock.
pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


@pytest.fixture
def rooms(db: Database) -> tuple[int, int]:
    demo_clinic(db)
    with db.session() as session:
        first, second = session.scalars(select(Room.id).order_by(Room.id).limit(2))
    return first, second


def test_two_writers_that_deadlock_both_finish_and_only_the_loser_runs_twice(
    db: Database, rooms: tuple[int, int]
) -> None:
    both_hold_one = threading.Barrier(2)
    attempts = {"forwards": 0, "backwards": 0}
    errors: list[BaseException] = []

    def lock_in_order(name: str, order: tuple[int, int]) -> None:
        def work(session: Session) -> None:
            attempts[name] += 1
            session.execute(update(Room).where(Room.id == order[0]).values(active=True))
            if attempts[name] == 1:
                both_hold_one.wait(timeout=10)  # each holds one row and now wants the other's
            session.execute(update(Room).where(Room.id == order[1]).values(active=True))

        try:
            db.retrying(work)
        except BaseException as exc:  # recorded, so the assertion shows it
            errors.append(exc)

    threads = [
        threading.Thread(target=lock_in_order, args=("forwards", rooms)),
        threading.Thread(target=lock_in_order, args=("backwards", rooms[::-1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(attempts.values()) == [1, 2]  # the deadlock detector chose one to roll back


def test_an_error_that_stands_is_raised_at_once(db: Database, rooms: tuple[int, int]) -> None:
    attempts = 0

    def work(session: Session) -> None:
        nonlocal attempts
        attempts += 1
        taken = session.get_one(Room, rooms[0]).name
        session.execute(update(Room).where(Room.id == rooms[1]).values(name=taken))

    with pytest.raises(IntegrityError) as raised:
        db.retrying(work)
    assert getattr(raised.value.orig, "sqlstate", None) == "23505"  # a unique violation
    assert attempts == 1
