"""Treatment courses: the templates, a plan preview, booking a course, and the patient's plans."""

from __future__ import annotations

from typing import Any, NoReturn

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.calendar.availability import from_minutes
from scheduler.clinical.safety import Assessment, assess
from scheduler.courses.booking import CourseRequest, plan_for_request
from scheduler.courses.planning import PlannedVisit
from scheduler.courses.read_model import CourseView, CourseVisit, courses_of, view_course
from scheduler.errors import SlotUnavailable, ValidationFailed
from scheduler.follow_ups import FollowUp
from scheduler.models import CourseTemplate, TemplatePhase
from scheduler.patients.links import patient_for_token
from scheduler.visits.intake import SafetyStop, book_course_screened
from web.api import presenters
from web.api.links import COURSE_LINKS, created
from web.api.safety import refuse_stopped
from web.api.schemas import (
    CourseCreatedSchema,
    CourseInSchema,
    CoursePlanSchema,
    CoursePreviewInSchema,
    CourseTemplateSchema,
)
from web.booking_input import booking_request, nest_errors
from web.context import clock, db, settings
from web.enqueue import enqueue_follow_ups
from web.limits import course_requests_limited, requester

blp = Blueprint("courses", __name__, url_prefix="/api/v1", description="Treatment courses")


def _phase(phase: TemplatePhase) -> dict[str, Any]:
    return {
        "position": phase.position,
        "name": phase.name,
        "service_id": phase.service_id,
        "service": phase.service.name,
        "cadence": phase.cadence.value,
        "visits_per_week": phase.visits_per_week,
        "weeks": phase.weeks,
        "then_service": phase.then_service.name if phase.then_service else None,
    }


def _request(data: dict[str, Any]) -> CourseRequest:
    prefs = data.get("preferences") or {}
    weekdays = prefs.get("weekdays")
    return CourseRequest(
        template_id=data["template_id"],
        booking=booking_request(
            service_id=0,  # the template's first phase decides
            practitioner_id=data["practitioner_id"],
            start=data["start"],
            patient=data["patient"],
            reminders=data["consents"]["reminders"],
            diary_prompts=data["consents"]["diary_prompts"],
            email_consent=data["consents"].get("email"),
            channel="api",
            phone_proof=data.get("phone_proof", ""),
        ),
        weekdays=tuple(weekdays) if weekdays is not None else None,
        preferred_time=prefs.get("time"),
        requested_from=requester(),  # for the cap on visits one address may hold
    )


def _planned(visit: PlannedVisit, first: bool) -> dict[str, Any]:
    zone = settings().zone
    start = from_minutes(visit.start) if visit.start is not None else None
    return {
        "visit_number": visit.visit_number,
        "phase": visit.phase_name,
        "service": visit.service.name,
        "status": ("booked" if first else "proposed") if visit.placed else "unplaced",
        "appointment_id": None,
        "start": start,
        "local_start": presenters.local_text(start, zone) if start else None,
        "practitioner_id": visit.practitioner_id,
        "moved": visit.moved,
        "wanted_start": from_minutes(visit.wanted) if visit.wanted is not None else None,
        "note": visit.note,
    }


def _plan_body(template: str, prefs: Any, visits: list[PlannedVisit]) -> dict[str, Any]:
    return {
        "course_id": None,
        "template": template,
        "status": "preview",
        "preferred_weekdays": list(prefs.weekdays),
        "preferred_time": prefs.at.strftime("%H:%M"),
        "visits": [_planned(v, i == 0) for i, v in enumerate(visits)],
    }


def _view_body(view: CourseView) -> dict[str, Any]:
    course = view.course
    return {
        "course_id": course.id,
        "template": course.template.name,
        "status": course.status.value,
        "preferred_weekdays": course.weekdays,
        "preferred_time": course.preferred_time.strftime("%H:%M"),
        "visits": [_view_visit(v) for v in view.visits],
    }


def _view_visit(v: CourseVisit) -> dict[str, Any]:
    zone = settings().zone
    return {
        "visit_number": v.visit_number,
        "phase": v.phase,
        "service": v.service,
        "status": v.status,
        "appointment_id": v.appointment_id,
        "start": v.start,
        "local_start": presenters.local_text(v.start, zone) if v.start else None,
        "practitioner_id": v.practitioner_id,
        "moved": "was taken" in v.note,
        "wanted_start": v.wanted,
        "note": v.note,
    }


def _refuse(exc: Exception) -> NoReturn:
    if isinstance(exc, ValidationFailed):
        abort(422, errors={"json": nest_errors(exc.fields)})
    abort(409, message=f"That first visit is no longer free: {exc}.")


@blp.route("/course-templates")
class Templates(MethodView):
    @blp.response(200, CourseTemplateSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The courses the clinic offers, phase by phase."""
        with db().session() as session:
            templates = session.scalars(
                select(CourseTemplate)
                .where(CourseTemplate.active.is_(True))
                .options(selectinload(CourseTemplate.phases))
                .order_by(CourseTemplate.id)
            )
            return [
                {
                    "id": t.id,
                    "code": t.code,
                    "name": t.name,
                    "description": t.description,
                    "phases": [_phase(p) for p in t.phases],
                }
                for t in templates
            ]


@blp.route("/courses/preview")
class Preview(MethodView):
    @blp.arguments(CoursePreviewInSchema)
    @blp.response(200, CoursePlanSchema)
    @blp.alt_response(409, description="The first visit's time is taken.")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """The whole plan a course booking would make, without booking anything. The safety
        screen is not needed here: it is asked when booking.

        :raise 409: if the first visit's time is taken.
        :raise 422: with per-field errors.
        """
        try:
            with db().session() as session:
                template, prefs, _phone, visits = plan_for_request(
                    session, _request(data), settings=settings(), now=clock().now()
                )
                return _plan_body(template.name, prefs, visits)
        except (ValidationFailed, SlotUnavailable) as exc:
            _refuse(exc)


@blp.route("/courses")
class Courses(MethodView):
    @course_requests_limited
    @blp.arguments(CourseInSchema)
    @blp.response(201, CourseCreatedSchema)
    @blp.doc(**created(COURSE_LINKS))
    @blp.alt_response(409, description="The first visit's time is taken.")
    @blp.alt_response(429, description="Too many course requests from here or for this number.")
    @blp.alt_response(422, description="Bad input, or the safety screen stopped the booking.")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Book a course behind the safety screen: the first visit booked (``pending_review``
        when a practitioner should review the answers first), every later visit planned and
        held.

        The answer is the plan: each visit booked, proposed, moved (and why) or unplaced.

        :raise 409: if the first visit's time is taken.
        :raise 422: with per-field errors; nothing is written. Also when the screen's answers
            stop online booking (emergency or urgent signs): the advice is the ``message``, the
            reason is under ``errors.json.screen``, nothing is booked and staff are told.
        """
        request, assessment = _request(data), assess(data["screen"])
        try:
            body, follow_ups = db().retrying(lambda session: _book(session, request, assessment))
        except SafetyStop as stop:
            refuse_stopped(request.booking, stop.assessment)
        except (ValidationFailed, SlotUnavailable) as exc:
            _refuse(exc)
        enqueue_follow_ups(follow_ups)
        return body


def _book(
    session: Session, request: CourseRequest, assessment: Assessment
) -> tuple[dict[str, Any], tuple[FollowUp, ...]]:
    """Book the course; the answer: its plan, and the patient's personal link, with what
    follows.

    :raise SafetyStop: if the screen's answers stop online booking; nothing is written.
    """
    cfg = settings()
    result = book_course_screened(session, request, assessment, settings=cfg, now=clock().now())
    body = {
        "plan": _view_body(view_course(session, result.course)),
        "manage_url": cfg.manage_url(result.manage_token),
        "manage_token": result.manage_token,
    }
    return body, result.follow_ups


@blp.route("/bookings/<string:token>/courses")
class PatientCourses(MethodView):
    @blp.response(200, CoursePlanSchema(many=True))
    def get(self, token: str) -> list[dict[str, Any]]:
        """The patient's courses with every visit: booked, proposed, moved or unplaced.

        :raise 404: if the link is not valid.
        """
        with db().session() as session:
            patient = patient_for_token(session, token, clock().now())
            if patient is None:
                abort(404, message="This link is not valid.")
            return [_view_body(v) for v in courses_of(session, patient)]
