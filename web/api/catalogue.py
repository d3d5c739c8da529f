"""GET services, practitioners and free slots."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from scheduler.calendar.availability import TimeOption
from scheduler.calendar.snapshot import free_slots
from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import Practitioner, Service
from web.api import presenters
from web.api.schemas import (
    AvailabilityQuerySchema,
    AvailabilitySchema,
    PractitionerSchema,
    ServiceSchema,
)
from web.context import clock, db, settings

blp = Blueprint("catalogue", __name__, url_prefix="/api/v1", description="What can be booked")


@blp.route("/services")
class Services(MethodView):
    @blp.response(200, ServiceSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The services patients can book."""
        with db().session() as session:
            rows = session.scalars(select(Service).where(Service.active).order_by(Service.id))
            return [presenters.service(s) for s in rows]


@blp.route("/practitioners")
class Practitioners(MethodView):
    @blp.response(200, PractitionerSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The practitioners patients can book, with the services each gives."""
        with db().session() as session:
            rows = session.scalars(
                select(Practitioner)
                .where(Practitioner.active)
                .options(selectinload(Practitioner.services))
                .order_by(Practitioner.id)
            )
            return [presenters.practitioner(p) for p in rows]


@blp.route("/availability")
class Availability(MethodView):
    @blp.arguments(AvailabilityQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, AvailabilitySchema)
    @blp.alt_response(404, description="Unknown service or practitioner.")
    def get(
        self, service_id: int, from_: date, to: date, practitioner_id: int | None
    ) -> dict[str, Any]:
        """Free slots of a service between two local dates, for one practitioner or any.

        :raise 422: if ``to`` is before ``from`` or the range is longer than 62 days.
        :raise 404: if the service or the practitioner does not exist.
        """
        zone = settings().zone
        slots = _free_slots(service_id, from_, to, practitioner_id)
        return {
            "service_id": service_id,
            "time_zone": settings().clinic_timezone,
            "slots": [presenters.slot(s, zone) for s in slots],
        }


def _free_slots(
    service_id: int, first_day: date, last_day: date, practitioner_id: int | None
) -> list[TimeOption]:
    """The free times asked for; a refused range answers 422, an unknown id 404."""
    with db().session() as session:
        try:
            return free_slots(
                session,
                service_id=service_id,
                first_day=first_day,
                last_day=last_day,
                zone=settings().zone,
                now=clock().now(),
                practitioner_id=practitioner_id,
            )
        except ValidationFailed as exc:
            abort(422, errors={"query": exc.fields})
        except NotFound as exc:
            abort(404, message=str(exc))
