"""The staff calendar's JSON: the events feed for FullCalendar and drag-and-drop moves."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Response, jsonify, request

from scheduler.calendar.availability import to_minutes
from scheduler.calendar.read_model import visits_between
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.staff.permissions import Permissions
from scheduler.visits.rescheduling import NotMovable
from web.context import clock, db, settings
from web.staff.auth import staff_required
from web.staff.calendar.blueprint import bp, json_error, scope, signed_in
from web.staff.calendar.input import BadInput, event_range, local_moment, optional_id
from web.staff.calendar.presentation import WallClock, event, permitted_actions, wall_time
from web.staff.visit_changes import Moved, conflict_message, move_as, moved_message


@bp.get("/calendar/events")
@staff_required(api=True)
def events() -> Response:
    """The visits between ``start`` and ``end`` (at most 42 days; dates without an offset are
    the clinic's time) as FullCalendar events, for one practitioner or room, or for everyone;
    with ``no_room=1``, only the visits that take no room.

    :raise 400: for a missing or malformed date, a reversed or too long range, a bad id.
    :raise 403: if a practitioner asks for another's calendar.
    """
    user, zone, args = signed_in(), settings().zone, request.args
    try:
        span = event_range(args.get("start"), args.get("end"), zone)
        practitioner_id = optional_id(args.get("practitioner_id"), "practitioner_id")
        wanted = scope(user, practitioner_id, optional_id(args.get("room_id"), "room_id"))
    except BadInput as exc:
        return json_error(400, exc.message, field=exc.field)
    with db().session() as session:
        cancelled = args.get("cancelled") == "1"
        visits = visits_between(
            session, span.start, span.end, include_cancelled=cancelled, **wanted
        )
    if args.get("no_room") == "1":
        visits = [v for v in visits if v.room_id is None]
    now, may = to_minutes(clock().now()), Permissions.of(user)
    wall = WallClock(zone, settings().clinic_locale)
    found = [event(v, permitted_actions(may, v, now), wall) for v in visits]
    # Compact and unsorted: a busy week is a thousand events.
    return Response(json.dumps(found, separators=(",", ":")), mimetype="application/json")


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
        return json_error(400, "Send the new start as a JSON object.")
    try:
        start, practitioner_id, room_id = _move_from(body)
    except BadInput as exc:
        return json_error(422, exc.message, errors={exc.field: [exc.message]})
    try:
        moved = move_as(signed_in(), appointment_id, start, practitioner_id, room_id)
    except (NotFound, NotMovable, SlotUnavailable, ValidationFailed) as exc:
        return _move_refused(exc)
    return jsonify(_moved_answer(moved))


def _move_from(body: dict[str, Any]) -> tuple[datetime, int | None, int | None]:
    start = local_moment(body.get("start"), settings().zone, "start")
    practitioner_id = optional_id(body.get("practitioner_id"), "practitioner_id")
    return start, practitioner_id, optional_id(body.get("room_id"), "room_id")


def _move_refused(exc: Exception) -> Response:
    if isinstance(exc, NotFound):
        return json_error(404, "No such visit.")
    if isinstance(exc, NotMovable):
        return json_error(409, "This visit can no longer be moved.")
    if isinstance(exc, SlotUnavailable):
        return json_error(409, conflict_message(exc))
    assert isinstance(exc, ValidationFailed)
    message = " ".join(m for messages in exc.fields.values() for m in messages)
    return json_error(422, message, errors=exc.fields)


def _moved_answer(moved: Moved) -> dict[str, Any]:
    start = wall_time(moved.starts_at, settings().zone)
    return {
        "id": moved.visit_id,
        "start": start,
        "message": moved_message(moved),
        "warnings": list(moved.warnings),
        "texted": moved.texted,
    }
