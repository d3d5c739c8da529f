"""Set-up pages for what the clinic offers and where: services, rooms and closures."""

from __future__ import annotations

from typing import Any

from flask import flash, request

from scheduler.setup.bank_holidays import (
    BankHolidaysAdded,
    Region,
    add_bank_holidays,
    bank_holiday_years,
    regions_of,
)
from scheduler.setup.hours import AwayInput, add_closure, list_closures, remove_closure
from scheduler.setup.services import (
    RoomInput,
    ServiceInput,
    create_room,
    create_service,
    get_room,
    get_service,
    list_rooms,
    list_services,
    set_room_active,
    set_service_active,
    update_room,
    update_service,
)
from web.context import clock, db, settings
from web.staff.setup.base import (
    admin_only,
    attempt,
    back_to,
    bp,
    checked,
    field,
    form_page,
    page,
    report,
    submit,
    text_values,
)
from web.staff.setup.clinic_details import price_text

SERVICE_DEFAULTS = {"duration_min": "45", "buffer_min": "0", "needs_room": "1"}


def _service_input() -> ServiceInput:
    return ServiceInput(
        name=field("name"),
        duration_min=field("duration_min"),
        buffer_min=field("buffer_min"),
        needs_room=checked("needs_room"),
        description=field("description"),
        price=field("price"),
    )


@bp.get("/services")
@admin_only
def services() -> Any:
    """Every service with its length, buffer and whether it needs a room."""
    with db().session() as session:
        return page("services.html", services=list_services(session))


@bp.route("/services/new", methods=["GET", "POST"])
@admin_only
def new_service() -> Any:
    """Add a service (5 to 480 minutes, a buffer of up to 120)."""
    sent, errors = submit(
        lambda s: create_service(s, _service_input()), "Service added.", "setup.services"
    )
    if sent is not None:
        return sent
    return form_page("service_form.html", errors, SERVICE_DEFAULTS, service=None)


@bp.route("/services/<id:service_id>", methods=["GET", "POST"])
@admin_only
def service(service_id: int) -> Any:
    """Edit a service; visits already booked keep their length.

    :raise 404: if there is no such service.
    """
    sent, errors = submit(
        lambda s: update_service(s, service_id, _service_input()),
        "Service saved.",
        "setup.services",
    )
    if sent is not None:
        return sent
    with db().session() as session:
        found = get_service(session, service_id)
        stored = text_values(
            {
                "name": found.name,
                "description": found.description,
                "duration_min": found.duration_min,
                "buffer_min": found.buffer_min,
                "needs_room": "1" if found.needs_room else "",
                "price": price_text(found.price_pence),
            }
        )
        return form_page("service_form.html", errors, stored, service=found)


@bp.post("/services/<id:service_id>/active")
@admin_only
def service_active(service_id: int) -> Any:
    """Stop offering a service (kept with its history) or offer it again."""
    active = checked("active")
    templates, _ = attempt(lambda s: set_service_active(s, service_id, active))
    flash("Service offered again." if active else "Service no longer offered.", "ok")
    if templates:
        flash(
            "These active courses still use it: " + ", ".join(templates) + ". Change them.",
            "warning",
        )
    return back_to("setup.services")


@bp.route("/rooms", methods=["GET", "POST"])
@admin_only
def rooms() -> Any:
    """The treatment rooms, and a form to add one."""
    sent, errors = submit(
        lambda s: create_room(s, RoomInput(field("name"))), "Room added.", "setup.rooms"
    )
    if sent is not None:
        return sent
    with db().session() as session:
        return form_page("rooms.html", errors, {}, rooms=list_rooms(session))


@bp.route("/rooms/<id:room_id>", methods=["GET", "POST"])
@admin_only
def room(room_id: int) -> Any:
    """Rename a room.

    :raise 404: if there is no such room.
    """
    sent, errors = submit(
        lambda s: update_room(s, room_id, RoomInput(field("name"))), "Room saved.", "setup.rooms"
    )
    if sent is not None:
        return sent
    with db().session() as session:
        found = get_room(session, room_id)
        return form_page("room_form.html", errors, {"name": found.name}, room=found)


@bp.post("/rooms/<id:room_id>/active")
@admin_only
def room_active(room_id: int) -> Any:
    """Stop using a room for new bookings (kept with its history) or use it again."""
    active = checked("active")
    upcoming, _ = attempt(lambda s: set_room_active(s, room_id, active, clock().now()))
    flash("Room in use again." if active else "Room no longer used for new bookings.", "ok")
    if upcoming:
        flash(f"{upcoming} visit(s) still to come are booked in it: move them.", "warning")
    return back_to("setup.rooms")


@bp.route("/closures", methods=["GET", "POST"])
@admin_only
def closures() -> Any:
    """When the whole clinic is closed: the list and a form to add a closure (local times)."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data = AwayInput(field("starts"), field("ends"), field("reason"))
        clashes, errors = attempt(
            lambda s: add_closure(s, data, zone=settings().zone, now=clock().now()).clashes
        )
        if not errors:
            flash("Closure added: no bookings then.", "ok")
            if clashes:
                flash(
                    f"{clashes} visit(s) already booked fall in it: move them in the calendar.",
                    "warning",
                )
            return back_to("setup.closures")
    with db().session() as session:
        return form_page(
            "closures.html",
            errors,
            {},
            closures=list_closures(session, clock().now()),
            now=clock().now(),
            zone=settings().zone,
            holiday_years=bank_holiday_years(clock().now().astimezone(settings().zone).date()),
            region=_region(),
            regions=regions_of(settings().clinic_country),
        )


def _region() -> Region:
    return Region(settings().clinic_country, settings().clinic_subdivision)


@bp.post("/closures/bank-holidays")
@admin_only
def add_clinic_bank_holidays() -> Any:
    """Close the clinic on the bank holidays of the chosen year that are still to come, each
    named after its holiday; those already closed are left as they are."""
    year = field("year")
    result, errors = attempt(
        lambda s: add_bank_holidays(
            s, year, region=_region(), zone=settings().zone, now=clock().now()
        )
    )
    if result is None:
        report(errors, "")
    else:
        _flash_bank_holidays(result)
    return back_to("setup.closures")


def _flash_bank_holidays(result: BankHolidaysAdded) -> None:
    added, year = len(result.added), result.year
    if added:
        flash(f"{added} bank holiday(s) of {year} added as closures: no bookings then.", "ok")
    else:
        flash(f"No bank holidays of {year} to add: each one still to come is already closed.", "ok")
    if result.clashes:
        flash(
            f"{result.clashes} visit(s) already booked fall on them: move them in the calendar.",
            "warning",
        )


@bp.post("/closures/<id:closure_id>/remove")
@admin_only
def remove_clinic_closure(closure_id: int) -> Any:
    """Take back a closure that has not ended yet (past ones stay on record)."""
    _, errors = attempt(lambda s: remove_closure(s, closure_id, clock().now()))
    report(errors, "Closure removed.")
    return back_to("setup.closures")
