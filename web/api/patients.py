"""The patient's own API behind their personal token: visits, moves, waitlist and offers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NoReturn

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import fields
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.calendar.availability import TimeOption
from scheduler.courses.integrity import CourseRuleBroken
from scheduler.errors import NotFound, SlotUnavailable, ValidationFailed
from scheduler.follow_ups import FollowUp
from scheduler.models import Patient, Practitioner, WaitlistEntry, WaitlistOffer
from scheduler.patients.links import patient_for_token
from scheduler.visits.cancellation import NotCancellable, cancel_visit
from scheduler.visits.rescheduling import Move, NotMovable, alternatives, reschedule_visit
from scheduler.visits.waitlist import (
    OfferClosed,
    answer_offer,
    join_waitlist,
    withdraw,
)
from web.api import presenters
from web.api.schemas import (
    AlternativesQuerySchema,
    AppointmentSchema,
    AvailabilitySchema,
    RescheduleInSchema,
    SlotSchema,
    WaitlistEntrySchema,
    WaitlistInSchema,
)
from web.context import clock, db, settings
from web.enqueue import enqueue_follow_ups
from web.limits import link_texts_limited

blp = Blueprint(
    "patients", __name__, url_prefix="/api/v1/bookings/<string:token>", description="Patient"
)

BAD_LINK = "This link is not valid, or that is not yours."


class MovedAppointmentSchema(AppointmentSchema):
    text_planned = fields.Bool(
        required=True,
        metadata={"description": "Whether a text telling the patient of the new time will go."},
    )


class MoveSlotSchema(SlotSchema):
    practitioner = fields.Str(
        required=True, metadata={"description": "The name of the practitioner suggested."}
    )


class AlternativesSchema(AvailabilitySchema):
    slots = fields.List(fields.Nested(MoveSlotSchema), required=True)


def _patient(session: Session, token: str) -> Patient:
    patient = patient_for_token(session, token, clock().now())
    if patient is None:
        abort(404, message=BAD_LINK)
    return patient


def _invalid(exc: ValidationFailed) -> NoReturn:
    abort(422, errors={"json": exc.fields})


@blp.route("/appointments/<id:appointment_id>/cancel")
class CancelVisit(MethodView):
    @link_texts_limited
    @blp.alt_response(429, description="Too many changes through this link just now.")
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(404, description="Unknown link, or not this patient's visit.")
    @blp.alt_response(409, description="The visit is past, under way or already cancelled.")
    def post(self, token: str, appointment_id: int) -> dict[str, Any]:
        """Cancel one of the patient's visits; its unsent texts are cancelled with it.

        Under 24 hours before the start the status is ``cancelled_late``. A course visit is
        replaced by the workers, and the freed time is offered to the waitlist.

        :raise 404: if the link is not valid or the visit is not this patient's.
        :raise 409: if the visit can no longer be cancelled.
        """
        now = clock().now()
        try:
            with db().transaction() as session:
                patient = _patient(session, token)
                cancelled = cancel_visit(
                    session, appointment_id, now, patient=patient, settings=settings()
                )
                body = presenters.appointment(cancelled.visit, settings().zone)
        except NotFound:
            abort(404, message=BAD_LINK)
        except NotCancellable as exc:
            abort(409, message=str(exc))
        enqueue_follow_ups(cancelled.follow_ups)
        return body


@blp.route("/appointments/<id:appointment_id>/reschedule")
class RescheduleVisit(MethodView):
    @link_texts_limited
    @blp.alt_response(429, description="Too many changes through this link just now.")
    @blp.arguments(RescheduleInSchema)
    @blp.response(200, MovedAppointmentSchema)
    @blp.alt_response(404, description="Unknown link, or not this patient's visit.")
    @blp.alt_response(
        409,
        description="The new time is taken, the visit cannot move, or the new time breaks its "
        "course's rules (``errors.rules``: course_order, course_gap, own_visit_overlap).",
    )
    def post(self, data: dict[str, Any], token: str, appointment_id: int) -> dict[str, Any]:
        """Move one of the patient's visits; texts are re-planned for the new time, and
        ``text_planned`` says whether a text about the new time will go.

        :raise 404: if the link is not valid or the visit is not this patient's.
        :raise 409: if the new time is taken, the visit can no longer move, or the new time
            puts the course out of order, too close to its neighbours, or over another visit.
        :raise 422: if the new time is not bookable.
        """
        now = clock().now()
        try:
            move, body = db().retrying(
                lambda session: _move(session, token, appointment_id, data, now)
            )
        except NotFound:
            abort(404, message=BAD_LINK)
        except CourseRuleBroken as exc:
            _broken(exc)
        except ValidationFailed as exc:
            _invalid(exc)
        except (SlotUnavailable, NotMovable) as exc:
            abort(409, message=str(exc))
        enqueue_follow_ups(move.follow_ups)
        return body


def _broken(exc: CourseRuleBroken) -> NoReturn:
    messages = [p.message for p in exc.problems]
    rules = [p.rule.value for p in exc.problems]
    abort(409, message=" ".join(messages), errors={"start": messages, "rules": rules})


def _move(
    session: Session, token: str, appointment_id: int, data: dict[str, Any], now: datetime
) -> tuple[Move, dict[str, Any]]:
    move = reschedule_visit(
        session,
        appointment_id,
        data["start"],
        settings=settings(),
        now=now,
        patient=_patient(session, token),
        practitioner_id=data.get("practitioner_id"),
    )
    return move, {
        **presenters.appointment(move.visit, settings().zone),
        "text_planned": move.texted,
    }


@blp.route("/appointments/<id:appointment_id>/alternatives")
class Alternatives(MethodView):
    @blp.arguments(AlternativesQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, AlternativesSchema)
    @blp.alt_response(404, description="Unknown link, or not this patient's visit.")
    def get(self, token: str, appointment_id: int, from_: Any, to: Any) -> dict[str, Any]:
        """Free times the visit could move to, each with the practitioner suggested: its own
        practitioner's times, another's only on days theirs has none; never a time that puts
        its course out of order, too close to another course visit, or over another visit.

        :raise 404: if the link is not valid or the visit is not this patient's.
        :raise 409: if the visit can no longer move.
        :raise 422: if the range is reversed or longer than 31 days.
        """
        try:
            with db().session() as session:
                service_id, options, names = _options(session, token, appointment_id, from_, to)
        except NotFound:
            abort(404, message=BAD_LINK)
        except NotMovable as exc:
            abort(409, message=str(exc))
        except ValidationFailed as exc:
            abort(422, errors={"query": exc.fields})
        return {
            "service_id": service_id,
            "time_zone": settings().clinic_timezone,
            "slots": [
                {
                    **presenters.slot(o, settings().zone),
                    "practitioner": names[o.practitioner_ids[0]],
                }
                for o in options
            ],
        }


def _options(
    session: Session, token: str, appointment_id: int, first_day: date, last_day: date
) -> tuple[int, list[TimeOption], dict[int, str]]:
    """The visit's service, the free times it could move to, and practitioners' names."""
    options = alternatives(
        session,
        appointment_id,
        settings=settings(),
        now=clock().now(),
        first_day=first_day,
        last_day=last_day,
        patient=_patient(session, token),
    )
    names = {p.id: p.name for p in session.scalars(select(Practitioner))}
    return presenters.visit_service_id(session, appointment_id), options, names


@blp.route("/waitlist")
class Waitlist(MethodView):
    @blp.response(200, WaitlistEntrySchema(many=True))
    def get(self, token: str) -> list[dict[str, Any]]:
        """The patient's waitlist entries, with any open offer.

        :raise 404: if the link is not valid.
        """
        with db().session() as session:
            patient = _patient(session, token)
            entries = session.scalars(
                select(WaitlistEntry)
                .where(WaitlistEntry.patient_id == patient.id)
                .order_by(WaitlistEntry.created_at)
            )
            return [presenters.waitlist_entry(session, e, settings().zone) for e in entries]

    @link_texts_limited
    @blp.alt_response(429, description="Too many changes through this link just now.")
    @blp.arguments(WaitlistInSchema)
    @blp.response(201, WaitlistEntrySchema)
    def post(self, data: dict[str, Any], token: str) -> dict[str, Any]:
        """Ask for an earlier time within a window; the first freed time that suits is held.

        :raise 404: if the link is not valid.
        :raise 422: if the window or the ids are not valid.
        """
        try:
            with db().transaction() as session:
                entry = join_waitlist(session, _patient(session, token), now=clock().now(), **data)
                return presenters.waitlist_entry(session, entry, settings().zone)
        except ValidationFailed as exc:
            _invalid(exc)


@blp.route("/waitlist/<id:entry_id>")
class WaitlistEntryView(MethodView):
    @blp.response(200, WaitlistEntrySchema)
    def delete(self, token: str, entry_id: int) -> dict[str, Any]:
        """Leave the waitlist; an open offer is released to the next patient.

        :raise 404: if the link is not valid or the entry is not the patient's.
        """
        try:
            with db().transaction() as session:
                left = withdraw(session, entry_id, _patient(session, token), clock().now())
                answer = presenters.waitlist_entry(session, left.entry, settings().zone)
        except NotFound:
            abort(404, message=BAD_LINK)
        enqueue_follow_ups(left.follow_ups)
        return answer


@blp.route("/offers/<id:offer_id>/<any(accept, decline):answer>")
class OfferAnswer(MethodView):
    @blp.response(200, WaitlistEntrySchema)
    @blp.alt_response(409, description="The offer has expired or closed.")
    def post(self, token: str, offer_id: int, answer: str) -> dict[str, Any]:
        """Accept or decline a held time.

        :raise 404: if the link is not valid or the offer is not the patient's.
        :raise 409: if the offer has expired or closed.
        """
        now = clock().now()
        try:
            with db().transaction() as session:
                follow_ups = _answer_offer(session, _patient(session, token), offer_id, answer, now)
                entry = session.get_one(WaitlistOffer, offer_id).entry
                body = presenters.waitlist_entry(session, entry, settings().zone)
        except NotFound:
            abort(404, message=BAD_LINK)
        except OfferClosed as exc:
            abort(409, message=str(exc))
        enqueue_follow_ups(follow_ups)
        return body


def _answer_offer(
    session: Session, patient: Patient, offer_id: int, answer: str, now: datetime
) -> tuple[FollowUp, ...]:
    accept = answer == "accept"
    return answer_offer(
        session, offer_id, accept=accept, settings=settings(), now=now, patient=patient
    ).follow_ups
