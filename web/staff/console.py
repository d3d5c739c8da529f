"""The staff console's own pages: sign in and out, password, and the messaging monitor."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from scheduler.errors import ValidationFailed
from scheduler.messaging.monitor import monitor
from scheduler.models import StaffUser
from scheduler.staff.accounts import authenticate, change_password
from scheduler.staff.permissions import Permissions
from web.context import clock, db
from web.redirects import safe_next
from web.staff.auth import (
    current_staff,
    login_blocked,
    record_failed_login,
    sign_in,
    sign_out,
    staff_required,
)

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("")
@staff_required()
def home() -> Any:
    """Where a signed-in staff member starts: what the policy lets them open."""
    return render_template("staff/home.html", staff=current_staff())


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in with email and password; the sixth attempt in a minute gets 429."""
    if request.method == "GET":
        return render_template("staff/login.html", next=safe_next(request.args.get("next"), ""))
    email = request.form.get("email", "")
    if login_blocked(email):
        return render_template(
            "staff/login.html",
            error="Too many attempts. Wait a minute and try again.",
            next=safe_next(request.form.get("next"), ""),
        ), 429
    with db().transaction() as session:
        user = authenticate(session, email, request.form.get("password", ""), clock().now())
        if user is not None:
            sign_in(user)
    if user is None:
        record_failed_login(email)
        return render_template(
            "staff/login.html",
            error="That email and password do not match an account.",
            next=safe_next(request.form.get("next"), ""),
        ), 401
    return redirect(safe_next(request.form.get("next"), url_for("staff.home")), code=303)


@bp.post("/logout")
def logout() -> Any:
    sign_out()
    flash("You are signed out.", "ok")
    return redirect(url_for("staff.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@staff_required()
def password() -> Any:
    """Change one's own password (the current one is asked for)."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        user = current_staff()
        assert user is not None
        try:
            with db().transaction() as session:
                change_password(
                    session,
                    session.get_one(StaffUser, user.id),
                    request.form.get("current_password", ""),
                    request.form.get("new_password", ""),
                )
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            flash("Your password is changed.", "ok")
            return redirect(url_for("staff.home"), code=303)
    return render_template("staff/password.html", errors=errors), (422 if errors else 200)


@bp.get("/messages")
@staff_required(Permissions.see_messages)
def messages() -> Any:
    """The messaging monitor: counts, overdue and stuck messages, failures, staff alerts."""
    with db().session() as session:
        view = monitor(session, clock().now())
        return render_template("staff/messages.html", view=view, staff=current_staff())
