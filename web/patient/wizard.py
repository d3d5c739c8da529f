"""The course booking wizard: choose a course, a practitioner and a first time, preferred days,
see the whole plan, then answer the safety screen and give details. No JavaScript needed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.calendar.availability import from_minutes
from scheduler.calendar.snapshot import free_slots
from scheduler.courses.booking import WEEKDAY_NAMES, CourseRequest, plan_for_request
from scheduler.courses.planning import PlannedVisit
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.models import Cadence, CourseTemplate, Patient, Practitioner, Service
from scheduler.patients.links import patient_for_token
from scheduler.visits.booking import BookingRequest, patient_answer_errors
from scheduler.visits.intake import book_course_screened
from web.booking_input import booking_request
from web.context import clock, db, settings
from web.patient.booking import REVIEW_MESSAGE, already_booked, parse_slot
from web.patient.intake_form import (
    details_form,
    read_screen,
    request_from_form,
    safety_context,
    show_errors,
    stop_booking,
    stop_for_patient,
)

bp = Blueprint("wizard", __name__)

TIMES_OF_DAY = [
    ("", "Same time as the first visit"),
    ("09:00", "Morning (about 9:00)"),
    ("12:00", "Midday (about 12:00)"),
    ("14:00", "Afternoon (about 14:00)"),
    ("16:30", "Late afternoon (about 16:30)"),
]


@dataclass(frozen=True)
class Choice:
    """What the patient has chosen so far, read from the query string or the form."""

    template_id: int
    practitioner: str  # a practitioner's id, or "any"
    day: date
    slot: str
    weekdays: tuple[int, ...]
    time_of_day: str
    token: str = ""  # a returning patient's personal link: a new course for them

    @property
    def preferred_time(self) -> time | None:
        return time.fromisoformat(self.time_of_day) if self.time_of_day else None

    def params(self) -> dict[str, Any]:
        return {
            "practitioner": self.practitioner,
            "date": self.day.isoformat(),
            "slot": self.slot,
            "weekdays": [str(d) for d in self.weekdays],
            "time_of_day": self.time_of_day,
            **({"token": self.token} if self.token else {}),
        }


def _choice(template_id: int) -> Choice:
    values = request.values
    today = clock().now().astimezone(settings().zone).date()
    try:
        day = max(date.fromisoformat(values.get("date", "")), today)
    except ValueError:
        day = today + timedelta(days=1)
    practitioner = values.get("practitioner", "any")
    if not (practitioner == "any" or (practitioner.isdigit() and len(practitioner) < 10)):
        practitioner = "any"
    weekdays = tuple(
        sorted({int(d) for d in values.getlist("weekdays") if d.isdigit() and int(d) < 7})
    )
    time_of_day = values.get("time_of_day", "")
    if time_of_day not in dict(TIMES_OF_DAY):
        time_of_day = ""
    token = values.get("token", "")[:64]
    return Choice(
        template_id, practitioner, day, values.get("slot", ""), weekdays, time_of_day, token
    )


def _returning(session: Session, choice: Choice) -> Patient | None:
    """The patient whose link started the wizard; a bad link is refused (404), never ignored."""
    if not choice.token:
        return None
    patient = patient_for_token(session, choice.token, clock().now())
    if patient is None:
        abort(404)
    return patient


def _template(session: Session, template_id: int) -> CourseTemplate:
    template = session.get(CourseTemplate, template_id)
    if template is None or not template.active or not template.phases:
        abort(404)
    if template.phases[0].cadence != Cadence.ONCE:
        abort(404)
    return template


def phase_summary(template: CourseTemplate) -> list[str]:
    """Each phase in plain words: "Acupuncture, 2 a week for 4 weeks"."""
    lines = []
    for phase in template.phases:
        service = phase.service.name
        if phase.then_service is not None:
            service += f" then {phase.then_service.name}"
        if phase.cadence == Cadence.ONCE:
            lines.append(f"{phase.name}: {service}, one visit")
        elif phase.cadence == Cadence.MAINTENANCE:
            lines.append(
                f"{phase.name}: {service} every {phase.interval_min_weeks}-"
                f"{phase.interval_max_weeks} weeks, until you stop"
            )
        else:
            lines.append(
                f"{phase.name}: {service}, {phase.visits_per_week} a week "
                f"for {phase.weeks} week{'s' if phase.weeks != 1 else ''}"
            )
    return lines


@bp.get("/")
def start() -> Any:
    """The first step: a treatment course, or a single visit."""
    with db().session() as session:
        templates = list(
            session.scalars(
                select(CourseTemplate)
                .where(CourseTemplate.active)
                .order_by(CourseTemplate.id)
                .options(selectinload(CourseTemplate.phases))
            )
        )
        courses = [(t, phase_summary(t)) for t in templates if t.phases]
        services = list(session.scalars(select(Service).where(Service.active).order_by(Service.id)))
        token = request.args.get("token", "")[:64]
        if token and patient_for_token(session, token, clock().now()) is None:
            abort(404)
        return render_template("wizard_start.html", courses=courses, services=services, token=token)


def _slots(session: Session, service: Service, choice: Choice) -> list[dict[str, str]]:
    practitioner_id = int(choice.practitioner) if choice.practitioner != "any" else None
    try:
        options = free_slots(
            session,
            service_id=service.id,
            first_day=choice.day,
            last_day=choice.day,
            zone=settings().zone,
            now=clock().now(),
            practitioner_id=practitioner_id,
        )
    except (NotFound, ValidationFailed):
        return []
    names = {p.id: p.name for p in session.scalars(select(Practitioner))}
    zone = settings().zone
    return [
        {
            "value": f"{o.practitioner_ids[0]}|{from_minutes(o.start).isoformat()}",
            "time": from_minutes(o.start).astimezone(zone).strftime("%H:%M"),
            "practitioner": names[o.practitioner_ids[0]],
        }
        for o in options
    ]


@bp.get("/course/<id:template_id>")
def choose(template_id: int) -> Any:
    """Step two: the practitioner (or anyone), the first visit's time, and preferred days."""
    choice = _choice(template_id)
    with db().session() as session:
        template = _template(session, template_id)
        returning = _returning(session, choice)
        consultation = template.phases[0].service
        practitioners = [
            p
            for p in session.scalars(
                select(Practitioner)
                .where(Practitioner.active)
                .order_by(Practitioner.name)
                .options(selectinload(Practitioner.services))
            )
            if p.offers(consultation)
        ]
        return render_template(
            "course_choose.html",
            template=template,
            summary=phase_summary(template),
            consultation=consultation,
            practitioners=practitioners,
            choice=choice,
            slots=_slots(session, consultation, choice),
            prev_day=choice.day - timedelta(days=1),
            next_day=choice.day + timedelta(days=1),
            weekday_names=WEEKDAY_NAMES,
            times_of_day=TIMES_OF_DAY,
            returning=returning,
        )


def _course_request(choice: Choice, booking: BookingRequest | None = None) -> CourseRequest | None:
    """The course request for the choice; without ``booking``, one to preview the plan."""
    chosen = parse_slot(choice.slot)
    if chosen is None:
        return None
    practitioner_id, start = chosen
    preview = booking_request(
        service_id=0,
        practitioner_id=practitioner_id,
        start=start,
        patient={},
        reminders=None,
        diary_prompts=None,
        channel="web",
    )
    return CourseRequest(
        template_id=choice.template_id,
        booking=booking or preview,
        weekdays=choice.weekdays or None,
        preferred_time=choice.preferred_time,
    )


def _plan_rows(session: Session, plan: list[PlannedVisit]) -> list[dict[str, Any]]:
    names = {p.id: p.name for p in session.scalars(select(Practitioner))}
    zone = settings().zone
    return [
        {
            "number": v.visit_number,
            "phase": v.phase_name,
            "service": v.service.name,
            "when": from_minutes(v.start).astimezone(zone) if v.start is not None else None,
            "practitioner": names.get(v.practitioner_id or 0, ""),
            "status": "booked" if index == 0 else ("proposed" if v.placed else "unplaced"),
            "note": v.note,
        }
        for index, v in enumerate(plan)
    ]


def _back_to_choose(choice: Choice, message: str) -> Any:
    flash(message, "error")
    return redirect(
        url_for("wizard.choose", template_id=choice.template_id, **choice.params()), code=303
    )


def _render_plan(
    session: Session,
    choice: Choice,
    form: Any,
    status: int = 200,
    safety_errors: dict[str, list[str]] | None = None,
) -> Any:
    course_request = _course_request(choice)
    if course_request is None:
        return _back_to_choose(choice, "Choose a time for your first visit.")
    template = _template(session, choice.template_id)
    returning = _returning(session, choice)
    try:
        _, prefs, _, plan = plan_for_request(
            session, course_request, settings=settings(), now=clock().now(), with_patient=False
        )
    except ValidationFailed as exc:
        message = next(iter(exc.fields.values()))[0]
        return _back_to_choose(choice, message)
    except SlotUnavailable:
        return _back_to_choose(choice, "Sorry, that time has just been taken. Choose another.")
    return render_template(
        "course_plan.html",
        template=template,
        choice=choice,
        prefs_days=[WEEKDAY_NAMES[d] for d in prefs.weekdays],
        prefs_time=prefs.at.strftime("%H:%M"),
        rows=_plan_rows(session, plan),
        form=form,
        safety_errors=safety_errors or {},
        returning=returning,
        **safety_context(),
    ), status


@bp.get("/course/<id:template_id>/plan")
def plan(template_id: int) -> Any:
    """Step three: the whole course plan, booked and proposed visits, before anything is
    written; with the safety screen and the patient's details to confirm it."""
    choice = _choice(template_id)
    with db().session() as session:
        return _render_plan(session, choice, details_form())


@bp.post("/course/<id:template_id>/book")
def book(template_id: int) -> Any:
    """Confirm the course: emergent or urgent screen answers stop it; review-first answers book
    it pending review; any other error shows the plan again with every reason, nothing written.
    """
    choice = _choice(template_id)
    form = details_form()
    chosen = parse_slot(choice.slot)
    if chosen is None:
        return _back_to_choose(choice, "Choose a time for your first visit.")
    practitioner_id, start = chosen
    assessment, safety_errors = read_screen()
    with db().session() as session:
        template = _template(session, template_id)
        consultation_id = template.phases[0].service_id
        returning_id = returning.id if (returning := _returning(session, choice)) else None
    request_ = request_from_form(form, consultation_id, practitioner_id, start)
    if assessment is not None and assessment.stops_booking:
        if returning_id is not None:
            return stop_for_patient(returning_id, assessment)
        return stop_booking(request_, assessment)
    patient_errors = {} if returning_id else patient_answer_errors(request_, settings())
    if assessment is None or patient_errors:
        show_errors(form, patient_errors)
        with db().session() as session:
            return _render_plan(session, choice, form, 422, safety_errors)
    course_request = _course_request(choice, request_)
    assert course_request is not None
    if returning_id is not None:
        course_request = replace(course_request, patient_id=returning_id, link_token=choice.token)
    try:
        booked = db().retrying(
            lambda session: book_course_screened(
                session, course_request, assessment, settings=settings(), now=clock().now()
            )
        )
    except ValidationFailed as exc:
        rest = show_errors(form, exc.fields)
        if rest:
            return _back_to_choose(choice, next(iter(rest.values()))[0])
        with db().session() as session:
            return _render_plan(session, choice, form, 422)
    except SlotUnavailable:
        if already_booked(request_, clock().now()):
            return render_template("already_booked.html"), 200
        return _back_to_choose(choice, "Sorry, that time has just been taken. Choose another.")
    flash(REVIEW_MESSAGE if assessment.needs_review else "Your course is booked.", "ok")
    return redirect(url_for("manage.overview", token=booked.manage_token), code=303)
