"""Exports from the staff console: appointments as CSV, and practitioners' private calendar
feeds (created and revoked here, served by web/staff/feeds.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from scheduler.calendar.export import MAX_DAYS, appointments_csv, parse_range
from scheduler.calendar.feeds import create_feed, feed_states, revoke_feeds
from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import Practitioner, StaffUser
from scheduler.staff.permissions import Permissions
from web.context import clock, db, settings
from web.staff.auth import current_staff, staff_required

bp = Blueprint("staff_exports", __name__, url_prefix="/staff")


def _user() -> StaffUser:
    user = current_staff()
    assert user is not None  # staff_required ran first
    return user


def _default_range() -> dict[str, str]:
    today = clock().now().astimezone(settings().zone).date()
    return {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}


@bp.get("/exports")
@staff_required(Permissions.export)
def exports() -> Any:
    """The export form: a date range for the appointments CSV."""
    return render_template(
        "staff/exports.html", staff=_user(), form=_default_range(), errors={}, max_days=MAX_DAYS
    )


@bp.get("/exports/appointments.csv")
@staff_required(Permissions.export)
def appointments_export() -> Any:
    """Every appointment starting between two local dates (both included, at most 366 days),
    as CSV. A bad range shows the form again with the reason by each field."""
    form = {k: request.args.get(k, "")[:40] for k in ("from", "to")}
    try:
        start, end = parse_range(form["from"], form["to"])
    except ValidationFailed as exc:
        page = render_template(
            "staff/exports.html", staff=_user(), form=form, errors=exc.fields, max_days=MAX_DAYS
        )
        return page, 422
    with db().session() as session:
        text = appointments_csv(session, start, end, settings().zone)
    name = f"appointments-{start.isoformat()}-to-{end.isoformat()}.csv"
    return Response(
        text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _render_feeds(user: StaffUser, new_url: str = "", new_for: int | None = None) -> Any:
    with db().session() as session:
        states = feed_states(session, Permissions.of(user).feed_practitioners())
    return render_template(
        "staff/feeds.html", staff=user, states=states, new_url=new_url, new_for=new_for
    )


@bp.get("/feeds")
@staff_required(Permissions.keep_feeds)
def feeds() -> Any:
    """Calendar feeds: an admin sees every practitioner's, a practitioner their own."""
    return _render_feeds(_user())


@bp.post("/feeds/<id:practitioner_id>")
@staff_required(Permissions.keep_feeds)
def new_feed(practitioner_id: int) -> Any:
    """A new private feed address (shown this once); the previous one stops working.

    :raise 403: if a practitioner asks for someone else's feed. :raise 404: no such practitioner.
    """
    user = _user()
    if not Permissions.of(user).keep_feed_of(practitioner_id):
        abort(403)
    try:
        with db().transaction() as session:
            token = create_feed(session, practitioner_id, clock().now())
    except NotFound:
        abort(404)
    url = settings().public_base_url + url_for("feeds.calendar", token=token)
    return _render_feeds(user, new_url=url, new_for=practitioner_id)


@bp.post("/feeds/<id:practitioner_id>/revoke")
@staff_required(Permissions.keep_feeds)
def revoke_feed(practitioner_id: int) -> Any:
    """Stop the practitioner's feed at once: its address answers 404 from now on."""
    user = _user()
    if not Permissions.of(user).keep_feed_of(practitioner_id):
        abort(403)
    with db().transaction() as session:
        if session.get(Practitioner, practitioner_id) is None:
            abort(404)
        stopped = revoke_feeds(session, practitioner_id, clock().now())
    flash("The feed is revoked." if stopped else "There was no live feed to revoke.", "ok")
    return redirect(url_for("staff_exports.feeds"), code=303)
