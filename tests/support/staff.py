"""Staff accounts for tests: one admin, one front desk and Dr Mei Lin, and signing them in."""

from __future__ import annotations

import re
from functools import cache

from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import Practitioner, Role, StaffUser
from scheduler.staff.accounts import hash_password
from tests.support.factories import demo_clinic

PASSWORD = "correct horse battery"
ACCOUNTS = (
    ("admin", Role.ADMIN, "admin@clinic.test"),
    ("desk", Role.FRONT_DESK, "desk@clinic.test"),
    ("lin", Role.PRACTITIONER, "lin@clinic.test"),
)


# A stored hash names its own scrypt parameters, and signing in checks each with its own. The
# test accounts' is real scrypt at a small cost, so that the suite's thousand sign-ins do not
# each pay the production cost (tens of milliseconds); tests that measure that cost use
# ``full_strength`` accounts, and tests of creating accounts go through ``create_staff_user``.
LIGHT_N = 2**4


@cache
def password_hash(full_strength: bool = False) -> str:
    """The test password's scrypt hash, worked out once."""
    return hash_password(PASSWORD) if full_strength else hash_password(PASSWORD, n=LIGHT_N)


def create_accounts(
    db: Database, clock: FrozenClock, *, full_strength: bool = False
) -> dict[str, str]:
    """The demo clinic with an admin, a front desk and a practitioner (Dr Mei Lin) account,
    each named after its role: key -> email."""
    demo_clinic(db)
    with db.transaction() as session:
        lin = session.scalars(select(Practitioner).where(Practitioner.name == "Dr Mei Lin")).one()
        for _key, role, email in ACCOUNTS:
            session.add(
                StaffUser(
                    email=email,
                    name=role.value,
                    password_hash=password_hash(full_strength),
                    role=role,
                    practitioner_id=lin.id if role == Role.PRACTITIONER else None,
                    created_at=clock.now(),
                )
            )
    return {key: email for key, _role, email in ACCOUNTS}


def csrf(client: FlaskClient, path: str = "/staff/login") -> str:
    """The CSRF token of the form on ``path``."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> int:
    """Send the sign-in form; the status code of the answer (303 when signed in)."""
    token = csrf(client)
    return client.post(
        "/staff/login", data={"email": email, "password": password, "csrf_token": token}
    ).status_code


def sign_in(client: FlaskClient, email: str) -> None:
    """Sign a staff member in with the test password (it must succeed)."""
    assert log_in(client, email) == 303
