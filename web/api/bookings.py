"""POST a booking; GET a patient's view through their personal token."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy.orm import Session

from scheduler.clinical.safety import Assessment, assess
from scheduler.config import Settings
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.patients.read_model import overview_for_token
from scheduler.visits.booking import BookingRequest
from scheduler.visits.intake import SafetyStop, book_visit_screened
from web.api import presenters
from web.api.links import BOOKING_LINKS, created
from web.api.safety import refuse_stopped
from web.api.schemas import BookingCreatedSchema, BookingInSchema, PatientViewSchema
from web.booking_input import booking_request, nest_errors
from web.context import clock, db, settings
from web.limits import bookings_limited

blp = Blueprint("bookings", __name__, url_prefix="/api/v1", description="Bookings")


@blp.route("/bookings")
class Bookings(MethodView):
    @bookings_limited
    @blp.arguments(BookingInSchema)
    @blp.response(201, BookingCreatedSchema)
    @blp.doc(**created(BOOKING_LINKS))
    @blp.alt_response(429, description="Too many bookings from here or for this number.")
    @blp.alt_response(409, description="The slot was taken.")
    @blp.alt_response(422, description="Bad input, or the safety screen stopped the booking.")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Book one visit behind the safety screen and plan its confirmation and reminders.
        Answers a practitioner should review first book it as ``pending_review``.

        :raise 409: if the practitioner or every room is taken at that time.
        :raise 422: with per-field errors; nothing is written. Also when the screen's answers
            stop online booking (emergency or urgent signs): the advice is the ``message``, the
            reason is under ``errors.json.screen``, nothing is booked and staff are told.
        """
        request = _booking_request(data)
        assessment = assess(data["screen"])
        cfg = settings()
        try:
            return db().retrying(lambda session: _book(session, request, assessment, cfg))
        except SafetyStop as stop:
            refuse_stopped(request, stop.assessment)
        except ValidationFailed as exc:
            abort(422, errors={"json": nest_errors(exc.fields)})
        except SlotUnavailable as exc:
            abort(409, message=f"That time is no longer free: {exc}.")


def _booking_request(data: dict[str, Any]) -> BookingRequest:
    """The booking request from the body ``BookingInSchema`` has read."""
    consents = data["consents"]
    return booking_request(
        service_id=data["service_id"],
        practitioner_id=data["practitioner_id"],
        start=data["start"],
        patient=data["patient"],
        reminders=consents["reminders"],
        diary_prompts=consents["diary_prompts"],
        email_consent=consents.get("email"),
        channel="api",
        phone_proof=data.get("phone_proof", ""),
    )


def _book(
    session: Session, request: BookingRequest, assessment: Assessment, cfg: Settings
) -> dict[str, Any]:
    """Book the visit; the answer: the appointment, and the patient's personal link.

    :raise SafetyStop: if the screen's answers stop online booking; nothing is written.
    """
    result = book_visit_screened(session, request, assessment, settings=cfg, now=clock().now())
    return {
        "appointment": presenters.appointment(result.appointment, cfg.zone),
        "manage_url": cfg.manage_url(result.manage_token),
        "manage_token": result.manage_token,
    }


@blp.route("/bookings/<string:token>")
class PatientView(MethodView):
    @blp.response(200, PatientViewSchema)
    @blp.alt_response(404, description="Unknown, expired or revoked link.")
    def get(self, token: str) -> dict[str, Any]:
        """The patient's visits and the texts sent or planned for them.

        :raise 404: if the token is unknown, expired or revoked; the answer does not say which.
        """
        zone = settings().zone
        with db().session() as session:
            try:
                view = overview_for_token(session, token, clock().now())
            except NotFound:
                abort(404, message="This link is not valid.")
            return {
                "first_name": view.patient.first_name,
                "time_zone": view.patient.time_zone,
                "appointments": [presenters.appointment(a, zone) for a in view.appointments],
                "messages": [presenters.message(m) for m in view.messages],
            }
