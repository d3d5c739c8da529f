"""The staff calendar: day and week views per practitioner or room, today's list for the front
desk, the events feed for FullCalendar, moving visits and recording what happened at them.

Admins and the front desk see every calendar; a practitioner sees only their own (asking for
another's, or for a room's, is a 403). Every action asks the permission policy again on the
server.
The JSON endpoints under ``/staff/calendar/events`` answer errors as
``{"code", "status", "message"}``; POSTs there need the CSRF token in ``X-CSRFToken``.
Without JavaScript the same pages are server-rendered lists with a form per action.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from scheduler.calendar.availability import to_minutes
from scheduler.calendar.read_model import CalendarVisit, VisitAction, visits_between
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.models import Appointment, Practitioner, Room, StaffUser
from scheduler.staff.permissions import Permissions
from scheduler.visits.attendance import InvalidTransition
from scheduler.visits.cancellation import NotCancellable
from scheduler.visits.rescheduling import NotMovable
from scheduler.visits.review import NotPendingReview
from web.context import clock, db, settings
from web.enqueue import enqueue_follow_ups
from web.redirects import safe_next
from web.staff.auth import current_staff, staff_required
from web.staff.calendar.events import (
    ACTION_LABELS,
    STATUS_LABELS,
    WallClock,
    event,
    permitted_actions,
    wall_time,
)
from web.staff.calendar.input import (
    BadInput,
    clock_time,
    day_of,
    days_shown,
    event_range,
    local_bounds,
    local_moment,
    optional_id,
)
from web.staff.visit_changes import DONE, apply_action, conflict_message, move_as, moved_message

bp = Blueprint("calendar", __name__, url_prefix="/staff")

JSON_PATHS = "/staff/calendar/events"
VIEWS = {"week": "timeGridWeek", "day": "timeGridDay"}


def _user() -> StaffUser:
    user = current_staff()
    assert user is not None  # staff_required ran first
    return user


def _json_error(status: int, message: str, **extra: Any) -> Response:
    names = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}
    body = {"code": status, "status": names.get(status, "Unprocessable Entity"), "message": message}
    response = jsonify(body | extra)
    response.status_code = status
    return response


@bp.errorhandler(CSRFError)
@bp.errorhandler(HTTPException)
def _errors(error: HTTPException) -> Any:
    """JSON for the feed and the drag-and-drop moves; the usual page for everything else."""
    status = error.code or 500
    if request.path.startswith(JSON_PATHS):
        message = "Reload the page and try again." if isinstance(error, CSRFError) else ""
        return _json_error(status, message or str(error.description))
    if isinstance(error, CSRFError):
        title, message = "This form has expired", "Please go back, reload the page and try again."
        return render_template("error.html", title=title, message=message), status
    return render_template("error.html", title=error.name, message=error.description), status


def _scope(user: StaffUser, practitioner_id: int | None, room_id: int | None) -> dict[str, Any]:
    """The practitioner's or room's visits asked for, if the policy allows them.

    :raise 403: if a practitioner asks for another practitioner's calendar or a room's.
    """
    may = Permissions.of(user)
    if not may.see_calendar(practitioner_id, room_id):
        abort(403, "You can see your own calendar only.")
    if room_id is not None:
        return {"practitioner_id": None, "room_id": room_id}
    return {"practitioner_id": may.calendar_practitioner(practitioner_id), "room_id": None}


# The events feed and drag-and-drop moves (JSON).


@bp.get("/calendar/events")
@staff_required(api=True)
def events() -> Response:
    """The visits between ``start`` and ``end`` (at most 42 days; dates without an offset are
    the clinic's time) as FullCalendar events, for one practitioner or room, or for everyone.

    :raise 400: for a missing or malformed date, a reversed or too long range, a bad id.
    :raise 403: if a practitioner asks for another's calendar.
    """
    user = _user()
    zone = settings().zone
    try:
        span = event_range(request.args.get("start"), request.args.get("end"), zone)
        wanted = _scope(
            user,
            optional_id(request.args.get("practitioner_id"), "practitioner_id"),
            optional_id(request.args.get("room_id"), "room_id"),
        )
    except BadInput as exc:
        return _json_error(400, exc.message, field=exc.field)
    now = to_minutes(clock().now())
    with db().session() as session:
        visits = visits_between(
            session,
            span.start,
            span.end,
            include_cancelled=request.args.get("cancelled") == "1",
            **wanted,
        )
    wall, may = WallClock(zone), Permissions.of(user)
    events = [event(v, permitted_actions(may, v, now), wall) for v in visits]
    # Compact and unsorted: a busy week is a thousand events.
    return Response(json.dumps(events, separators=(",", ":")), mimetype="application/json")


@bp.post("/calendar/events/<id:appointment_id>/move")
@staff_required(api=True)
def move_event(appointment_id: int) -> Response:
    """Move a visit dragged on the calendar: ``{"start", "practitioner_id"?, "room_id"?}``.

    :raise 400: if the body is not a JSON object. :raise 403: not the practitioner's visit.
    :raise 404: no such visit. :raise 409: the time is taken or the visit cannot move.
    :raise 422: the new time is not bookable (with ``errors`` per field).
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _json_error(400, "Send the new start as a JSON object.")
    try:
        start = _start_from(body)
        practitioner_id = optional_id(body.get("practitioner_id"), "practitioner_id")
        room_id = optional_id(body.get("room_id"), "room_id")
    except BadInput as exc:
        return _json_error(422, exc.message, errors={exc.field: [exc.message]})
    try:
        moved = move_as(_user(), appointment_id, start, practitioner_id, room_id)
    except NotFound:
        return _json_error(404, "No such visit.")
    except NotMovable:
        return _json_error(409, "This visit can no longer be moved.")
    except SlotUnavailable as exc:
        return _json_error(409, conflict_message(exc))
    except ValidationFailed as exc:
        message = " ".join(m for messages in exc.fields.values() for m in messages)
        return _json_error(422, message, errors=exc.fields)
    return jsonify(
        {
            "id": moved.visit_id,
            "start": wall_time(moved.starts_at, settings().zone),
            "message": moved_message(moved),
        }
    )


def _start_from(body: dict[str, Any]) -> datetime:
    return local_moment(body.get("start"), settings().zone, "start")


# Recording what happened, cancelling, confirming a review (forms; one click each).


@bp.post(
    "/visits/<id:appointment_id>/"
    "<any(arrived, completed, 'no-show', cancel, 'confirm-review'):action>"
)
@staff_required()
def visit_action(appointment_id: int, action: str) -> Any:
    """Mark a visit arrived, completed or no-show, cancel it, or confirm a booking that waited
    for review; then back to the page the button was on, with what happened.

    :raise 403: for another practitioner's visit, or a review confirmed by the front desk.
    :raise 404: if there is no such visit.
    """
    user = _user()
    chosen = VisitAction(action)
    if chosen == VisitAction.CONFIRM_REVIEW and not Permissions.of(user).confirm_review():
        abort(403, "A practitioner or an admin confirms a review.")
    back = safe_next(request.form.get("next"), url_for("calendar.today"))
    try:
        with db().transaction() as session:
            name, follow_ups = apply_action(session, user, appointment_id, chosen)
    except NotFound:
        abort(404, "No such visit.")
    except (InvalidTransition, NotCancellable, NotPendingReview) as exc:
        flash(f"Nothing changed: {exc}.", "error")
        return redirect(back, code=303)
    enqueue_follow_ups(follow_ups)
    flash(DONE[chosen].format(name=name), "ok")
    return redirect(back, code=303)


# Pages: the calendar, today's list and the move form.


@dataclass
class Choices:
    practitioners: list[tuple[int, str]]
    rooms: list[tuple[int, str]]


def _choices(session: Session) -> Choices:
    return Choices(
        practitioners=[
            (pid, name)
            for pid, name in session.execute(
                select(Practitioner.id, Practitioner.name)
                .where(Practitioner.active.is_(True))
                .order_by(Practitioner.name)
            )
        ],
        rooms=[
            (rid, name)
            for rid, name in session.execute(
                select(Room.id, Room.name).where(Room.active.is_(True)).order_by(Room.name)
            )
        ],
    )


def _read(errors: dict[str, str], field: str, read: Callable[[], Any], default: Any) -> Any:
    try:
        return read()
    except BadInput as exc:
        errors[field] = exc.message
        return default


def _rows(
    user: StaffUser, visits: list[CalendarVisit], now: datetime
) -> list[tuple[CalendarVisit, tuple[VisitAction, ...]]]:
    now_min, may = to_minutes(now), Permissions.of(user)
    return [(v, permitted_actions(may, v, now_min)) for v in visits]


def _by_day(
    rows: list[tuple[CalendarVisit, tuple[VisitAction, ...]]], first: date, last: date
) -> dict[date, list[tuple[CalendarVisit, tuple[VisitAction, ...]]]]:
    zone = settings().zone
    days: dict[date, list[tuple[CalendarVisit, tuple[VisitAction, ...]]]] = {}
    for row in rows:
        day = row[0].starts_at.astimezone(zone).date()
        if first <= day <= last:
            days.setdefault(day, []).append(row)
    return days


def _listing(view: str) -> tuple[dict[str, Any], int]:
    """What the calendar page and today's list share: the filters read, checked, and the
    visits of the days shown."""
    user = _user()
    zone = settings().zone
    now = clock().now()
    today = now.astimezone(zone).date()
    errors: dict[str, str] = {}
    args = request.args
    day = _read(errors, "date", lambda: day_of(args.get("date"), today), today)
    practitioner_id = _read(
        errors,
        "practitioner_id",
        lambda: optional_id(args.get("practitioner_id"), "practitioner_id"),
        None,
    )
    room_id = _read(errors, "room_id", lambda: optional_id(args.get("room_id"), "room_id"), None)
    wanted = _scope(user, practitioner_id, room_id)
    first, last = days_shown(day, view)
    with db().session() as session:
        choices = _choices(session)
        if wanted["practitioner_id"] not in (None, *(p for p, _ in choices.practitioners)):
            errors["practitioner_id"] = "Choose a practitioner from the list."
            wanted["practitioner_id"] = None
        if wanted["room_id"] not in (None, *(r for r, _ in choices.rooms)):
            errors["room_id"] = "Choose a room from the list."
            wanted["room_id"] = None
        bounds = local_bounds(first, last, zone)
        visits = visits_between(
            session,
            bounds.start,
            bounds.end,
            include_cancelled=args.get("cancelled") == "1",
            **wanted,
        )
    context = {
        "staff": user,
        "zone": zone,
        "now": now,
        "day": day,
        "today": today,
        "first": first,
        "last": last,
        "view": view,
        "wanted": wanted,
        "choices": choices,
        "errors": errors,
        "cancelled": args.get("cancelled") == "1",
        "days": _by_day(_rows(user, visits, now), first, last),
        "status_labels": STATUS_LABELS,
        "action_labels": ACTION_LABELS,
        "here": request.full_path.rstrip("?"),
    }
    return context, (400 if errors else 200)


@bp.get("/calendar")
@staff_required()
def calendar_page() -> Any:
    """The week (or day, ``view=day``) around ``date`` for one practitioner or room, or for
    everyone; FullCalendar where JavaScript runs, a list with a form per action where not.

    :raise 403: if a practitioner asks for another's calendar or a room's.
    """
    view = request.args.get("view", "week")
    view_error = None
    if view not in VIEWS:
        view, view_error = "week", "Choose the day or the week view."
    context, status = _listing(view)
    if view_error:
        context["errors"]["view"] = view_error
        status = 400
    step = timedelta(days=1 if view == "day" else 7)
    first = context["first"]
    context["fc_view"] = VIEWS[view]
    context["all_days"] = [
        first + timedelta(days=n) for n in range((context["last"] - first).days + 1)
    ]
    context["earlier"], context["later"] = first - step, first + step
    context["visit_base"] = request.script_root + bp.url_prefix + "/visits/"  # type: ignore[operator]
    context["now_local"] = wall_time(context["now"], context["zone"])
    return render_template("staff/calendar.html", **context), status


@bp.get("/today")
@staff_required()
def today() -> Any:
    """Today's visits in time order (one practitioner's with ``practitioner_id``; a
    practitioner sees their own), with one-click buttons for what happens at each."""
    context, status = _listing("day")
    return render_template("staff/today.html", **context), status


def _move_form_error(exc: ValidationFailed) -> dict[str, str]:
    fields = {"start": "time", "practitioner_id": "practitioner_id", "room_id": "room_id"}
    return {fields.get(k, "time"): " ".join(v) for k, v in exc.fields.items()}


def _visit_for_form(session: Session, user: StaffUser, appointment_id: int) -> Appointment:
    visit = session.get(Appointment, appointment_id)
    if visit is None:
        abort(404, "No such visit.")
    if not Permissions.of(user).act_on_visit(visit.practitioner_id):
        abort(403, "You can move your own visits only.")
    return visit


def _rendermove_as(
    user: StaffUser,
    appointment_id: int,
    errors: dict[str, str],
    conflict: str | None,
    status: int,
) -> Any:
    zone = settings().zone
    with db().session() as session:
        visit = _visit_for_form(session, user, appointment_id)
        choices = _choices(session)
        givers = [
            (p.id, p.name)
            for p in session.scalars(
                select(Practitioner)
                .where(Practitioner.active.is_(True))
                .order_by(Practitioner.name)
            )
            if p.offers(visit.service)
        ]
        givers = [g for g in givers if Permissions.of(user).give_visit_to(g[0])]
        local = visit.starts_at.astimezone(zone)
        form = request.form if request.method == "POST" else {}
        return render_template(
            "staff/move_visit.html",
            staff=user,
            visit=visit,
            zone=zone,
            givers=givers,
            rooms=choices.rooms,
            errors=errors,
            conflict=conflict,
            values={
                "date": form.get("date", local.date().isoformat()),
                "time": form.get("time", f"{local:%H:%M}"),
                "practitioner_id": form.get("practitioner_id", str(visit.practitioner_id)),
                "room_id": form.get("room_id", ""),
            },
            next=safe_next(request.values.get("next"), ""),
        ), status


@bp.route("/visits/<id:appointment_id>/move", methods=["GET", "POST"])
@staff_required()
def move_visit(appointment_id: int) -> Any:
    """Move a visit by form: a new day and time, and optionally another practitioner or room.
    The same rules and messages as dragging it on the calendar.

    :raise 403: for another practitioner's visit. :raise 404: if there is no such visit.
    """
    user = _user()
    if request.method == "GET":
        return _rendermove_as(user, appointment_id, {}, None, 200)
    errors: dict[str, str] = {}
    form = request.form
    day = _read(errors, "date", lambda: day_of(form.get("date"), None), None)
    at = _read(errors, "time", lambda: clock_time(form.get("time")), None)
    practitioner_id = _read(
        errors,
        "practitioner_id",
        lambda: optional_id(form.get("practitioner_id"), "practitioner_id"),
        None,
    )
    room_id = _read(errors, "room_id", lambda: optional_id(form.get("room_id"), "room_id"), None)
    if errors:
        return _rendermove_as(user, appointment_id, errors, None, 422)
    start = datetime.combine(day, at, tzinfo=settings().zone)
    try:
        moved = move_as(user, appointment_id, start, practitioner_id, room_id)
    except NotFound:
        abort(404, "No such visit.")
    except NotMovable:
        return _rendermove_as(user, appointment_id, {}, "This visit can no longer be moved.", 409)
    except SlotUnavailable as exc:
        return _rendermove_as(user, appointment_id, {}, conflict_message(exc), 409)
    except ValidationFailed as exc:
        return _rendermove_as(user, appointment_id, _move_form_error(exc), None, 422)
    flash(moved_message(moved), "ok")
    local_day = moved.starts_at.astimezone(settings().zone).date()
    fallback = url_for("calendar.calendar_page", date=local_day.isoformat())
    return redirect(safe_next(form.get("next"), fallback), code=303)
