"""``make run``'s demo staff: one account per role, random passwords kept private, made once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from ops.demo_staff import ensure_demo_staff
from scheduler.db import Database
from scheduler.models import StaffUser
from scheduler.staff.accounts import authenticate
from tests.support.factories import demo_clinic


def test_demo_staff_are_made_once_with_private_random_passwords(
    db: Database, tmp_path: Path
) -> None:
    demo_clinic(db)
    lines = ensure_demo_staff(db, tmp_path)
    assert ensure_demo_staff(db, tmp_path) == lines  # a second start changes nothing
    credentials = tmp_path / "demo-staff.txt"
    assert credentials.stat().st_mode & 0o077 == 0
    rows = [line.split() for line in lines.splitlines()]
    assert [r[0] for r in rows] == ["admin", "front_desk", "practitioner"]
    with db.transaction() as session:
        assert len(session.scalars(select(StaffUser)).all()) == 3
        for _role, email, password in rows:
            assert authenticate(session, email, password, datetime.now(UTC)) is not None
    assert len({r[2] for r in rows}) == 3
