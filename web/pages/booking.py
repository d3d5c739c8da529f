"""The booking page on /, and the patient's page behind their personal link."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from scheduler.availability import from_minutes
from scheduler.booking import book_visit, patient_answer_errors
from scheduler.clinic_calendar import free_slots
from scheduler.consent_wording import WORDING
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.models import ConsentKind, Practitioner, Service
from web.booking_input import booking_request
from web.context import clock, db, settings
from web.pages.forms import BookingForm

bp = Blueprint("pages", __name__)


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
        "wording": {
            "reminders": WORDING[ConsentKind.REMINDERS],
            "diary_prompts": WORDING[ConsentKind.DIARY_PROMPTS],
        },
    }


def _render(form: BookingForm, service_id: int | None, day: date, status: int = 200) -> Any:
    with db().session() as session:
        data = _page_data(session, service_id, day)
    return render_template("book.html", form=form, **data), status


@bp.get("/")
def book_page() -> Any:
    """Choose a service and a day, see its free times, and book one."""
    today = clock().now().astimezone(settings().zone).date()
    day = max(_date_arg("date", today), today)
    form = BookingForm()
    service_id = _int_arg("service_id")
    form.service_id.data = str(service_id or "")
    return _render(form, service_id, day)


def _parse_slot(value: str) -> tuple[int, datetime] | None:
    practitioner, _, start = (value or "").partition("|")
    try:
        parsed = datetime.fromisoformat(start)
    except ValueError:
        return None
    if not practitioner.isdigit() or parsed.tzinfo is None:
        return None
    return int(practitioner), parsed


def _answer(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _show_errors(form: BookingForm, fields: dict[str, list[str]]) -> None:
    for name, messages in fields.items():
        field = getattr(form, "slot" if name in ("start", "practitioner_id") else name, None)
        if field is not None:
            field.errors = list(messages)


@bp.post("/book")
def book() -> Any:
    """Book the chosen time; on any error show the form again with every reason, nothing written.

    The CSRF token is checked before this runs (CSRFProtect), answering 400 when it is missing.
    """
    form = BookingForm()
    service_id = _int_arg("service_id")
    today = clock().now().astimezone(settings().zone).date()
    day = _date_arg("date", today)
    chosen = _parse_slot(form.slot.data or "")
    practitioner_id, start = chosen or (0, clock().now())
    request_ = booking_request(
        service_id=service_id or 0,
        practitioner_id=practitioner_id,
        start=start,
        patient={
            "first_name": form.first_name.data,
            "last_name": form.last_name.data,
            "phone": form.phone.data,
        },
        reminders=_answer(form.consent_reminders.data),
        diary_prompts=_answer(form.consent_diary_prompts.data),
        channel="web",
    )
    if chosen is None or service_id is None:
        _show_errors(form, patient_answer_errors(request_, settings()))
        form.slot.errors = ["Choose one of the times shown."]
        return _render(form, service_id, day, 422)
    try:
        token = db().retrying(
            lambda session: (
                book_visit(session, request_, settings=settings(), now=clock().now()).manage_token
            )
        )
    except ValidationFailed as exc:
        _show_errors(form, exc.fields)
        return _render(form, service_id, day, 422)
    except SlotUnavailable:
        form.slot.errors = ["Sorry, that time has just been taken. Please choose another."]
        return _render(form, service_id, day, 409)
    return redirect(url_for("manage.overview", token=token), code=303)


@bp.get("/book")
def book_get() -> Response:
    return redirect(url_for("pages.book_page"))
