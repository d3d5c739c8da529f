"""The course booking wizard: choose a course, a practitioner and a first time, preferred days,
see the whole plan, then answer the safety screen and give details. No JavaScript needed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from werkzeug.datastructures import MultiDict

from scheduler.calendar.availability import from_minutes
from scheduler.clinical.safety import Assessment
from scheduler.courses.booking import WEEKDAY_NAMES, CourseBooking, CourseRequest, plan_for_request
from scheduler.courses.catalogue import bookable_course, offered_courses
from scheduler.courses.phase_wording import describe_phase, phase_words
from scheduler.courses.planning import PlannedVisit
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.models import Cadence, CourseTemplate, Patient, Practitioner, Service, TemplatePhase
from scheduler.patients.links import patient_for_token
from scheduler.patients.verification import AnsweredCode, CodeRequestRefused
from scheduler.visits.awaiting_code import text_code_for_course
from scheduler.visits.booking import BookingRequest
from scheduler.visits.intake import book_course_screened
from scheduler.visits.returning_patients import answers_to_correct
from web.booking_input import booking_request
from web.context import clock, db, settings
from web.enqueue import enqueue_follow_ups
from web.limits import (
    code_checks_limited,
    code_requests_limited,
    course_requests_limited,
    requester,
)
from web.patient.booked import booked_message
from web.patient.booking import already_booked, parse_slot, slot_choices
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
from web.patient.intake_form import (
    details_form,
    kept_answers,
    read_screen,
    request_from_form,
    safety_context,
    show_errors,
    stop_booking,
)

bp = Blueprint("wizard", __name__)

CHOOSE_FIRST_TIME = "Choose a time for your first visit."
TIME_TAKEN = "Sorry, that time has just been taken. Choose another."
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


def _choice(template_id: int, values: MultiDict[str, str] | None = None) -> Choice:
    """The choice as the request gives it (or ``values`` kept while a code is awaited); a
    malformed value falls back to its default."""
    values = request.values if values is None else values
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


def _link_patient(session: Session, token: str) -> Patient | None:
    """The patient whose personal link is ``token``; a bad link is refused (404), never ignored."""
    if not token:
        return None
    patient = patient_for_token(session, token, clock().now())
    if patient is None:
        abort(404)
    return patient


def _returning(session: Session, choice: Choice) -> Patient | None:
    """The patient whose link started the wizard, if one did."""
    return _link_patient(session, choice.token)


def _template(session: Session, template_id: int) -> CourseTemplate:
    """The course ``template_id`` if patients can book it online; else 404."""
    try:
        return bookable_course(session, template_id)
    except NotFound:
        abort(404)


def phase_summary(template: CourseTemplate) -> list[str]:
    """Each phase in plain words: "Twice a week for 4 weeks: Acupuncture"."""
    return [_phase_line(phase) for phase in template.phases]


def _phase_line(phase: TemplatePhase) -> str:
    service = phase.service.name
    if phase.then_service is not None:
        service += f" then {phase.then_service.name}"
    if phase.cadence == Cadence.MAINTENANCE:
        service += ", until you stop"
    return f"{describe_phase(phase)}: {service}"


@bp.get("/")
def start() -> Any:
    """The first step: a treatment course, or a single visit."""
    token = request.args.get("token", "")[:64]
    with db().session() as session:
        courses = [(t, phase_summary(t)) for t in offered_courses(session)]
        services = list(session.scalars(select(Service).where(Service.active).order_by(Service.id)))
        _link_patient(session, token)
        return render_template("wizard_start.html", courses=courses, services=services, token=token)


def _practitioners_for(session: Session, service: Service) -> list[Practitioner]:
    """The active practitioners who give ``service``, by name."""
    practitioners = session.scalars(
        select(Practitioner)
        .where(Practitioner.active)
        .order_by(Practitioner.name)
        .options(selectinload(Practitioner.services))
    )
    return [p for p in practitioners if p.offers(service)]


@bp.get("/course/<id:template_id>")
def choose(template_id: int) -> Any:
    """Step two: the practitioner (or anyone), the first visit's time, and preferred days."""
    choice = _choice(template_id)
    practitioner_id = int(choice.practitioner) if choice.practitioner != "any" else None
    with db().session() as session:
        template = _template(session, template_id)
        returning = _returning(session, choice)
        consultation = template.phases[0].service
        return render_template(
            "course_choose.html",
            template=template,
            summary=phase_summary(template),
            consultation=consultation,
            practitioners=_practitioners_for(session, consultation),
            choice=choice,
            slots=slot_choices(session, consultation.id, choice.day, practitioner_id),
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


def _plan_rows(
    session: Session, plan: list[PlannedVisit], template_id: int
) -> list[dict[str, Any]]:
    names = {p.id: p.name for p in session.scalars(select(Practitioner))}
    words = phase_words(session, template_id)
    zone = settings().zone
    return [
        {
            "number": v.visit_number,
            "phase": words.get(v.phase_position, ""),
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


def _preview(session: Session, course_request: CourseRequest) -> dict[str, Any]:
    """The plan of the requested course, before the patient's details, as the page shows it.

    :raise ValidationFailed, SlotUnavailable: as ``plan_for_request``.
    """
    _, prefs, _, plan = plan_for_request(
        session, course_request, settings=settings(), now=clock().now(), with_patient=False
    )
    return {
        "prefs_days": [WEEKDAY_NAMES[d] for d in prefs.weekdays],
        "prefs_time": prefs.at.strftime("%H:%M"),
        "rows": _plan_rows(session, plan, course_request.template_id),
    }


def _why_not(refusal: ValidationFailed | SlotUnavailable) -> str:
    """The first reason a choice cannot be planned or booked, in words for the patient."""
    if isinstance(refusal, SlotUnavailable):
        return TIME_TAKEN
    return next(iter(refusal.fields.values()))[0]


def _course_page(session: Session, choice: Choice) -> dict[str, Any]:
    """The course the page is for, and the returning patient; 404 if either is unknown."""
    return {
        "template": _template(session, choice.template_id),
        "returning": _returning(session, choice),
    }


def _render_plan(
    session: Session,
    choice: Choice,
    form: Any,
    status: int = 200,
    safety_errors: dict[str, list[str]] | None = None,
    answers: MultiDict[str, str] | None = None,
) -> Any:
    """Step three's page for the choice, the screen's answers as posted (or ``answers``, kept
    with a code); back to step two with the reason it cannot be planned."""
    course_request = _course_request(choice)
    if course_request is None:
        return _back_to_choose(choice, CHOOSE_FIRST_TIME)
    page = _course_page(session, choice)
    try:
        page |= _preview(session, course_request)
    except (ValidationFailed, SlotUnavailable) as exc:
        return _back_to_choose(choice, _why_not(exc))
    return render_template(
        "course_plan.html",
        choice=choice,
        form=form,
        safety_errors=safety_errors or {},
        **page,
        **safety_context(answers),
    ), status


def _plan_again(
    choice: Choice,
    form: Any,
    safety_errors: dict[str, list[str]] | None = None,
    answers: MultiDict[str, str] | None = None,
    status: int = 422,
) -> Any:
    """The plan page again with the refused answers shown (422); nothing is written."""
    with db().session() as session:
        return _render_plan(session, choice, form, status, safety_errors, answers)


@bp.get("/course/<id:template_id>/plan")
def plan(template_id: int) -> Any:
    """Step three: the whole course plan, booked and proposed visits, before anything is
    written; with the safety screen and the patient's details to confirm it."""
    choice = _choice(template_id)
    with db().session() as session:
        return _render_plan(session, choice, details_form())


@dataclass(frozen=True)
class _Course:
    """The course being booked: its consultation's service, and who books it when the
    patient came from their personal link (None for a new patient)."""

    consultation_id: int
    returning_id: int | None


def _course_for(choice: Choice) -> _Course:
    with db().session() as session:
        template = _template(session, choice.template_id)
        returning = _returning(session, choice)
        return _Course(template.phases[0].service_id, returning.id if returning else None)


def _course_to_book(choice: Choice, request_: BookingRequest, course: _Course) -> CourseRequest:
    """The course request with the patient's answers; a returning patient's own record and
    link go with it."""
    course_request = _course_request(choice, request_)
    assert course_request is not None  # the chosen time was read before
    course_request = replace(course_request, requested_from=requester())  # the held-visit cap
    if course.returning_id is None:
        return course_request
    return replace(course_request, patient_id=course.returning_id, link_token=choice.token)


@bp.post("/course/<id:template_id>/book")
@course_requests_limited
def book(template_id: int) -> Any:
    """Confirm the course: emergent or urgent screen answers stop it; review-first answers book
    it pending review; any other error shows the plan again with every reason, nothing written.
    """
    choice = _choice(template_id)
    form = details_form()
    chosen = parse_slot(choice.slot)
    if chosen is None:
        return _back_to_choose(choice, CHOOSE_FIRST_TIME)
    assessment, safety_errors = read_screen()
    course = _course_for(choice)
    request_ = request_from_form(form, course.consultation_id, *chosen)
    if assessment is not None and assessment.stops_booking:
        return stop_booking(request_, assessment, course.returning_id)
    patient_errors = answers_to_correct(request_, settings(), patient_id=course.returning_id)
    if assessment is None or patient_errors:
        show_errors(form, patient_errors)
        return _plan_again(choice, form, safety_errors)
    course_request = _course_to_book(choice, request_, course)
    if course.returning_id is not None:  # their link stands for their phone: no code
        return _book_course(choice, form, course_request, assessment)
    return _ask_for_code(choice, form, course_request)


def _book_course(
    choice: Choice, form: Any, course_request: CourseRequest, assessment: Assessment
) -> Any:
    """Book the screened course and go to the patient's page; a refused answer shows the plan
    again, a time just taken goes back to step two unless this person has just booked it."""
    try:
        booked = db().retrying(
            lambda session: book_course_screened(
                session, course_request, assessment, settings=settings(), now=clock().now()
            )
        )
    except ValidationFailed as exc:
        return _refused(choice, form, exc)
    except SlotUnavailable as exc:
        return _taken(choice, course_request, exc)
    return _booked(booked, assessment)


def _taken(choice: Choice, course_request: CourseRequest, exc: SlotUnavailable) -> Any:
    """The first visit's time was taken a moment ago: by this same person (a second press),
    or by someone else (back to step two to choose another)."""
    if already_booked(course_request.booking, clock().now()):
        return render_template("already_booked.html"), 200
    return _back_to_choose(choice, _why_not(exc))


def _booked(booked: CourseBooking | None, assessment: Assessment) -> Any:
    """Hand on what follows the booking, and go to the patient's page."""
    assert booked is not None  # a right code books
    enqueue_follow_ups(booked.follow_ups)
    first = booked.appointments[0].id
    flash(booked_message(first, course=True, review=assessment.needs_review), "ok")
    return redirect(url_for("manage.overview", token=booked.manage_token), code=303)


def _refused(
    choice: Choice, form: Any, exc: ValidationFailed, answers: MultiDict[str, str] | None = None
) -> Any:
    """Refused answers shown by their fields on the plan page; a refusal that belongs to no
    field there (the course, the time) goes back to step two."""
    rest = show_errors(form, exc.fields)
    if rest:
        return _back_to_choose(choice, next(iter(rest.values()))[0])
    return _plan_again(choice, form, answers=answers)


def _ask_for_code(choice: Choice, form: Any, course_request: CourseRequest) -> Any:
    """Check the course could be booked, text a code to its phone and go to the code step
    (the answers wait with the code). A refused answer shows the plan again, a time just taken
    goes back to step two, too many codes say when to ask again (429)."""
    payload = waiting_payload("course", kept_answers(form), template_id=choice.template_id)
    try:
        sent = db().retrying(
            lambda session: text_code_for_course(
                session,
                course_request,
                payload,
                requester(),
                settings=settings(),
                now=clock().now(),
                reuse_id=current_check(),
            )
        )
    except ValidationFailed as exc:
        return _refused(choice, form, exc)
    except SlotUnavailable as exc:
        return _taken(choice, course_request, exc)
    except CodeRequestRefused as refused:
        return _too_many_codes(choice, form, refused)
    remember(sent)
    return redirect(url_for("wizard.code", template_id=choice.template_id), code=303)


def _too_many_codes(choice: Choice, form: Any, refused: CodeRequestRefused) -> Any:
    """The plan page again, the phone's field saying when a code can be sent (429)."""
    form.phone.errors = [refused.message]
    answer = _plan_again(choice, form, status=429)
    if isinstance(answer, tuple):
        return (*answer, {"Retry-After": str(refused.retry_after_s)})
    return answer


def _code_urls(template_id: int) -> CodeUrls:
    return CodeUrls(
        url_for("wizard.check_code", template_id=template_id),
        url_for("wizard.send_new_code", template_id=template_id),
        url_for("wizard.change", template_id=template_id),
    )


@dataclass(frozen=True)
class _WaitingCourse:
    """A course this browser waits to book with a code, read back as it was posted."""

    waiting: Waiting
    choice: Choice
    form: Any
    course_request: CourseRequest
    assessment: Assessment


def _waiting_course(template_id: int) -> _WaitingCourse | None:
    """The course ``template_id`` this browser waits to book with a code; None if none."""
    waiting = waiting_for("course", template_id=template_id)
    if waiting is None:
        return None
    choice = _choice(template_id, waiting.fields)
    chosen = parse_slot(choice.slot)
    assessment, _ = read_screen(waiting.fields)
    if chosen is None or assessment is None or assessment.stops_booking:
        return None
    form = details_form(waiting.fields)
    course = _course_for(choice)
    request_ = request_from_form(form, course.consultation_id, *chosen)
    course_request = _course_to_book(choice, request_, course)
    return _WaitingCourse(waiting, choice, form, course_request, assessment)


def _start_again(template_id: int) -> Any:
    return start_again(url_for("wizard.choose", template_id=template_id))


@bp.get("/course/<id:template_id>/code")
def code(template_id: int) -> Any:
    """The code step: one question, the 6 digits texted to the phone."""
    waiting = waiting_for("course", template_id=template_id)
    if waiting is None:
        return _start_again(template_id)
    return code_page(waiting, _code_urls(template_id))


@bp.post("/course/<id:template_id>/code")
@code_checks_limited
def check_code(template_id: int) -> Any:
    """Answer the code: right, the course is booked and the patient goes to their page; wrong,
    the code is asked for again (422). A booking refused now shows the plan again with the
    reason (or step two for a time just taken); the same code can then be given again."""
    found = _waiting_course(template_id)
    if found is None:
        return _start_again(template_id)
    try:
        outcome = answer_code(found.waiting, _code_urls(template_id), _booker(found))
    except ValidationFailed as exc:
        return _refused(found.choice, found.form, exc, found.waiting.fields)
    except SlotUnavailable as exc:
        return _taken(found.choice, found.course_request, exc)
    if not isinstance(outcome, AnsweredCode):
        return outcome
    return _booked(outcome.booked, found.assessment)


def _booker(found: _WaitingCourse) -> Callable[[Session, str], CourseBooking]:
    """How the waiting course is booked once its code gives a proof of the phone."""

    def book_with(session: Session, proof: str) -> CourseBooking:
        booking = replace(found.course_request.booking, phone_proof=proof)
        return book_course_screened(
            session,
            replace(found.course_request, booking=booking),
            found.assessment,
            settings=settings(),
            now=clock().now(),
        )

    return book_with


@bp.post("/course/<id:template_id>/code/new")
@code_requests_limited
def send_new_code(template_id: int) -> Any:
    """Text a new code for the waiting course (a minute after the last one at the soonest)."""
    waiting = waiting_for("course", template_id=template_id)
    if waiting is None:
        return _start_again(template_id)
    return new_code(waiting, _code_urls(template_id))


@bp.get("/course/<id:template_id>/code/back")
def change(template_id: int) -> Any:
    """The plan page again with the answers given, to correct the number or anything else;
    sending it again asks for a code again."""
    found = _waiting_course(template_id)
    if found is None:
        return _start_again(template_id)
    with db().session() as session:
        answer = _render_plan(session, found.choice, found.form, answers=found.waiting.fields)
    if isinstance(answer, tuple):
        return (*answer, {"Cache-Control": "no-store"})
    return answer
