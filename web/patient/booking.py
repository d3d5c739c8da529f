"""Booking a single visit on /visit: a service, a day, a free time, the screen and details."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from scheduler.calendar.availability import TimeOption, from_minutes
from scheduler.calendar.snapshot import free_slots
from scheduler.clinical.safety import Assessment
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.models import Practitioner, Service
from scheduler.patients.verification import AnsweredCode, CodeRequestRefused
from scheduler.visits.awaiting_code import text_code_for_visit
from scheduler.visits.booking import BookingRequest, BookingResult, patient_answer_errors
from scheduler.visits.intake import book_visit_screened
from scheduler.visits.repeat_booking import is_repeat_booking
from web.context import clock, db, settings
from web.limits import bookings_limited, code_checks_limited, code_requests_limited, requester
from web.patient.booked import booked_message
from web.patient.code_step import (
    CodeUrls,
    Waiting,
    answer_code,
    code_page,
    current_check,
    new_code,
    remember,
    start_again,
    waiting_for,
    waiting_payload,
)
from web.patient.forms import BookingForm
from web.patient.intake_form import (
    details_form,
    kept_answers,
    read_screen,
    request_from_form,
    safety_context,
    show_errors,
    stop_booking,
    zone_choices,
)

bp = Blueprint("pages", __name__)


@bp.app_template_global("all_zones")
def all_zones() -> list[tuple[str, str]]:
    """Every time zone, for the booking forms' "not listed" choice."""
    return zone_choices()


def _int_arg(name: str, values: MultiDict[str, str] | None = None) -> int | None:
    raw = (request.values if values is None else values).get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _date_arg(name: str, default: date, values: MultiDict[str, str] | None = None) -> date:
    try:
        return date.fromisoformat((request.values if values is None else values).get(name, ""))
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
    answers: MultiDict[str, str] | None = None,
) -> Any:
    """The booking page; the screen's answers as posted, or ``answers`` (kept with a code)."""
    with db().session() as session:
        data = _page_data(session, service_id, day)
    return render_template(
        "book.html",
        form=form,
        safety_errors=safety_errors or {},
        **data,
        **safety_context(answers),
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


def _posted(values: MultiDict[str, str] | None = None) -> _Posted:
    """The booking form as posted, or as kept in ``values`` while a code is awaited."""
    form = details_form(values)
    service_id = _int_arg("service_id", values)
    today = clock().now().astimezone(settings().zone).date()
    chosen = parse_slot(form.slot.data or "")
    # Without a time the request is still built, so every other answer is checked too.
    practitioner_id, start = chosen or (0, clock().now())
    request_ = request_from_form(form, service_id or 0, practitioner_id, start)
    return _Posted(form, service_id, _date_arg("date", today, values), chosen, request_)


@bp.post("/book")
@bookings_limited
def book() -> Any:
    """Take the chosen time, the safety screen and the details; when they are all right, text
    a code to the phone and ask for it (the booking is made when it is answered). On any error
    show the form again with every reason, nothing written. Emergent or urgent answers stop
    the booking.

    The CSRF token is checked before this runs (CSRFProtect), answering 400 when it is missing.
    """
    posted = _posted()
    assessment, safety_errors = read_screen()
    if assessment is not None and assessment.stops_booking:
        return stop_booking(posted.request, assessment)
    if not posted.has_time or assessment is None:
        return _show_missing(posted, safety_errors)
    return _ask_for_code(posted)


def _show_missing(posted: _Posted, safety_errors: dict[str, list[str]]) -> Any:
    """The form again, every missing or wrong answer named by its field (422)."""
    show_errors(posted.form, patient_answer_errors(posted.request, settings()))
    if not posted.has_time:
        posted.form.slot.errors = ["Choose one of the times shown."]
    return _render(posted.form, posted.service_id, posted.day, 422, safety_errors)


def _ask_for_code(posted: _Posted) -> Any:
    """Check the visit could be booked, text a code to its phone and go to the code step (the
    answers wait with the code). A refused answer shows the form again (422), a time just
    taken asks for another (409), too many codes say when to ask again (429)."""
    payload = waiting_payload("visit", kept_answers(posted.form))
    try:
        sent = db().retrying(
            lambda session: text_code_for_visit(
                session,
                posted.request,
                payload,
                requester(),
                settings=settings(),
                now=clock().now(),
                reuse_id=current_check(),
            )
        )
    except ValidationFailed as exc:
        show_errors(posted.form, exc.fields)
        return _render(posted.form, posted.service_id, posted.day, 422)
    except SlotUnavailable:
        return _time_taken(posted)
    except CodeRequestRefused as refused:
        return _too_many_codes(posted, refused)
    remember(sent)
    return redirect(url_for("pages.code"), code=303)


def _too_many_codes(posted: _Posted, refused: CodeRequestRefused) -> Any:
    """The form again, the phone's field saying when a code can be sent (429)."""
    posted.form.phone.errors = [refused.message]
    page, status = _render(posted.form, posted.service_id, posted.day, 429)
    return page, status, {"Retry-After": str(refused.retry_after_s)}


def _time_taken(posted: _Posted, answers: MultiDict[str, str] | None = None) -> Any:
    """The time was taken a moment ago: by this same person (a second press), or by someone
    else (the form again, asking for another time, 409)."""
    if already_booked(posted.request, clock().now()):
        return render_template("already_booked.html"), 200
    posted.form.slot.errors = ["Sorry, that time has just been taken. Please choose another."]
    return _render(posted.form, posted.service_id, posted.day, 409, answers=answers)


def _code_urls() -> CodeUrls:
    return CodeUrls(
        url_for("pages.check_code"), url_for("pages.send_new_code"), url_for("pages.change")
    )


def _waiting_visit() -> tuple[Waiting, _Posted, Assessment] | None:
    """The visit this browser waits to book with a code, read back as it was posted; None if
    it waits for none."""
    waiting = waiting_for("visit")
    if waiting is None:
        return None
    posted = _posted(waiting.fields)
    assessment, _ = read_screen(waiting.fields)
    if assessment is None or assessment.stops_booking or not posted.has_time:
        return None
    return waiting, posted, assessment


@bp.get("/visit/code")
def code() -> Any:
    """The code step: one question, the 6 digits texted to the phone."""
    waiting = waiting_for("visit")
    if waiting is None:
        return start_again(url_for("pages.book_page"))
    return code_page(waiting, _code_urls())


@bp.post("/visit/code")
@code_checks_limited
def check_code() -> Any:
    """Answer the code: right, the visit is booked and the patient goes to their page; wrong,
    the code is asked for again (422). A booking refused now (a time just taken) shows the form
    again with the reason; the same code can then be given again."""
    found = _waiting_visit()
    if found is None:
        return start_again(url_for("pages.book_page"))
    waiting, posted, assessment = found
    try:
        outcome = answer_code(waiting, _code_urls(), _booker(posted, assessment))
    except ValidationFailed as exc:
        show_errors(posted.form, exc.fields)
        return _render(posted.form, posted.service_id, posted.day, 422, answers=waiting.fields)
    except SlotUnavailable:
        return _time_taken(posted, waiting.fields)
    if not isinstance(outcome, AnsweredCode):
        return outcome
    return _booked(outcome.booked, assessment)


def _booker(posted: _Posted, assessment: Assessment) -> Callable[[Session, str], BookingResult]:
    """How the waiting visit is booked once its code gives a proof of the phone."""

    def book_with(session: Session, proof: str) -> BookingResult:
        request_ = replace(posted.request, phone_proof=proof)
        return book_visit_screened(
            session, request_, assessment, settings=settings(), now=clock().now()
        )

    return book_with


def _booked(result: BookingResult | None, assessment: Assessment) -> Response:
    """To the patient's page, told what is booked, whether a confirmation text is coming and
    when their answers will be looked over first."""
    assert result is not None  # a right code books
    flash(booked_message(result.appointment.id, review=assessment.needs_review), "ok")
    return redirect(url_for("manage.overview", token=result.manage_token), code=303)


@bp.post("/visit/code/new")
@code_requests_limited
def send_new_code() -> Any:
    """Text a new code for the waiting visit (a minute after the last one at the soonest)."""
    waiting = waiting_for("visit")
    if waiting is None:
        return start_again(url_for("pages.book_page"))
    return new_code(waiting, _code_urls())


@bp.get("/visit/code/back")
def change() -> Any:
    """The booking form again with the answers given, to correct the number or anything else;
    sending it again asks for a code again."""
    found = _waiting_visit()
    if found is None:
        return start_again(url_for("pages.book_page"))
    waiting, posted, _ = found
    page, status = _render(posted.form, posted.service_id, posted.day, answers=waiting.fields)
    return page, status, {"Cache-Control": "no-store"}


@bp.get("/book")
def book_get() -> Response:
    """The form's address opened as a page: the booking page instead."""
    return redirect(url_for("pages.book_page"))
