"""Set-up pages for staff accounts: the list, new accounts, roles, access and password resets."""

from __future__ import annotations

from typing import Any

from flask import request

from scheduler.setup.practitioners import practitioner_names
from scheduler.staff.admin import (
    ROLES,
    NewAccount,
    change_role,
    create_account,
    get_staff,
    list_staff,
    reset_password,
    set_account_active,
)
from web.context import clock, db
from web.staff.setup.base import (
    accounts_admin,
    attempt,
    back_to,
    bp,
    checked,
    done,
    field,
    form_page,
    page,
    report,
    submit,
    user,
)


def _choices() -> dict[str, Any]:
    with db().session() as session:
        people = practitioner_names(session)
    return {
        "roles": [(role.value, label) for role, label in ROLES.items()],
        "practitioners": [(str(pid), name) for pid, name in people.items()],
    }


@bp.get("/accounts")
@accounts_admin
def accounts() -> Any:
    """Every staff account with its role and whether it may sign in."""
    with db().session() as session:
        return page("accounts.html", accounts=list_staff(session), me=user().id)


def _new_account() -> NewAccount:
    return NewAccount(
        email=field("email"),
        name=field("name"),
        role=field("role"),
        password=field("password"),
        practitioner_id=field("practitioner_id"),
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@accounts_admin
def new_account() -> Any:
    """Create an account with an initial password (12 characters or more)."""
    sent, errors = submit(
        lambda s: create_account(s, _new_account(), clock().now()).id,
        "Account created. Give its owner the initial password in person.",
        "setup.accounts",
    )
    if sent is not None:
        return sent
    typed = {k: v for k, v in request.form.items() if k != "password"}
    return form_page("account_new.html", errors, {}, typed=typed, **_choices())


@bp.route("/accounts/<id:user_id>", methods=["GET", "POST"])
@accounts_admin
def account(user_id: int) -> Any:
    """One account: change its role (and linked practitioner).

    :raise 404: if there is no such account.
    """
    sent, errors = submit(
        lambda s: change_role(s, user().id, user_id, field("role"), field("practitioner_id")),
        "Role changed: it applies from the account's next page.",
        "setup.account",
        user_id=user_id,
    )
    if sent is not None:
        return sent
    return _account_page(user_id, errors)


def _account_page(
    user_id: int, errors: dict[str, list[str]], *, show_typed: bool = True
) -> tuple[str, int]:
    with db().session() as session:
        found = get_staff(session, user_id)
        stored = {"role": found.role.value, "practitioner_id": str(found.practitioner_id or "")}
        return form_page(
            "account.html",
            errors,
            stored,
            typed=None if show_typed else stored,
            account=found,
            me=user().id,
            **_choices(),
        )


@bp.post("/accounts/<id:user_id>/active")
@accounts_admin
def account_active(user_id: int) -> Any:
    """Stop an account signing in (at once), or let it sign in again."""
    active = checked("active")
    _, errors = attempt(lambda s: set_account_active(s, user().id, user_id, active))
    report(errors, "Account can sign in again." if active else "Account deactivated.")
    return back_to("setup.account", user_id=user_id)


@bp.post("/accounts/<id:user_id>/password")
@accounts_admin
def account_password(user_id: int) -> Any:
    """Set a new password on another's account."""
    _, errors = attempt(lambda s: reset_password(s, user().id, user_id, field("password")))
    if not errors:
        return done(
            "Password reset. Give it to its owner in person; they should change it.",
            "setup.account",
            user_id=user_id,
        )
    return _account_page(user_id, errors, show_typed=False)
