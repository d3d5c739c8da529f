"""Booking a single visit on /visit: a service, a day, a free time, the screen and details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from scheduler.calendar.availability import TimeOption, from_minutes
from scheduler.calendar.snapshot import free_slots
from scheduler.clinical.safety import Assessment
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.models import Practitioner, Service
from scheduler.visits.booking import BookingRequest, patient_answer_errors
from scheduler.visits.intake import book_visit_screened
from scheduler.visits.repeat_booking import is_repeat_booking
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


def slot_choices(
    session: Session, service_id: int, day: date, practitioner_id: int | None = None
) -> list[dict[str, str]]:
    """The free times of a service on one local day as the pages offer them (the radio's value,
    the time, the practitioner); none for an unknown service or practitioner."""
    try:
        options = free_slots(
            session,
            service_id=service_id,
            first_day=day,
            last_day=day,
            zone=settings().zone,
            now=clock().now(),
            practitioner_id=practitioner_id,
        )
    except (NotFound, ValidationFailed):
        return []
    names = {p.id: p.name for p in session.scalars(select(Practitioner))}
    return [_slot_choice(option, names, settings().zone) for option in options]


def _slot_choice(option: TimeOption, names: dict[int, str], zone: ZoneInfo) -> dict[str, str]:
    practitioner_id = option.practitioner_ids[0]
    start = from_minutes(option.start)
    return {
        "value": f"{practitioner_id}|{start.isoformat()}",
        "time": start.astimezone(zone).strftime("%H:%M"),
        "practitioner": names[practitioner_id],
    }


def _page_data(session: Session, service_id: int | None, day: date) -> dict[str, Any]:
    services = list(session.scalars(select(Service).where(Service.active).order_by(Service.id)))
    chosen = next((s for s in services if s.id == service_id), None)
    return {
        "services": services,
        "service": chosen,
        "day": day,
        "prev_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "slots": slot_choices(session, chosen.id, day) if chosen is not None else [],
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
    with db().session() as session:
        return is_repeat_booking(session, request_, settings(), now)


@dataclass(frozen=True)
class _Posted:
    """The booking form as posted: the service, the day shown, the time chosen, the request."""

    form: BookingForm
    service_id: int | None
    day: date
    chosen: tuple[int, datetime] | None
    request: BookingRequest

    @property
    def has_time(self) -> bool:
        return self.chosen is not None and self.service_id is not None


def _posted() -> _Posted:
    form = details_form()
    service_id = _int_arg("service_id")
    today = clock().now().astimezone(settings().zone).date()
    chosen = parse_slot(form.slot.data or "")
    # Without a time the request is still built, so every other answer is checked too.
    practitioner_id, start = chosen or (0, clock().now())
    request_ = request_from_form(form, service_id or 0, practitioner_id, start)
    return _Posted(form, service_id, _date_arg("date", today), chosen, request_)


@bp.post("/book")
def book() -> Any:
    """Book the chosen time after the safety screen; on any error show the form again with
    every reason, nothing written. Emergent or urgent answers stop the booking.

    The CSRF token is checked before this runs (CSRFProtect), answering 400 when it is missing.
    """
    posted = _posted()
    assessment, safety_errors = read_screen()
    if assessment is not None and assessment.stops_booking:
        return stop_booking(posted.request, assessment)
    if not posted.has_time or assessment is None:
        return _show_missing(posted, safety_errors)
    return _book_screened(posted, assessment)


def _show_missing(posted: _Posted, safety_errors: dict[str, list[str]]) -> Any:
    """The form again, every missing or wrong answer named by its field (422)."""
    show_errors(posted.form, patient_answer_errors(posted.request, settings()))
    if not posted.has_time:
        posted.form.slot.errors = ["Choose one of the times shown."]
    return _render(posted.form, posted.service_id, posted.day, 422, safety_errors)


def _book_screened(posted: _Posted, assessment: Assessment) -> Any:
    """Book the visit and go to the patient's page; a refused answer shows the form again
    (422), a time just taken asks for another (409) unless this person has just booked it."""
    try:
        result = db().retrying(
            lambda session: book_visit_screened(
                session, posted.request, assessment, settings=settings(), now=clock().now()
            )
        )
    except ValidationFailed as exc:
        show_errors(posted.form, exc.fields)
        return _render(posted.form, posted.service_id, posted.day, 422)
    except SlotUnavailable:
        if already_booked(posted.request, clock().now()):
            return render_template("already_booked.html"), 200
        posted.form.slot.errors = ["Sorry, that time has just been taken. Please choose another."]
        return _render(posted.form, posted.service_id, posted.day, 409)
    if assessment.needs_review:
        flash(REVIEW_MESSAGE, "ok")
    return redirect(url_for("manage.overview", token=result.manage_token), code=303)


@bp.get("/book")
def book_get() -> Response:
    """The form's address opened as a page: the booking page instead."""
    return redirect(url_for("pages.book_page"))
