"""The safety screen's questions, and the API's answer when the screen stops a booking."""

from __future__ import annotations

from typing import Any, NoReturn

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from scheduler.clinical.safety import SECTIONS, Assessment, stop_advice
from scheduler.models import SafetyTier
from scheduler.visits.booking import BookingRequest
from scheduler.visits.intake import record_stopped
from web.api.schemas import SafetyQuestionSchema
from web.context import clock, db, settings

blp = Blueprint("safety", __name__, url_prefix="/api/v1", description="The safety screen")

CHOICES = ({"value": True, "label": "Yes"}, {"value": False, "label": "No"})
# Why the booking was refused, in the field's errors; the advice itself is the message.
STOP_REASON = {
    SafetyTier.EMERGENT: "These answers are signs of an emergency: we cannot book a visit.",
    SafetyTier.URGENT: "These answers need a doctor within a day: we cannot book online.",
}


@blp.route("/safety-questions")
class SafetyQuestions(MethodView):
    @blp.response(200, SafetyQuestionSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The safety screen a booking answers in its ``screen``, as the booking pages ask it:
        each question's id, wording, heading and answer choices, in the pages' order."""
        return [
            {"id": q.code, "text": q.text, "section": heading, "choices": list(CHOICES)}
            for heading, questions in SECTIONS
            for q in questions
        ]


def refuse_stopped(request: BookingRequest, assessment: Assessment) -> NoReturn:
    """Keep the stopped screen for staff (``record_stopped``: their alert, at most one a phone
    a day) and answer 422 with the advice, as the booking pages show it.

    :raise 422: always: ``message`` holds the advice, ``errors.json.screen`` the reason.
    """
    cfg = settings()
    will_call = db().retrying(
        lambda session: record_stopped(
            session, request, assessment, settings=cfg, now=clock().now()
        )
    )
    advice = stop_advice(
        assessment.tier,
        will_call=will_call,
        emergency_number=cfg.emergency_number,
        clinic_phone=cfg.clinic_phone,
    )
    abort(422, message=advice, errors={"json": {"screen": [STOP_REASON[assessment.tier]]}})
