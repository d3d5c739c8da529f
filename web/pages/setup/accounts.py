"""Set-up pages for staff accounts: the list, new accounts, roles, access and password resets."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from sqlalchemy import select

from scheduler.models import Practitioner, Role
from scheduler.staff_admin import (
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
from web.pages.setup.base import admin_only, attempt, bp, checked, field, first_error, page, user


def _choices() -> dict[str, Any]:
    with db().session() as session:
        people = session.execute(
            select(Practitioner.id, Practitioner.name).order_by(Practitioner.name)
        ).all()
    return {
        "roles": [(role.value, label) for role, label in ROLES.items()],
        "practitioners": [(str(pid), name) for pid, name in people],
    }


@bp.get("/accounts")
@admin_only
def accounts() -> Any:
    """Every staff account with its role and whether it may sign in."""
    with db().session() as session:
        return page("accounts.html", accounts=list_staff(session), me=user().id)


@bp.route("/accounts/new", methods=["GET", "POST"])
@admin_only
def new_account() -> Any:
    """Create an account with an initial password (12 characters or more)."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = NewAccount(
            email=field("email"),
            name=field("name"),
            role=field("role"),
            password=field("password"),
            practitioner_id=field("practitioner_id"),
        )
        _, errors = attempt(lambda s: create_account(s, data, clock().now()).id)
        if not errors:
            flash("Account created. Give its owner the initial password in person.", "ok")
            return redirect(url_for("setup.accounts"), code=303)
    values = {k: v for k, v in request.form.items() if k != "password"} if errors else {}
    return page(
        "account_new.html", 422 if errors else 200, values=values, errors=errors, **_choices()
    )


@bp.route("/accounts/<id:user_id>", methods=["GET", "POST"])
@admin_only
def account(user_id: int) -> Any:
    """One account: change its role (and linked practitioner).

    :raise 404: if there is no such account.
    """
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        _, errors = attempt(
            lambda s: change_role(s, user().id, user_id, field("role"), field("practitioner_id"))
        )
        if not errors:
            flash("Role changed: it applies from the account's next page.", "ok")
            return redirect(url_for("setup.account", user_id=user_id), code=303)
    with db().session() as session:
        found = get_staff(session, user_id)
        values = (
            request.form.to_dict()
            if errors
            else {"role": found.role.value, "practitioner_id": str(found.practitioner_id or "")}
        )
        return page(
            "account.html",
            422 if errors else 200,
            account=found,
            me=user().id,
            values=values,
            errors=errors,
            is_practitioner=found.role == Role.PRACTITIONER,
            **_choices(),
        )


@bp.post("/accounts/<id:user_id>/active")
@admin_only
def account_active(user_id: int) -> Any:
    """Stop an account signing in (at once), or let it sign in again."""
    active = checked("active")
    _, errors = attempt(lambda s: set_account_active(s, user().id, user_id, active))
    if errors:
        flash(first_error(errors), "error")
    else:
        flash("Account can sign in again." if active else "Account deactivated.", "ok")
    return redirect(url_for("setup.account", user_id=user_id), code=303)


@bp.post("/accounts/<id:user_id>/password")
@admin_only
def account_password(user_id: int) -> Any:
    """Set a new password on another's account."""
    _, errors = attempt(lambda s: reset_password(s, user().id, user_id, field("password")))
    if not errors:
        flash("Password reset. Give it to its owner in person; they should change it.", "ok")
        return redirect(url_for("setup.account", user_id=user_id), code=303)
    with db().session() as session:
        found = get_staff(session, user_id)
        return page(
            "account.html",
            422,
            account=found,
            me=user().id,
            values={"role": found.role.value, "practitioner_id": str(found.practitioner_id or "")},
            errors=errors,
            is_practitioner=found.role == Role.PRACTITIONER,
            **_choices(),
        )
