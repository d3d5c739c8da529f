"""Test data for the staff console's records: staff of every role, patients, past visits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Patient,
    Practitioner,
    Role,
    Room,
    Service,
    StaffUser,
)
from tests.support.factories import demo_clinic
from tests.support.staff import password_hash

STAFF = {
    "admin": (Role.ADMIN, "Ada Admin", None),
    "desk": (Role.FRONT_DESK, "Dana Desk", None),
    "lin": (Role.PRACTITIONER, "Mei Lin", "Dr Mei Lin"),
    "novak": (Role.PRACTITIONER, "Sara Novak", "Sara Novak"),
}


def practitioner_id(session: Session, name: str) -> int:
    return session.scalars(select(Practitioner.id).where(Practitioner.name == name)).one()


def add_staff(db: Database, clock: FrozenClock) -> dict[str, str]:
    """The demo clinic and one account per role (two practitioners); key -> email."""
    demo_clinic(db)
    emails = {}
    with db.transaction() as session:
        for key, (role, name, practitioner) in STAFF.items():
            email = f"{key}@clinic.test"
            linked = practitioner_id(session, practitioner) if practitioner else None
            session.add(
                StaffUser(
                    email=email,
                    name=name,
                    password_hash=password_hash(),
                    role=role,
                    practitioner_id=linked,
                    created_at=clock.now(),
                )
            )
            emails[key] = email
    return emails


def add_patient(
    session: Session, now: datetime, first: str = "Ana", last: str = "Silva", phone: str = ""
) -> Patient:
    patient = Patient(
        first_name=first,
        last_name=last,
        phone_e164=phone or "+447400123456",
        time_zone="Europe/London",
        created_at=now,
    )
    session.add(patient)
    session.flush()
    return patient


def add_visit(
    session: Session,
    patient_id: int,
    practitioner: str,
    start: datetime,
    status: AppointmentStatus = AppointmentStatus.BOOKED,
    service_code: str = "acupuncture",
) -> Appointment:
    """A visit written straight to the table (past visits cannot be booked)."""
    service = session.scalars(select(Service).where(Service.code == service_code)).one()
    room = session.scalars(select(Room).order_by(Room.id)).first()
    end = start + timedelta(minutes=service.duration_min)
    visit = Appointment(
        patient_id=patient_id,
        practitioner_id=practitioner_id(session, practitioner),
        service_id=service.id,
        room_id=room.id if room and service.needs_room else None,
        starts_at=start,
        ends_at=end,
        blocked_until=end + timedelta(minutes=service.buffer_min),
        status=status,
        booked_via="desk",
        created_at=start - timedelta(days=7),
        updated_at=start - timedelta(days=7),
    )
    session.add(visit)
    session.flush()
    return visit
