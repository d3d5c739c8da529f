"""Setting up what the clinic offers and where: services and treatment rooms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from scheduler.field_errors import FieldErrors
from scheduler.lookup import existing
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    CourseTemplate,
    Room,
    Service,
    TemplatePhase,
)
from scheduler.models.clinic import LONGEST_BUFFER_MIN, LONGEST_SERVICE_MIN
from scheduler.setup.clinic_details import parse_price

# Statuses of a visit still to come (a completed one is history).
UPCOMING = (
    AppointmentStatus.PROPOSED,
    AppointmentStatus.PENDING_REVIEW,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
)


def upcoming_visits(session: Session, now: datetime, *where: ColumnElement[bool]) -> int:
    """How many visits still to come match ``where``."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.starts_at > now, Appointment.status.in_(UPCOMING), *where)
        )
        or 0
    )


@dataclass(frozen=True)
class ServiceInput:
    """A service as typed into the form (numbers may still be text)."""

    name: str
    duration_min: str | int
    buffer_min: str | int = 0
    needs_room: bool = True
    description: str = ""
    price: str = ""  # optional: "45" or "45.50"


def list_services(session: Session) -> list[Service]:
    """Every service, active ones first, by name."""
    return list(session.scalars(select(Service).order_by(Service.active.desc(), Service.name)))


def get_service(session: Session, service_id: int) -> Service:
    """:raise NotFound: if there is no such service."""
    return existing(session, Service, service_id, "service")


def _check_service(session: Session, data: ServiceInput, editing: int | None) -> dict[str, object]:
    errors = FieldErrors()
    name = errors.unique_name(
        session,
        data.name,
        Service,
        editing=editing,
        longest=120,
        taken="A service with this name exists.",
    )
    description = errors.text("description", data.description, longest=500, required=False)
    duration = errors.whole_number("duration_min", data.duration_min, 5, LONGEST_SERVICE_MIN)
    buffer = errors.whole_number("buffer_min", data.buffer_min, 0, LONGEST_BUFFER_MIN)
    price = parse_price(errors, "price", data.price)
    errors.raise_if_any()
    return {
        "name": name,
        "description": description,
        "duration_min": duration,
        "buffer_min": buffer,
        "needs_room": bool(data.needs_room),
        "price_pence": price,
    }


def unique_code(session: Session, name: str, model: type[Service] | type[CourseTemplate]) -> str:
    """A code for a new service or template made from its name, unlike any other's."""
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:32] or "item"
    taken = set(session.scalars(select(model.code).where(model.code.startswith(base))))
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


def create_service(session: Session, data: ServiceInput) -> Service:
    """A new, active service.

    :raise ValidationFailed: for an empty or taken name, a duration outside 5-480 minutes, a
        buffer outside 0-120 or a price that is not an amount; nothing is written.
    """
    values = _check_service(session, data, None)
    service = Service(code=unique_code(session, str(values["name"]), Service), **values)
    session.add(service)
    session.flush()
    return service


def update_service(session: Session, service_id: int, data: ServiceInput) -> Service:
    """Change a service; visits already booked keep their length.

    :raise NotFound: if there is no such service.
    :raise ValidationFailed: as for ``create_service``; nothing is changed.
    """
    service = get_service(session, service_id)
    for field, value in _check_service(session, data, service_id).items():
        setattr(service, field, value)
    session.flush()
    return service


def set_service_active(session: Session, service_id: int, active: bool) -> list[str]:
    """Offer a service again, or stop offering it (it is kept, with every visit that used it).

    Returns the names of active course templates that still use it, for staff to change.

    :raise NotFound: if there is no such service.
    """
    service = get_service(session, service_id)
    service.active = active
    session.flush()
    if active:
        return []
    uses = select(TemplatePhase.template_id).where(
        (TemplatePhase.service_id == service_id) | (TemplatePhase.then_service_id == service_id)
    )
    return list(
        session.scalars(
            select(CourseTemplate.name)
            .where(CourseTemplate.active.is_(True), CourseTemplate.id.in_(uses))
            .order_by(CourseTemplate.name)
        )
    )


@dataclass(frozen=True)
class RoomInput:
    name: str


def list_rooms(session: Session) -> list[Room]:
    """Every room, active ones first, by name."""
    return list(session.scalars(select(Room).order_by(Room.active.desc(), Room.name)))


def get_room(session: Session, room_id: int) -> Room:
    """:raise NotFound: if there is no such room."""
    return existing(session, Room, room_id, "room")


def _room_name(session: Session, data: RoomInput, editing: int | None) -> str:
    errors = FieldErrors()
    name = errors.unique_name(
        session, data.name, Room, editing=editing, longest=80, taken="A room with this name exists."
    )
    errors.raise_if_any()
    return name


def create_room(session: Session, data: RoomInput) -> Room:
    """A new, active treatment room.

    :raise ValidationFailed: for an empty, too long or taken name; nothing is written.
    """
    room = Room(name=_room_name(session, data, None))
    session.add(room)
    session.flush()
    return room


def update_room(session: Session, room_id: int, data: RoomInput) -> Room:
    """Rename a room.

    :raise NotFound: if there is no such room.
    :raise ValidationFailed: for an empty, too long or taken name; nothing is changed.
    """
    room = get_room(session, room_id)
    room.name = _room_name(session, data, room_id)
    session.flush()
    return room


def set_room_active(session: Session, room_id: int, active: bool, now: datetime) -> int:
    """Use a room again, or stop using it for new bookings (it is kept, with its visits).

    Returns how many visits still to come are booked in it, for staff to move.

    :raise NotFound: if there is no such room.
    """
    room = get_room(session, room_id)
    room.active = active
    session.flush()
    return 0 if active else upcoming_visits(session, now, Appointment.room_id == room_id)
