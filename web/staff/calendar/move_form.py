"""Moving a visit by form, without JavaScript: the same rules and messages as dragging it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.models import Appointment, StaffUser
from scheduler.staff.permissions import Permissions
from scheduler.visits.rescheduling import NotMovable, move_warnings
from web.context import db, settings
from web.redirects import safe_next
from web.staff.auth import staff_required
from web.staff.calendar.blueprint import bp, read_field, read_ids, signed_in
from web.staff.calendar.choices import active_practitioners, load_choices
from web.staff.calendar.input import clock_time, day_of
from web.staff.visit_changes import conflict_message, move_as, moved_message

MOVE_FIELDS = {"start": "time", "practitioner_id": "practitioner_id", "room_id": "room_id"}


@dataclass
class Outcome:
    """Why the form is shown again: messages per field, a conflict, or the course rules the
    new time would break (shown before saving), with the status."""

    status: int = 200
    errors: dict[str, str] = field(default_factory=dict)
    conflict: str | None = None
    warnings: list[str] = field(default_factory=list)


@bp.route("/visits/<id:appointment_id>/move", methods=["GET", "POST"])
@staff_required()
def move_visit(appointment_id: int) -> Any:
    """Move a visit by form: a new day and time, and optionally another practitioner or room.
    The same rules and messages as dragging it on the calendar. A time that breaks the course
    rules is shown with its warnings first, and moved only when sent again as it is.

    :raise 403: for another practitioner's visit. :raise 404: if there is no such visit.
    """
    user = signed_in()
    if request.method == "GET":
        return _form(user, appointment_id, Outcome())
    asked, errors = _read(request.form)
    if errors:
        return _form(user, appointment_id, Outcome(422, errors))
    warnings = _unaccepted_warnings(user, appointment_id, asked[0])
    if warnings:
        return _form(user, appointment_id, Outcome(warnings=warnings))
    try:
        moved = move_as(user, appointment_id, *asked)
    except NotFound:
        abort(404, "No such visit.")
    except (NotMovable, SlotUnavailable, ValidationFailed) as exc:
        return _form(user, appointment_id, _refused(exc))
    broken = (" Check the course plan: " + " ".join(moved.warnings)) if moved.warnings else ""
    flash(moved_message(moved) + broken, "ok")
    local_day = moved.starts_at.astimezone(settings().zone).date()
    fallback = url_for("calendar.calendar_page", date=local_day.isoformat())
    return redirect(safe_next(request.form.get("next"), fallback), code=303)


def _read(
    form: MultiDict[str, str],
) -> tuple[tuple[datetime, int | None, int | None], dict[str, str]]:
    """The new start, practitioner and room from the form, and a message for each bad field."""
    errors: dict[str, str] = {}
    day = read_field(errors, "date", lambda: day_of(form.get("date"), None), None)
    at = read_field(errors, "time", lambda: clock_time(form.get("time")), None)
    practitioner_id, room_id = read_ids(errors, form)
    start = datetime.combine(day, at, tzinfo=settings().zone) if not errors else datetime.min
    return (start, practitioner_id, room_id), errors


def _unaccepted_warnings(user: StaffUser, appointment_id: int, start: datetime) -> list[str]:
    """The course rules the new time breaks, unless the form was sent again to accept them."""
    if request.form.get("accepted_start") == start.isoformat():
        return []
    with db().session() as session:
        _visit_for_form(session, user, appointment_id)
        found = move_warnings(session, appointment_id, start, settings=settings())
    return [p.message for p in found]


def _refused(exc: Exception) -> Outcome:
    if isinstance(exc, NotMovable):
        return Outcome(409, conflict="This visit can no longer be moved.")
    if isinstance(exc, SlotUnavailable):
        return Outcome(409, conflict=conflict_message(exc))
    assert isinstance(exc, ValidationFailed)
    errors = {MOVE_FIELDS.get(k, "time"): " ".join(v) for k, v in exc.fields.items()}
    return Outcome(422, errors)


def _visit_for_form(session: Session, user: StaffUser, appointment_id: int) -> Appointment:
    visit = session.get(Appointment, appointment_id)
    if visit is None:
        abort(404, "No such visit.")
    if not Permissions.of(user).act_on_visit(visit.practitioner_id):
        abort(403, "You can move your own visits only.")
    return visit


def _form(user: StaffUser, appointment_id: int, outcome: Outcome) -> Any:
    """The move form for the visit, filled in with what was sent or the visit as it stands."""
    may = Permissions.of(user)
    with db().session() as session:
        visit = _visit_for_form(session, user, appointment_id)
        givers = [
            (p.id, p.name)
            for p in active_practitioners(session)
            if p.offers(visit.service) and may.give_visit_to(p.id)
        ]
        page = render_template(
            "staff/move_visit.html",
            staff=user, visit=visit, zone=settings().zone, givers=givers,
            rooms=load_choices(session).rooms, errors=outcome.errors,
            conflict=outcome.conflict, values=_values(visit), warnings=outcome.warnings,
            accepted_start=_asked_start() if outcome.warnings else "",
            next=safe_next(request.values.get("next"), ""),
        )  # fmt: skip
    return page, outcome.status


def _asked_start() -> str:
    """The start the form asked for, as the hidden field that accepts its warnings."""
    (start, _practitioner_id, _room_id), _errors = _read(request.form)
    return start.isoformat()


def _values(visit: Appointment) -> dict[str, str]:
    local = visit.starts_at.astimezone(settings().zone)
    form = request.form if request.method == "POST" else {}
    return {
        "date": form.get("date", local.date().isoformat()),
        "time": form.get("time", f"{local:%H:%M}"),
        "practitioner_id": form.get("practitioner_id", str(visit.practitioner_id)),
        "room_id": form.get("room_id", ""),
    }
