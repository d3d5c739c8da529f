"""Staff bookings for a phone call or a walk-in: find or add the patient, answer the safety
screen on their behalf, then book one visit or a whole course (its plan shown first)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from scheduler.clinical.safety import SECTIONS, STOP_ADVICE, Assessment, assess, parse_answers
from scheduler.courses.booking import (
    WEEKDAY_NAMES,
    CourseBooking,
    CourseRequest,
    plan_for_request,
)
from scheduler.courses.catalogue import offered_courses
from scheduler.errors import SlotUnavailable, ValidationFailed
from scheduler.models import (
    Appointment,
    ConsentKind,
    CourseTemplate,
    Patient,
    Practitioner,
    SafetyTier,
    Service,
)
from scheduler.patients.consent_wording import WORDING
from scheduler.patients.directory import QUERY_MAX, search_patients
from scheduler.patients.record import time_zone_choices
from scheduler.staff.permissions import Permissions
from scheduler.visits.booking import BookingResult, patient_answer_errors
from scheduler.visits.staff_booking import (
    NumberOnRecord,
    book_course_by_staff,
    book_visit_by_staff,
    keep_stopped_screen,
    number_on_record_errors,
)
from web.context import clock, db, settings
from web.enqueue import enqueue_follow_ups
from web.staff.auth import current_staff, staff_required
from web.staff.booking_form import (
    SLOT_FIELDS,
    WHO_FIELDS,
    Who,
    course_request,
    int_value,
    kept,
    read_who,
    screen_fields,
    start_errors,
    start_input,
    visit_request,
)
from web.staff.booking_plan import plan_rows
from web.staff.booking_words import booked_words, slot_words

bp = Blueprint("staff_bookings", __name__, url_prefix="/staff/bookings")
may_book = staff_required(Permissions.book_for_patients)
TAKEN = "That time is taken: choose another. Nothing was booked."
SCREEN_AGAIN = "Answer the health questions again."
# The new patient's fields as the error summary names them.
LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "phone": "Mobile number",
    "time_zone": "Time zone",
    "consent_reminders": "Texts about appointments",
    "consent_diary_prompts": "Diary prompts",
    "email": "Email",
    "consent_email": "Emails",
}


def _page(page: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A booking page, with the slot the booking started from carried on."""
    values = context.pop("values", request.values)
    context.setdefault("errors", {})
    with db().session() as session:
        chosen_slot = slot_words(session, values)
    return render_template(
        f"staff/bookings/{page}",
        staff=current_staff(),
        values=values,
        slot=kept(values, SLOT_FIELDS),
        slot_words=chosen_slot,
        **context,
    ), status


@bp.get("/new")
@may_book
def new() -> Any:
    """Step one: find the patient by name or phone, or add a new one. ``start`` and
    ``practitioner_id`` (an empty calendar slot's) are carried on to the booking."""
    query = request.args.get("q", "")[:QUERY_MAX]
    found = None
    if query.strip():
        with db().session() as session:
            found = search_patients(session, query, now=clock().now())
    return _find_page(query=query, found=found)


def _find_page(status: int = 200, **context: Any) -> tuple[str, int]:
    cfg = settings()
    context.setdefault("query", "")
    context["summary"] = {
        name: [f"{LABELS.get(name, 'Patient')}: {message}" for message in messages]
        for name, messages in context.get("errors", {}).items()
    }
    return _page(
        "find.html",
        status,
        zones=time_zone_choices(),
        clinic_zone=cfg.clinic_timezone,
        wording={kind.value: WORDING[kind] for kind in ConsentKind},
        **context,
    )


@bp.post("/new/patient")
@may_book
def new_patient() -> Any:
    """A new patient's details and consents as they give them; when right, step two (the
    screen). A number a patient on record has proven is refused: the booking is theirs, found
    under Find a patient. Nothing is written yet: the record is made when the booking is."""
    who = Who(None, request.form)
    wanted = visit_request(who, request.form, 0, settings().zone)
    errors = patient_answer_errors(wanted, settings())
    if not errors:
        with db().session() as session:
            errors = number_on_record_errors(session, wanted, settings())
    if errors:
        return _find_page(422, errors=errors, found=None)
    return _screen_page(who)


@bp.get("/new/screen")
@may_book
def screen() -> Any:
    """Step two for a patient on record (``patient_id``): the safety screen.

    :raise 404: if there is no such patient.
    """
    who = read_who(request.args)
    if who.patient_id is None:
        abort(404)
    return _screen_page(who)


def _patient(session: Session, who: Who) -> Patient | None:
    """:raise 404: if ``who`` names a patient who is not on record."""
    if who.patient_id is None:
        return None
    patient = session.get(Patient, who.patient_id)
    if patient is None:
        abort(404)
    return patient


def _screen_page(who: Who, status: int = 200, **context: Any) -> tuple[str, int]:
    """The screen, its questions as they stand, the answers given so far."""
    with db().session() as session:
        return _page(
            "screen.html",
            status,
            who=kept(who.values, WHO_FIELDS),
            patient=_patient(session, who),
            sections=SECTIONS,
            answers={f: request.values.get(f, "") for f in screen_fields()},
            **context,
        )


@bp.post("/new/screen")
@may_book
def answer_screen() -> Any:
    """The screen answered: a stop keeps the answers, raises the alert and shows the advice to
    read to the caller, nothing booked; unanswered questions ask again (422); otherwise step
    three, what to book."""
    who = read_who(request.form)
    try:
        assessment = assess(parse_answers(request.form))
    except ValidationFailed as exc:
        return _screen_page(who, 422, errors=exc.fields)
    if assessment.stops_booking:
        return _stopped(who, assessment)
    return _what_page(who)


def _stopped(who: Who, assessment: Assessment) -> Any:
    """Keep the stopped screen on the patient's record (a new one is made) with its alert."""
    cfg = settings()
    try:
        patient = db().retrying(
            lambda session: keep_stopped_screen(
                session,
                visit_request(who, request.form, 0, cfg.zone),
                assessment,
                patient_id=who.patient_id,
                settings=cfg,
                now=clock().now(),
            )
        )
    except ValidationFailed as exc:
        return _find_page(422, errors=exc.fields, found=None)
    advice = STOP_ADVICE[assessment.tier].format(emergency_number=cfg.emergency_number)
    return _page(
        "stop.html",
        emergent=assessment.tier == SafetyTier.EMERGENT,
        advice=advice,
        emergency_number=cfg.emergency_number,
        patient_id=patient.id,
        name=f"{patient.first_name} {patient.last_name}",
    )


def _what_page(who: Who, status: int = 200, **context: Any) -> tuple[str, int]:
    """Step three: one visit, or a course, at the slot carried on (or one typed in)."""
    values = request.values
    with db().session() as session:
        return _page(
            "what.html",
            status,
            who=kept(who.values, WHO_FIELDS),
            screen=kept(values, screen_fields()),
            patient=_patient(session, who),
            review=_needs_review(values),
            **_options(session),
            start=start_input(values.get("start"), settings().zone),
            chosen=int_value(values.get("practitioner_id")),
            **context,
        )


def _options(session: Session) -> dict[str, list[tuple[int, str]]]:
    """The services, practitioners and courses to choose from, as (id, name)."""
    services = session.scalars(select(Service).where(Service.active).order_by(Service.id))
    people = session.scalars(
        select(Practitioner).where(Practitioner.active).order_by(Practitioner.name)
    )
    return {
        "services_options": [(s.id, s.name) for s in services],
        "practitioner_options": [(p.id, p.name) for p in people],
        "course_options": [(t.id, t.name) for t in offered_courses(session)],
    }


def _needs_review(values: Mapping[str, str]) -> bool:
    try:
        return assess(parse_answers(values)).needs_review
    except ValidationFailed:
        return False


def _screened(who: Who) -> Assessment | None:
    """The screen's answers carried on, when they allow booking; None sends back to step two."""
    try:
        assessment = assess(parse_answers(request.form))
    except ValidationFailed:
        return None
    return None if assessment.stops_booking else assessment


def _screen_again(who: Who) -> Any:
    """Step two again (422) when the answers carried on are missing or would stop booking."""
    return _screen_page(who, 422, errors={"screen": [SCREEN_AGAIN]})


def _refused(who: Who, kind: str, errors: dict[str, list[str]], status: int = 422) -> Any:
    """Step three again with the reasons, by the fields of the form that was sent."""
    return _what_page(who, status, errors=errors, kind=kind)


@bp.post("/new/visit")
@may_book
def book_visit() -> Any:
    """Book one visit: a bad answer shows the form again (422), a taken time asks for
    another (409); nothing is written either way. Booked, to the patient's record."""
    who = read_who(request.form)
    assessment = _screened(who)
    if assessment is None:
        return _screen_again(who)
    cfg = settings()
    booking = visit_request(
        who, request.form, int_value(request.form.get("service_id")) or 0, cfg.zone
    )
    if wrong := start_errors(request.form, cfg.zone):
        return _refused(who, "visit", wrong)

    def book(session: Session) -> BookingResult:
        return book_visit_by_staff(
            session, who.patient_id, booking, assessment, settings=cfg, now=clock().now()
        )

    try:
        result = db().retrying(book)
    except NumberOnRecord as exc:
        return _find_page(422, errors=exc.fields, found=None)
    except ValidationFailed as exc:
        return _refused(who, "visit", exc.fields)
    except SlotUnavailable:
        return _refused(who, "visit", {"start": [TAKEN]}, 409)
    return _to_record(result.patient.id, result.appointment.id)


def _to_record(patient_id: int, visit_id: int, held: int = 0) -> Response:
    """To the patient's record, told what was booked and which texts are planned."""
    with db().session() as session:
        visit = session.get(Appointment, visit_id)
        assert visit is not None
        flash(booked_words(session, visit, held=held), "ok")
    return redirect(url_for("staff_patients.record", patient_id=patient_id), code=303)


@bp.post("/new/course")
@may_book
def plan_course() -> Any:
    """The whole plan of the course, booked and proposed visits, before anything is written,
    with Confirm. A bad answer shows step three again (422), a taken first time asks for
    another (409)."""
    who = read_who(request.form)
    if _screened(who) is None:
        return _screen_again(who)
    cfg = settings()
    if wrong := start_errors(request.form, cfg.zone):
        return _refused(who, "course", wrong)
    wanted = course_request(who, request.form, cfg.zone)
    try:
        with db().session() as session:
            return _plan_page(session, who, wanted)
    except ValidationFailed as exc:
        return _refused(who, "course", exc.fields)
    except SlotUnavailable:
        return _refused(who, "course", {"start": [TAKEN]}, 409)


def _plan_page(session: Session, who: Who, wanted: CourseRequest) -> tuple[str, int]:
    """The plan page: every visit of the course as planned on the calendar now.

    :raise ValidationFailed, SlotUnavailable: as ``plan_for_request``.
    """
    patient = _patient(session, who)
    _, prefs, _, plan = plan_for_request(
        session, wanted, settings=settings(), now=clock().now(), with_patient=who.is_new
    )
    return _page(
        "plan.html",
        who=kept(who.values, WHO_FIELDS),
        screen=kept(request.form, screen_fields()),
        course=kept(request.form, ("template_id", *SLOT_FIELDS)),
        template=session.get(CourseTemplate, wanted.template_id),
        patient=patient,
        rows=plan_rows(session, plan, wanted.template_id),
        days=[WEEKDAY_NAMES[d] for d in prefs.weekdays],
        at=prefs.at,
    )


@bp.post("/new/course/confirm")
@may_book
def book_course() -> Any:
    """Book the course as planned: the first visit booked, the rest held; its follow-ups
    handed on after commit. Refused as step three is (422, 409), nothing written."""
    who = read_who(request.form)
    assessment = _screened(who)
    if assessment is None:
        return _screen_again(who)
    cfg = settings()
    wanted = course_request(who, request.form, cfg.zone)

    def book(session: Session) -> CourseBooking:
        return book_course_by_staff(
            session, who.patient_id, wanted, assessment, settings=cfg, now=clock().now()
        )

    try:
        booked = db().retrying(book)
    except NumberOnRecord as exc:
        return _find_page(422, errors=exc.fields, found=None)
    except ValidationFailed as exc:
        return _refused(who, "course", exc.fields)
    except SlotUnavailable:
        return _refused(who, "course", {"start": [TAKEN]}, 409)
    enqueue_follow_ups(booked.follow_ups)
    held = len(booked.appointments) - 1
    return _to_record(booked.patient.id, booked.appointments[0].id, held)
