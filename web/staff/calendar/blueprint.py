"""The staff calendar's blueprint and what its views share: the signed-in user, JSON errors for
the feed, and whose calendar a request may see."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from scheduler.models import StaffUser
from scheduler.staff.permissions import Permissions
from web.staff.auth import current_staff
from web.staff.calendar.input import BadInput, optional_id

bp = Blueprint("calendar", __name__, url_prefix="/staff")

JSON_PATHS = "/staff/calendar/events"
STATUS_NAMES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}


def signed_in() -> StaffUser:
    """The staff member of this request (the ``staff_required`` decorator ran first)."""
    user = current_staff()
    assert user is not None
    return user


def json_error(status: int, message: str, **extra: Any) -> Response:
    """The feed's error shape: ``{"code", "status", "message"}`` and any extra fields."""
    name = STATUS_NAMES.get(status, "Unprocessable Entity")
    response = jsonify({"code": status, "status": name, "message": message} | extra)
    response.status_code = status
    return response


@bp.errorhandler(CSRFError)
@bp.errorhandler(HTTPException)
def _errors(error: HTTPException) -> Any:
    """JSON for the feed and the drag-and-drop moves; the usual page for everything else."""
    status = error.code or 500
    if request.path.startswith(JSON_PATHS):
        message = "Reload the page and try again." if isinstance(error, CSRFError) else ""
        return json_error(status, message or str(error.description))
    if isinstance(error, CSRFError):
        title, message = "This form has expired", "Please go back, reload the page and try again."
        return render_template("error.html", title=title, message=message), status
    return render_template("error.html", title=error.name, message=error.description), status


def scope(user: StaffUser, practitioner_id: int | None, room_id: int | None) -> dict[str, Any]:
    """The practitioner's or room's visits asked for, if the policy allows them.

    :raise 403: if a practitioner asks for another practitioner's calendar or a room's.
    """
    may = Permissions.of(user)
    if not may.see_calendar(practitioner_id, room_id):
        abort(403, "You can see your own calendar only.")
    if room_id is not None:
        return {"practitioner_id": None, "room_id": room_id}
    return {"practitioner_id": may.calendar_practitioner(practitioner_id), "room_id": None}


def read_field(errors: dict[str, str], field: str, read: Callable[[], Any], default: Any) -> Any:
    """``read()``, or ``default`` with the field's message added to ``errors``."""
    try:
        return read()
    except BadInput as exc:
        errors[field] = exc.message
        return default


def read_ids(errors: dict[str, str], source: Mapping[str, str]) -> tuple[int | None, int | None]:
    """The practitioner and room ids asked for (each optional), with a message for a bad one."""
    practitioner_id = read_field(
        errors,
        "practitioner_id",
        lambda: optional_id(source.get("practitioner_id"), "practitioner_id"),
        None,
    )
    room_id = read_field(
        errors, "room_id", lambda: optional_id(source.get("room_id"), "room_id"), None
    )
    return practitioner_id, room_id
