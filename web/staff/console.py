"""The staff console's own pages: the home, sign in and out, password, the messaging monitor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.dates import format_skeleton, format_time
from flask import Blueprint, flash, redirect, render_template, request, url_for

from scheduler.calendar.day_overview import day_overview, long_day
from scheduler.errors import ValidationFailed
from scheduler.messaging.monitor import monitor
from scheduler.models import StaffUser
from scheduler.staff.accounts import authenticate, change_password
from scheduler.staff.permissions import Permissions
from scheduler.staff.sessions import end_sessions
from web.context import clock, db, settings
from web.redirects import safe_next
from web.staff.alerts import safety_alert_queue
from web.staff.auth import current_staff, keep_signed_in, sign_in, sign_out, staff_required
from web.staff.calendar.presentation import STATUS_LABELS
from web.staff.login_throttle import ThrottleUnavailable, record_failure, seconds_to_wait

bp = Blueprint("staff", __name__, url_prefix="/staff")
NO_MATCH = "That email and password do not match an account."
PAUSED = "Signing in is paused for a moment on our side. Try again shortly."
PAUSED_SECONDS = 30


@bp.get("")
@staff_required()
def home() -> Any:
    """Where a signed-in staff member starts: today's visits by status and the next ones,
    pending reviews, held waitlist times and failed or stuck texts, each linking to where it
    is handled; a practitioner sees their own work only."""
    user = current_staff()
    assert user is not None
    zone = settings().zone
    with db().session() as session:
        overview = day_overview(session, Permissions.of(user), clock().now(), zone)
        alert_queue = safety_alert_queue(session, user)
    return render_template(
        "staff/home.html",
        staff=user,
        overview=overview,
        alert_queue=alert_queue,
        zone=zone,
        day_heading=long_day(overview.day, settings().clinic_locale),
        status_labels=STATUS_LABELS,
        time_of=_time_of,
        day_of=_day_of,
    )


def _time_of(moment: datetime) -> str:
    """An instant as the clinic's wall-clock time in its locale (10:00)."""
    return format_time(moment, "short", tzinfo=settings().zone, locale=settings().clinic_locale)


def _day_of(moment: datetime) -> str:
    """An instant's day in the clinic, short, in its locale (Mon 2 Mar)."""
    local = settings().clinic_locale
    return format_skeleton("MMMEd", moment, tzinfo=settings().zone, locale=local, fuzzy=True)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in with email and password.

    Failed attempts are counted per account and per address: past the limits the answer is
    429 with the wait, whatever the password; 503 when the counts cannot be read in
    production.
    """
    if request.method == "GET":
        return _login_page()
    email = request.form.get("email", "")
    try:
        if wait := seconds_to_wait(email):
            return _login_page(_too_many(wait), 429, wait)
        user = _authenticate(email, request.form.get("password", ""))
        if user is None:
            record_failure(email)
            return _login_page(NO_MATCH, 401)
    except ThrottleUnavailable:
        return _login_page(PAUSED, 503, PAUSED_SECONDS)
    return redirect(safe_next(request.form.get("next"), url_for("staff.home")), code=303)


def _authenticate(email: str, password: str) -> StaffUser | None:
    """The account these credentials open, now signed in; None if they open none."""
    with db().transaction() as session:
        user = authenticate(session, email, password, clock().now())
        if user is not None:
            sign_in(user)
    return user


def _too_many(wait: int) -> str:
    minutes = -(-wait // 60)
    return f"Too many attempts. Wait {minutes} minute{'s' if minutes > 1 else ''} and try again."


def _login_page(error: str | None = None, status: int = 200, retry_after: int = 0) -> Any:
    """The sign-in form (with ``error``), carrying a ``next`` only if it stays on the site."""
    source = request.args if request.method == "GET" else request.form
    page = render_template("staff/login.html", error=error, next=safe_next(source.get("next"), ""))
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return page, status, headers


@bp.post("/logout")
def logout() -> Any:
    """Sign out: every session of the account ends, on this device and any other."""
    user = current_staff()
    if user is not None:
        with db().transaction() as session:
            end_sessions(session.get_one(StaffUser, user.id))
    sign_out()
    flash("You are signed out.", "ok")
    return redirect(url_for("staff.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@staff_required()
def password() -> Any:
    """Change one's own password (the current one is asked for). Every other session of the
    account ends; this one carries on."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        user = current_staff()
        assert user is not None
        try:
            with db().transaction() as session:
                version = change_password(
                    session,
                    session.get_one(StaffUser, user.id),
                    request.form.get("current_password", ""),
                    request.form.get("new_password", ""),
                )
        except ValidationFailed as exc:
            errors = exc.fields
        else:
            keep_signed_in(version)
            flash("Your password is changed. You are signed out everywhere else.", "ok")
            return redirect(url_for("staff.home"), code=303)
    return render_template("staff/password.html", errors=errors), (422 if errors else 200)


@bp.get("/messages")
@staff_required(Permissions.see_messages)
def messages() -> Any:
    """The messaging monitor: counts, overdue and stuck messages, failures, staff alerts."""
    with db().session() as session:
        view = monitor(session, clock().now())
        return render_template("staff/messages.html", view=view, staff=current_staff())
