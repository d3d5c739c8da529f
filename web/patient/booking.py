"""Booking a single visit on /visit: a service, a day, a free time, the screen and details."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from scheduler.calendar.availability import from_minutes
from scheduler.calendar.snapshot import free_slots
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.models import ACTIVE_STATUSES, Appointment, Patient, Practitioner, Service
from scheduler.phones import InvalidPhone, to_e164
from scheduler.visits.booking import BookingRequest, patient_answer_errors
from scheduler.visits.intake import book_visit_screened
from web.context import clock, db, settings
from web.patient.forms import BookingForm
from web.patient.intake_form import (
    details_form,
    read_screen,
    request_from_form,
    safety_context,
    show_errors,
    stop_booking,
)

bp = Blueprint("pages", __name__)

DOUBLE_SUBMIT_WINDOW = timedelta(minutes=10)
REVIEW_MESSAGE = (
    "You are booked. Because of your answers, your practitioner will look over them before "
    "your first visit and call you if anything needs to change."
)


def _int_arg(name: str) -> int | None:
    raw = request.values.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _date_arg(name: str, default: date) -> date:
    try:
        return date.fromisoformat(request.values.get(name, ""))
    except ValueError:
        return default


def _page_data(session: Session, service_id: int | None, day: date) -> dict[str, Any]:
    services = list(session.scalars(select(Service).where(Service.active).order_by(Service.id)))
    practitioners = {
        p.id: p
        for p in session.scalars(select(Practitioner).options(selectinload(Practitioner.services)))
    }
    chosen = next((s for s in services if s.id == service_id), None)
    slots = []
    if chosen is not None:
        try:
            slots = free_slots(
                session,
                service_id=chosen.id,
                first_day=day,
                last_day=day,
                zone=settings().zone,
                now=clock().now(),
            )
        except (NotFound, ValidationFailed):
            slots = []
    zone = settings().zone
    return {
        "services": services,
        "service": chosen,
        "day": day,
        "prev_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "slots": [
            {
                "value": f"{s.practitioner_ids[0]}|{from_minutes(s.start).isoformat()}",
                "time": from_minutes(s.start).astimezone(zone).strftime("%H:%M"),
                "practitioner": practitioners[s.practitioner_ids[0]].name,
            }
            for s in slots
        ],
    }


def _render(
    form: BookingForm,
    service_id: int | None,
    day: date,
    status: int = 200,
    safety_errors: dict[str, list[str]] | None = None,
) -> Any:
    with db().session() as session:
        data = _page_data(session, service_id, day)
    return render_template(
        "book.html",
        form=form,
        safety_errors=safety_errors or {},
        **data,
        **safety_context(),
    ), status


@bp.get("/visit")
def book_page() -> Any:
    """Choose a service and a day, see its free times, and book one."""
    today = clock().now().astimezone(settings().zone).date()
    day = max(_date_arg("date", today), today)
    form = details_form()
    service_id = _int_arg("service_id")
    form.service_id.data = str(service_id or "")
    return _render(form, service_id, day)


def parse_slot(value: str) -> tuple[int, datetime] | None:
    """A chosen time as the form sends it: "<practitioner id>|<ISO start>"."""
    practitioner, _, start = (value or "").partition("|")
    try:
        parsed = datetime.fromisoformat(start)
    except ValueError:
        return None
    if not practitioner.isdigit() or len(practitioner) > 9 or parsed.tzinfo is None:
        return None
    return int(practitioner), parsed


def already_booked(request_: BookingRequest, now: datetime) -> bool:
    """Whether the taken time is this same person's, booked moments ago (a second press of the
    button): they are told so instead of being asked to choose another time."""
    try:
        phone = to_e164(request_.patient.phone, settings().default_phone_region)
    except InvalidPhone:
        return False
    with db().session() as session:
        return (
            session.scalars(
                select(Appointment.id)
                .join(Patient, Patient.id == Appointment.patient_id)
                .where(
                    Appointment.starts_at == request_.starts_at,
                    Appointment.practitioner_id == request_.practitioner_id,
                    Appointment.status.in_(ACTIVE_STATUSES),
                    Appointment.created_at >= now - DOUBLE_SUBMIT_WINDOW,
                    Patient.phone_e164 == phone,
                )
            ).first()
            is not None
        )


@bp.post("/book")
def book() -> Any:
    """Book the chosen time after the safety screen; on any error show the form again with
    every reason, nothing written. Emergent or urgent answers stop the booking.

    The CSRF token is checked before this runs (CSRFProtect), answering 400 when it is missing.
    """
    form = details_form()
    service_id = _int_arg("service_id")
    today = clock().now().astimezone(settings().zone).date()
    day = _date_arg("date", today)
    chosen = parse_slot(form.slot.data or "")
    practitioner_id, start = chosen or (0, clock().now())
    request_ = request_from_form(form, service_id or 0, practitioner_id, start)
    assessment, safety_errors = read_screen()
    if assessment is not None and assessment.stops_booking:
        return stop_booking(request_, assessment)
    if chosen is None or service_id is None or assessment is None:
        show_errors(form, patient_answer_errors(request_, settings()))
        if chosen is None or service_id is None:
            form.slot.errors = ["Choose one of the times shown."]
        return _render(form, service_id, day, 422, safety_errors)
    try:
        result = db().retrying(
            lambda session: book_visit_screened(
                session, request_, assessment, settings=settings(), now=clock().now()
            )
        )
    except ValidationFailed as exc:
        show_errors(form, exc.fields)
        return _render(form, service_id, day, 422)
    except SlotUnavailable:
        if already_booked(request_, clock().now()):
            return render_template("already_booked.html"), 200
        form.slot.errors = ["Sorry, that time has just been taken. Please choose another."]
        return _render(form, service_id, day, 409)
    if assessment.needs_review:
        flash(REVIEW_MESSAGE, "ok")
    return redirect(url_for("manage.overview", token=result.manage_token), code=303)


@bp.get("/book")
def book_get() -> Response:
    return redirect(url_for("pages.book_page"))
