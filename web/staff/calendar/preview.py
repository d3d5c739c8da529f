"""Asking before a drag moves a visit: the move is tried and rolled back, so the question says
what the move itself would do (the new time, who, whether the patient is texted, warnings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, abort, jsonify, request

from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.models import Appointment, StaffUser
from scheduler.staff.permissions import Permissions
from scheduler.visits.rescheduling import NotMovable
from web.context import db, settings
from web.dates import visit_when
from web.staff.auth import staff_required
from web.staff.calendar.blueprint import bp, json_error, signed_in
from web.staff.calendar.feed import _move_from, _move_refused
from web.staff.calendar.input import BadInput
from web.staff.visit_changes import _move

WILL_TEXT = {
    True: "The patient will be texted the new time.",
    False: "No text will go to the patient.",
}


@bp.post("/calendar/events/<id:appointment_id>/move-preview")
@staff_required(api=True)
def preview_move(appointment_id: int) -> Response:
    """What moving a visit to ``{"start", "practitioner_id"?, "room_id"?}`` would do, with
    nothing changed: ``{"when", "practitioner", "room", "texted", "warnings", "question"}``.

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
    user = signed_in()
    if not Permissions.of(user).give_visit_to(practitioner_id):
        abort(403, "You can move your own visits only, and keep them.")
    try:
        return jsonify(_tried(user, appointment_id, start, practitioner_id, room_id))
    except (NotFound, NotMovable, SlotUnavailable, ValidationFailed) as exc:
        return _move_refused(exc)


def _tried(
    user: StaffUser,
    appointment_id: int,
    start: datetime,
    practitioner_id: int | None,
    room_id: int | None,
) -> dict[str, Any]:
    """The move run by the same use case in a transaction that is always rolled back."""
    session = db().session()
    try:
        moved, _follow_ups = _move(session, user, appointment_id, start, practitioner_id, room_id)
        visit = session.get_one(Appointment, appointment_id)
        when = visit_when(visit.starts_at, visit.ends_at, settings().zone, settings().clinic_locale)
        room = visit.room.name if visit.room else None
    finally:
        session.rollback()
        session.close()
    where = f" in {room}" if room else ""
    return {
        "when": when,
        "practitioner": moved.practitioner_name,
        "room": room,
        "texted": moved.texted,
        "warnings": list(moved.warnings),
        "question": f"Move {moved.patient_name} to {when} with {moved.practitioner_name}{where}?",
        "texts": WILL_TEXT[moved.texted],
    }
