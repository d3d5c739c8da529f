"""Setting up practitioners: who they are, their licence, the services they are qualified for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.field_errors import FieldErrors
from scheduler.lookup import existing
from scheduler.models import Appointment, Practitioner, Service
from scheduler.setup.services import upcoming_visits

LICENCE_WARNING_DAYS = 30


@dataclass(frozen=True)
class PractitionerInput:
    """A practitioner as typed into the form (the date may still be text)."""

    name: str
    title: str = ""
    licence_number: str = ""
    licence_expires_on: str | date | None = None
    service_ids: Sequence[int | str] = ()


def list_practitioners(session: Session) -> list[Practitioner]:
    """Every practitioner with their services and hours, active ones first, by name."""
    return list(
        session.scalars(
            select(Practitioner)
            .options(selectinload(Practitioner.services), selectinload(Practitioner.hours))
            .order_by(Practitioner.active.desc(), Practitioner.name)
        )
    )


def practitioner_names(session: Session) -> dict[int, str]:
    """Every practitioner's name by id (active or not), in name order: the choices of a filter
    or a form."""
    rows = session.execute(select(Practitioner.id, Practitioner.name).order_by(Practitioner.name))
    return {practitioner_id: name for practitioner_id, name in rows}


def get_practitioner(session: Session, practitioner_id: int) -> Practitioner:
    """:raise NotFound: if there is no such practitioner."""
    return existing(session, Practitioner, practitioner_id, "practitioner")


def _services(session: Session, chosen: Sequence[int | str], errors: FieldErrors) -> list[Service]:
    ids: set[int] = set()
    for value in chosen:
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            errors.add("service_ids", "Choose services from the list.")
            return []
    found = list(session.scalars(select(Service).where(Service.id.in_(ids)).order_by(Service.id)))
    if len(found) != len(ids):
        errors.add("service_ids", "Choose services from the list.")
    return found


def _check(session: Session, data: PractitionerInput) -> tuple[dict[str, object], list[Service]]:
    errors = FieldErrors()
    values: dict[str, object] = {
        "name": errors.text("name", data.name, longest=120),
        "title": errors.text("title", data.title, longest=120, required=False),
        "licence_number": errors.text(
            "licence_number", data.licence_number, longest=60, required=False
        ),
        "licence_expires_on": errors.optional_date("licence_expires_on", data.licence_expires_on),
    }
    services = _services(session, data.service_ids, errors)
    errors.raise_if_any()
    return values, services


def create_practitioner(session: Session, data: PractitionerInput) -> Practitioner:
    """A new, active practitioner (bookable once they have working hours).

    :raise ValidationFailed: for an empty or too long name, title or licence number, a date
        that is not one, or a service not in the list; nothing is written.
    """
    values, services = _check(session, data)
    practitioner = Practitioner(**values, services=services)
    session.add(practitioner)
    session.flush()
    return practitioner


def update_practitioner(
    session: Session, practitioner_id: int, data: PractitionerInput
) -> Practitioner:
    """Change a practitioner's details and services; booked visits are left as they are.

    :raise NotFound: if there is no such practitioner.
    :raise ValidationFailed: as for ``create_practitioner``; nothing is changed.
    """
    practitioner = get_practitioner(session, practitioner_id)
    values, services = _check(session, data)
    for field, value in values.items():
        setattr(practitioner, field, value)
    practitioner.services = services
    session.flush()
    return practitioner


def set_practitioner_active(
    session: Session, practitioner_id: int, active: bool, now: datetime
) -> int:
    """Make a practitioner bookable again, or no longer bookable. Nothing is deleted: their
    visits, hours and accounts stay.

    Returns how many visits still to come are booked with them, for staff to move.

    :raise NotFound: if there is no such practitioner.
    """
    practitioner = get_practitioner(session, practitioner_id)
    practitioner.active = active
    session.flush()
    if active:
        return 0
    return upcoming_visits(session, now, Appointment.practitioner_id == practitioner_id)


@dataclass(frozen=True)
class LicenceWarning:
    """A practitioner whose licence runs out soon, or has run out (then they are unbookable)."""

    practitioner_id: int
    name: str
    expires_on: date
    days_left: int  # negative once expired

    @property
    def expired(self) -> bool:
        return self.days_left < 0

    @property
    def message(self) -> str:
        day = f"{self.expires_on.day} {self.expires_on:%b %Y}"
        if self.expired:
            return f"Licence expired on {day}: not bookable until it is renewed."
        if self.days_left == 0:
            return f"Licence expires today ({day})."
        plural = "" if self.days_left == 1 else "s"
        return f"Licence expires on {day}, in {self.days_left} day{plural}."


def licence_warnings(
    session: Session, today: date, within_days: int = LICENCE_WARNING_DAYS
) -> list[LicenceWarning]:
    """Active practitioners whose licence expires within ``within_days`` of ``today`` (the
    clinic's local date) or has expired; soonest first. The expiry day itself is still
    bookable."""
    rows = session.execute(
        select(Practitioner.id, Practitioner.name, Practitioner.licence_expires_on)
        .where(
            Practitioner.active.is_(True),
            Practitioner.licence_expires_on <= today + timedelta(days=within_days),
        )
        .order_by(Practitioner.licence_expires_on, Practitioner.name)
    )
    return [
        LicenceWarning(practitioner_id, name, expires_on, (expires_on - today).days)
        for practitioner_id, name, expires_on in rows
        if expires_on is not None
    ]
