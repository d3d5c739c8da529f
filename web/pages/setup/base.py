"""The set-up blueprint and what its pages share: the admin check, forms, errors, rendering."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Blueprint, render_template, request
from sqlalchemy.orm import Session

from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import Role, StaffUser
from web.context import db
from web.staff_auth import current_staff, staff_required

bp = Blueprint("setup", __name__, url_prefix="/staff/setup")
admin_only = staff_required(Role.ADMIN)
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
