"""The set-up blueprint and what its pages share: the policy checks, forms, errors, rendering."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import StaffUser
from scheduler.staff.permissions import Permissions
from web.context import db
from web.staff.auth import current_staff, staff_required

bp = Blueprint("setup", __name__, url_prefix="/staff/setup")
admin_only = staff_required(Permissions.run_setup)
accounts_admin = staff_required(Permissions.administer_staff)
T = TypeVar("T")


@bp.errorhandler(NotFound)
def _not_found(_error: NotFound) -> tuple[str, int]:
    message = "There is no such record. It may have been removed; go back and reload the list."
    return render_template("error.html", title="Not found", message=message), 404


def user() -> StaffUser:
    """The signed-in staff member (``staff_required`` has made sure there is one)."""
    found = current_staff()
    assert found is not None
    return found


def field(name: str) -> str:
    """A form field as typed (empty when absent)."""
    return request.form.get(name, "")


def checked(name: str) -> bool:
    """Whether a checkbox was ticked."""
    return request.form.get(name) in ("1", "on", "yes", "true")


def page(file: str, status: int = 200, /, **context: Any) -> tuple[str, int]:
    """A set-up page (``file`` under templates/staff/setup), with the signed-in staff member
    for the navigation."""
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return render_template(f"staff/setup/{file}", staff=current_staff(), **context), status


def form_page(
    file: str,
    errors: dict[str, list[str]],
    stored: Mapping[str, Any],
    /,
    typed: Mapping[str, Any] | None = None,
    **context: Any,
) -> tuple[str, int]:
    """A set-up page with a form: ``stored`` in its fields (200), or after refused input the
    fields as typed (``typed``, else the form as sent) with the errors next to them (422)."""
    if not errors:
        return page(file, 200, values=stored, errors=errors, **context)
    values = request.form.to_dict() if typed is None else typed
    return page(file, 422, values=values, errors=errors, **context)


def back_to(endpoint: str, **url_values: Any) -> Response:
    """Send the browser on to ``endpoint`` (303, so that reloading does not post again)."""
    return redirect(url_for(endpoint, **url_values), code=303)


def done(message: str, endpoint: str, **url_values: Any) -> Response:
    """Say ``message`` on the next page and send the browser on to ``endpoint``."""
    flash(message, "ok")
    return back_to(endpoint, **url_values)


def submit(
    work: Callable[[Session], object], message: str, endpoint: str, **url_values: Any
) -> tuple[Response | None, dict[str, list[str]]]:
    """On a POST, run ``work`` in a write transaction: when accepted, (the redirect to
    ``endpoint`` with ``message`` said, {}); when refused, (None, the field errors). On a GET
    nothing runs: (None, {})."""
    if request.method != "POST":
        return None, {}
    _, errors = attempt(work)
    if errors:
        return None, errors
    return done(message, endpoint, **url_values), {}


def report(errors: Mapping[str, list[str]], message: str) -> None:
    """Say on the next page why an action without a form was refused, or else ``message``."""
    if errors:
        flash(first_error(errors), "error")
    else:
        flash(message, "ok")


def attempt(work: Callable[[Session], T]) -> tuple[T | None, dict[str, list[str]]]:
    """Run ``work`` in a write transaction: (its result, {}) or (None, the field errors) when
    the input was refused (then nothing was written)."""
    try:
        with db().transaction() as session:
            return work(session), {}
    except ValidationFailed as exc:
        return None, exc.fields


def read(work: Callable[[Session], T]) -> T:
    """Run ``work`` in a read session (objects stay usable by the template afterwards)."""
    with db().session() as session:
        return work(session)


def text_values(values: Mapping[str, object]) -> dict[str, str]:
    """Values for a form's fields as text (None as empty)."""
    return {k: "" if v is None else str(v) for k, v in values.items()}


def first_error(errors: Mapping[str, list[str]]) -> str:
    """The messages of a refused action that has no field to show them next to."""
    return " ".join(message for messages in errors.values() for message in messages)
