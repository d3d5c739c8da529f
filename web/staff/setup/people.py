"""Set-up pages for practitioners: the list with licence warnings, details, hours, time off."""

from __future__ import annotations

from typing import Any

from flask import flash, request
from werkzeug.wrappers import Response

from scheduler.models import Practitioner
from scheduler.setup.hours import (
    WEEKDAYS,
    AwayInput,
    add_time_off,
    describe_week,
    hours_field,
    list_time_off,
    remove_time_off,
    set_working_hours,
)
from scheduler.setup.practitioners import (
    PractitionerInput,
    create_practitioner,
    get_practitioner,
    licence_warnings,
    list_practitioners,
    set_practitioner_active,
    update_practitioner,
)
from scheduler.setup.services import list_services
from scheduler.staff.permissions import Permissions
from web.context import clock, db, settings
from web.staff.auth import staff_required
from web.staff.setup.base import (
    admin_only,
    attempt,
    back_to,
    bp,
    checked,
    done,
    field,
    form_page,
    page,
    report,
    submit,
    text_values,
)


def _today() -> Any:
    return clock().now().astimezone(settings().zone).date()


@bp.get("/practitioners")
@staff_required(Permissions.see_practitioner_list)
def practitioners() -> Any:
    """Every practitioner with their services and licence; warnings for licences that run out
    within 30 days or have run out. Any signed-in staff member may look."""
    with db().session() as session:
        return page(
            "practitioners.html",
            practitioners=list_practitioners(session),
            warnings={w.practitioner_id: w for w in licence_warnings(session, _today())},
        )


def _input() -> PractitionerInput:
    return PractitionerInput(
        name=field("name"),
        title=field("title"),
        licence_number=field("licence_number"),
        licence_expires_on=field("licence_expires_on"),
        service_ids=request.form.getlist("service_ids"),
    )


def _values(practitioner: Practitioner) -> dict[str, Any]:
    values: dict[str, Any] = text_values(
        {
            "name": practitioner.name,
            "title": practitioner.title,
            "licence_number": practitioner.licence_number,
            "licence_expires_on": practitioner.licence_expires_on,
        }
    )
    values["service_ids"] = [str(s.id) for s in practitioner.services]
    return values


def _submitted() -> dict[str, Any]:
    values: dict[str, Any] = request.form.to_dict()
    values["service_ids"] = request.form.getlist("service_ids")
    return values


@bp.route("/practitioners/new", methods=["GET", "POST"])
@admin_only
def new_practitioner() -> Any:
    """Add a practitioner: name, title, licence and the services they are qualified for."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        made, errors = attempt(lambda s: create_practitioner(s, _input()).id)
        if made is not None:
            return done(
                "Practitioner added. Now set their working hours.",
                "setup.practitioner_hours",
                practitioner_id=made,
            )
    with db().session() as session:
        return form_page(
            "practitioner_form.html",
            errors,
            {"service_ids": []},
            typed=_submitted(),
            practitioner=None,
            services=list_services(session),
        )


@bp.route("/practitioners/<id:practitioner_id>", methods=["GET", "POST"])
@admin_only
def practitioner(practitioner_id: int) -> Any:
    """Edit a practitioner's details and services.

    :raise 404: if there is no such practitioner.
    """
    sent, errors = submit(
        lambda s: update_practitioner(s, practitioner_id, _input()),
        "Practitioner saved.",
        "setup.practitioners",
    )
    if sent is not None:
        return sent
    with db().session() as session:
        found = get_practitioner(session, practitioner_id)
        return form_page(
            "practitioner_form.html",
            errors,
            _values(found),
            typed=_submitted(),
            practitioner=found,
            services=list_services(session),
        )


@bp.post("/practitioners/<id:practitioner_id>/active")
@admin_only
def practitioner_active(practitioner_id: int) -> Any:
    """Deactivate (no longer bookable; nothing deleted) or reactivate a practitioner."""
    active = checked("active")
    upcoming, _ = attempt(
        lambda s: set_practitioner_active(s, practitioner_id, active, clock().now())
    )
    if active:
        flash("Practitioner reactivated: bookable again.", "ok")
    else:
        flash("Practitioner deactivated: no longer bookable. Their records are kept.", "ok")
        if upcoming:
            flash(
                f"{upcoming} visit(s) still to come are booked with them: move them in the "
                "calendar.",
                "warning",
            )
    return back_to("setup.practitioners")


def _typed_hours() -> dict[int, str]:
    """The week's hours as typed, by weekday (0 is Monday)."""
    return {day: field(hours_field(day)) for day in range(7)}


def _stored_hours(practitioner: Practitioner) -> dict[str, str]:
    """The hours form filled in from the practitioner's working hours."""
    return {hours_field(day): text for day, text in describe_week(practitioner.hours).items()}


@bp.route("/practitioners/<id:practitioner_id>/hours", methods=["GET", "POST"])
@admin_only
def practitioner_hours(practitioner_id: int) -> Any:
    """A practitioner's weekly hours: one line per weekday, stretches separated by commas
    (the gaps are breaks).

    :raise 404: if there is no such practitioner.
    """
    sent, errors = submit(
        lambda s: set_working_hours(s, practitioner_id, _typed_hours()),
        "Working hours saved.",
        "setup.practitioner_hours",
        practitioner_id=practitioner_id,
    )
    if sent is not None:
        return sent
    with db().session() as session:
        found = get_practitioner(session, practitioner_id)
        days = [(hours_field(day), name) for day, name in enumerate(WEEKDAYS)]
        return form_page("hours.html", errors, _stored_hours(found), practitioner=found, days=days)


def _add_time_off(practitioner_id: int) -> tuple[Response | None, dict[str, list[str]]]:
    """Add the time off as typed: (the way back to the list, {}) with a warning when booked
    visits fall in it, or (None, the field errors) when refused."""
    data = AwayInput(field("starts"), field("ends"), field("reason"))
    clashes, errors = attempt(
        lambda s: (
            add_time_off(s, practitioner_id, data, zone=settings().zone, now=clock().now()).clashes
        )
    )
    if errors:
        return None, errors
    flash("Time off added: no new bookings then.", "ok")
    if clashes:
        flash(
            f"{clashes} visit(s) already booked fall in this time: move them in the calendar.",
            "warning",
        )
    return back_to("setup.practitioner_time_off", practitioner_id=practitioner_id), {}


@bp.route("/practitioners/<id:practitioner_id>/time-off", methods=["GET", "POST"])
@admin_only
def practitioner_time_off(practitioner_id: int) -> Any:
    """A practitioner's time off: the list and a form to add some (clinic local times).

    :raise 404: if there is no such practitioner.
    """
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        sent, errors = _add_time_off(practitioner_id)
        if sent is not None:
            return sent
    with db().session() as session:
        found = get_practitioner(session, practitioner_id)
        now = clock().now()
        return form_page(
            "time_off.html",
            errors,
            {},
            practitioner=found,
            time_off=list_time_off(session, practitioner_id, now),
            now=now,
            zone=settings().zone,
        )


@bp.post("/practitioners/<id:practitioner_id>/time-off/<id:time_off_id>/remove")
@admin_only
def remove_practitioner_time_off(practitioner_id: int, time_off_id: int) -> Any:
    """Take back time off that has not ended yet (past time off stays on record)."""
    _, errors = attempt(lambda s: remove_time_off(s, practitioner_id, time_off_id, clock().now()))
    report(errors, "Time off removed.")
    return back_to("setup.practitioner_time_off", practitioner_id=practitioner_id)
