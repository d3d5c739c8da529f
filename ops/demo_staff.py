"""Demo staff accounts for ``make run``: one per role, random passwords kept in instance/."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.db import Database
from scheduler.models import Practitioner, Role, StaffUser
from scheduler.staff.accounts import create_staff_user

ACCOUNTS = (
    (Role.ADMIN, "admin@clinic.demo", "Ada Admin"),
    (Role.FRONT_DESK, "desk@clinic.demo", "Dev Desk"),
    (Role.PRACTITIONER, "practitioner@clinic.demo", "Demo Practitioner"),
)


def ensure_demo_staff(db: Database, instance_path: Path) -> str:
    """Create the demo accounts when there are no staff yet; returns the sign-in lines.

    The passwords are random, written once to ``instance/demo-staff.txt`` (readable by the
    owner only) and shown at each start of the development stack.
    """
    credentials = instance_path / "demo-staff.txt"
    with db.transaction() as session:
        if not session.scalar(select(func.count()).select_from(StaffUser)):
            lines = _create_accounts(session)
            instance_path.mkdir(parents=True, exist_ok=True)
            credentials.write_text("\n".join(lines) + "\n")
            credentials.chmod(0o600)
    return credentials.read_text() if credentials.exists() else ""


def _create_accounts(session: Session) -> list[str]:
    """One account per role, the practitioner's tied to the first practitioner (and named
    for them) when there is one; returns a sign-in line per account."""
    practitioner = session.scalars(select(Practitioner).order_by(Practitioner.id)).first()
    lines = []
    for role, email, name in ACCOUNTS:
        password = secrets.token_urlsafe(12)
        tied = practitioner if role == Role.PRACTITIONER else None
        create_staff_user(
            session,
            email=email,
            name=tied.name if tied else name,
            password=password,
            role=role,
            now=datetime.now(UTC),
            practitioner_id=tied.id if tied else None,
        )
        lines.append(f"  {role.value:<13} {email:<26} {password}")
    return lines
