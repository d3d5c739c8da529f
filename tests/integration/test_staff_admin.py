"""Administering staff accounts: creating, roles, deactivating and resets, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from scheduler.db import Database
from scheduler.errors import ValidationFailed
from scheduler.models import Practitioner, Role, StaffUser
from scheduler.staff.accounts import authenticate
from scheduler.staff.admin import (
    NewAccount,
    change_role,
    create_account,
    reset_password,
    set_account_active,
)
from tests.conftest import MONDAY_8AM
from tests.support.factories import demo_clinic
from tests.support.table_rows import table_rows

PASSWORD = "a long enough password"


@pytest.fixture
def people(db: Database) -> dict[str, int]:
    demo_clinic(db)
    with db.transaction() as session:
        lin = session.scalars(
            select(Practitioner.id).where(Practitioner.name == "Dr Mei Lin")
        ).one()
        made = {
            key: create_account(
                session,
                NewAccount(f"{key}@clinic.test", key.title(), role.value, PASSWORD, lin),
                MONDAY_8AM,
            ).id
            for key, role in (
                ("boss", Role.ADMIN),
                ("desk", Role.FRONT_DESK),
                ("lin", Role.PRACTITIONER),
            )
        }
    return {**made, "practitioner": lin}


def refused(db: Database, work: Any) -> dict[str, list[str]]:
    before = table_rows(db, StaffUser)
    with pytest.raises(ValidationFailed) as caught, db.transaction() as session:
        work(session)
    assert table_rows(db, StaffUser) == before
    return caught.value.fields


def test_only_a_practitioner_account_is_tied_to_a_practitioner(
    db: Database, people: dict[str, int]
) -> None:
    with db.session() as session:
        assert session.get_one(StaffUser, people["desk"]).practitioner_id is None
        assert session.get_one(StaffUser, people["lin"]).practitioner_id == people["practitioner"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (NewAccount("not-an-email", "A", "admin", PASSWORD), "email", "Enter an email address."),
        (
            NewAccount("BOSS@clinic.test", "A", "admin", PASSWORD),
            "email",
            "An account with this email exists.",
        ),
        (NewAccount("a@clinic.test", " ", "admin", PASSWORD), "name", "Enter a name."),
        (
            NewAccount("a@clinic.test", "A", "admin", "short"),
            "password",
            "Use at least 12 characters.",
        ),
        (
            NewAccount("a@clinic.test", "A", "owner", PASSWORD),
            "role",
            "Choose a role from the list.",
        ),
        (
            NewAccount("a@clinic.test", "A", "practitioner", PASSWORD),
            "practitioner_id",
            "A practitioner account needs its practitioner.",
        ),
        (
            NewAccount("a@clinic.test", "A", "practitioner", PASSWORD, "999"),
            "practitioner_id",
            "Choose a practitioner from the list.",
        ),
    ],
)
def test_a_bad_new_account_is_refused_with_a_message_and_nothing_written(
    db: Database, people: dict[str, int], data: NewAccount, field: str, message: str
) -> None:
    fields = refused(db, lambda s: create_account(s, data, MONDAY_8AM))
    assert fields == {field: [message]}


def test_an_admin_changes_anothers_role_which_takes_effect_at_once(
    db: Database, people: dict[str, int]
) -> None:
    with db.transaction() as session:
        change_role(session, people["boss"], people["lin"], "front_desk")
    with db.session() as session:
        user = session.get_one(StaffUser, people["lin"])
        assert (user.role, user.practitioner_id) == (Role.FRONT_DESK, None)
    fields = refused(db, lambda s: change_role(s, people["boss"], people["desk"], "practitioner"))
    assert fields == {"practitioner_id": ["A practitioner account needs its practitioner."]}


def test_an_admin_cannot_change_their_own_role(db: Database, people: dict[str, int]) -> None:
    fields = refused(db, lambda s: change_role(s, people["boss"], people["boss"], "front_desk"))
    assert fields == {"role": ["You cannot change your own role; ask another admin."]}


def test_an_admin_cannot_deactivate_themself(db: Database, people: dict[str, int]) -> None:
    fields = refused(db, lambda s: set_account_active(s, people["boss"], people["boss"], False))
    assert fields == {"active": ["You cannot deactivate your own account."]}


def test_the_last_active_admin_cannot_be_removed(db: Database, people: dict[str, int]) -> None:
    with db.transaction() as session:
        change_role(session, people["boss"], people["desk"], "admin")
    # The second admin deactivates the first: allowed, one admin is left.
    with db.transaction() as session:
        set_account_active(session, people["desk"], people["boss"], False)
    # The remaining admin, signed in as "boss" was, cannot be taken away by an inactive one.
    fields = refused(db, lambda s: set_account_active(s, people["boss"], people["desk"], False))
    assert fields == {"active": ["The clinic needs at least one active admin."]}
    fields = refused(db, lambda s: change_role(s, people["boss"], people["desk"], "front_desk"))
    assert fields == {"role": ["The clinic needs at least one active admin."]}


def test_a_deactivated_account_cannot_sign_in_until_reactivated(
    db: Database, people: dict[str, int]
) -> None:
    with db.transaction() as session:
        set_account_active(session, people["boss"], people["desk"], False)
    with db.transaction() as session:
        assert authenticate(session, "desk@clinic.test", PASSWORD, MONDAY_8AM) is None
        set_account_active(session, people["boss"], people["desk"], True)
    with db.transaction() as session:
        assert authenticate(session, "desk@clinic.test", PASSWORD, MONDAY_8AM) is not None


def test_an_admin_resets_anothers_password_but_not_their_own(
    db: Database, people: dict[str, int]
) -> None:
    assert refused(db, lambda s: reset_password(s, people["boss"], people["desk"], "short")) == {
        "password": ["Use at least 12 characters."]
    }
    assert refused(
        db, lambda s: reset_password(s, people["boss"], people["boss"], "another long one")
    ) == {"password": ["Change your own password on the Password page instead."]}
    with db.transaction() as session:
        reset_password(session, people["boss"], people["desk"], "a brand new password")
    with db.transaction() as session:
        assert authenticate(session, "desk@clinic.test", PASSWORD, MONDAY_8AM) is None
        assert authenticate(session, "desk@clinic.test", "a brand new password", MONDAY_8AM)
