"""Administering staff accounts: roles, who may sign in, and password resets by an admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.errors import ValidationFailed
from scheduler.lookup import existing
from scheduler.models import Role, StaffUser
from scheduler.staff.accounts import (
    create_staff_user,
    hash_password,
    password_errors,
    practitioner_link_errors,
)
from scheduler.staff.sessions import end_sessions

ROLES = {
    Role.ADMIN: "Admin: everything, set-up and accounts included",
    Role.FRONT_DESK: "Front desk: every calendar and patient contact, no clinical detail",
    Role.PRACTITIONER: "Practitioner: their own calendar and patients, with clinical detail",
}


@dataclass(frozen=True)
class NewAccount:
    """A new account as typed into the form."""

    email: str
    name: str
    role: str
    password: str
    practitioner_id: str | int | None = None


def list_staff(session: Session) -> list[StaffUser]:
    """Every account, active ones first, by name."""
    return list(
        session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name))
    )


def get_staff(session: Session, user_id: int) -> StaffUser:
    """:raise NotFound: if there is no such account."""
    return existing(session, StaffUser, user_id, "staff account")


def _role(value: str, errors: dict[str, list[str]]) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        errors["role"] = ["Choose a role from the list."]
        return None


def _practitioner_id(value: str | int | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        return -1  # no practitioner has it: reported as "choose from the list"


def create_account(session: Session, data: NewAccount, now: datetime) -> StaffUser:
    """A new account that can sign in at once with the initial password (12 characters or
    more, hard to guess), which its owner should then change.

    :raise ValidationFailed: for a malformed or taken email, an empty name, a role not in the
        list, a password that is short or easy to guess, or a practitioner account without its
        practitioner; nothing is written.
    """
    errors: dict[str, list[str]] = {}
    role = _role(data.role, errors)
    if role is None:  # only a tampered form gets here: the role is chosen from a list
        raise ValidationFailed(errors)
    return create_staff_user(
        session,
        email=data.email,
        name=data.name,
        password=data.password,
        role=role,
        now=now,
        practitioner_id=_practitioner_id(data.practitioner_id),
    )


def _active_admin_ids(session: Session) -> list[int]:
    # Locked (on PostgreSQL) so two admins demoting each other at once cannot both succeed.
    return list(
        session.scalars(
            select(StaffUser.id)
            .where(StaffUser.role == Role.ADMIN, StaffUser.active.is_(True))
            .with_for_update()
        )
    )


def _keeps_an_admin(session: Session, user: StaffUser, field: str) -> None:
    if user.role == Role.ADMIN and user.active and _active_admin_ids(session) == [user.id]:
        raise ValidationFailed({field: ["The clinic needs at least one active admin."]})


def _not_self(actor_id: int, user: StaffUser, field: str, message: str) -> None:
    if user.id == actor_id:
        raise ValidationFailed({field: [message]})


def change_role(
    session: Session,
    actor_id: int,
    user_id: int,
    role: str,
    practitioner_id: str | int | None = None,
) -> StaffUser:
    """Give an account another role (and, for a practitioner, their practitioner record).
    It takes effect on the account's next page.

    :raise NotFound: if there is no such account.
    :raise ValidationFailed: for a role not in the list, a practitioner role without an
        existing practitioner, one's own account, or the last active admin; nothing is
        changed.
    """
    user = get_staff(session, user_id)
    new_role, linked = _role_and_link(session, role, practitioner_id)
    _not_self(actor_id, user, "role", "You cannot change your own role; ask another admin.")
    if new_role != Role.ADMIN:
        _keeps_an_admin(session, user, "role")
    user.role = new_role
    user.practitioner_id = linked
    session.flush()
    return user


def _role_and_link(
    session: Session, role: str, practitioner_id: str | int | None
) -> tuple[Role, int | None]:
    """The role chosen and, for a practitioner, the practitioner record the account is tied to.

    :raise ValidationFailed: for a role not in the list, or a practitioner role without an
        existing practitioner.
    """
    errors: dict[str, list[str]] = {}
    new_role = _role(role, errors)
    linked = _practitioner_id(practitioner_id) if new_role == Role.PRACTITIONER else None
    if new_role == Role.PRACTITIONER and (problems := practitioner_link_errors(session, linked)):
        errors["practitioner_id"] = problems
    if errors:
        raise ValidationFailed(errors)
    assert new_role is not None
    return new_role, linked


def set_account_active(session: Session, actor_id: int, user_id: int, active: bool) -> StaffUser:
    """Let an account sign in again, or stop it at once (its session ends on its next page).
    Nothing is deleted: what the account did stays attributed to it.

    :raise NotFound: if there is no such account.
    :raise ValidationFailed: for one's own account or the last active admin.
    """
    user = get_staff(session, user_id)
    if not active:
        _not_self(actor_id, user, "active", "You cannot deactivate your own account.")
        _keeps_an_admin(session, user, "active")
    user.active = active
    session.flush()
    return user


def reset_password(session: Session, actor_id: int, user_id: int, password: str) -> StaffUser:
    """Set a new password on another's account (for one who has forgotten theirs, or whose
    session may have been taken); every session of that account ends at once. They should
    change it once signed in.

    :raise NotFound: if there is no such account.
    :raise ValidationFailed: for a password that is short, too long or too easy to guess (the
        reason is given), or one's own account (changed on the password page, with the
        current password); nothing is changed.
    """
    user = get_staff(session, user_id)
    _not_self(actor_id, user, "password", "Change your own password on the Password page instead.")
    if problems := password_errors(password, (user.email, user.name)):
        raise ValidationFailed({"password": problems})
    user.password_hash = hash_password(password)
    end_sessions(user)
    session.flush()
    return user
