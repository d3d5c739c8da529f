"""Factories with sensible defaults, overridable per test (``book(db, start=...)``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.clinical.safety import QUESTIONS
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.demo import load_demo_clinic
from scheduler.models import Appointment, Patient, Practitioner, Service
from scheduler.visits.booking import BookingRequest, BookingResult, PatientDetails, book_visit

PHONE = "+447400123456"


def screen(*yes: str) -> dict[str, bool]:
    """The safety screen's answers for the API: no to every question but those named."""
    return {q.code: q.code in yes for q in QUESTIONS}


def demo_clinic(db: Database) -> None:
    with db.transaction() as session:
        load_demo_clinic(session)


def ids(db: Database, service_code: str = "acupuncture") -> tuple[int, int]:
    """(service id, id of the first practitioner who gives it)."""
    with db.session() as session:
        service = session.scalars(select(Service).where(Service.code == service_code)).one()
        practitioner = next(
            p
            for p in session.scalars(select(Practitioner).order_by(Practitioner.id))
            if p.offers(service)
        )
        return service.id, practitioner.id


def booking_request(db: Database, start: datetime, **overrides: Any) -> BookingRequest:
    service_id, practitioner_id = ids(db, overrides.pop("service_code", "acupuncture"))
    practitioner_id = overrides.pop("practitioner_id", practitioner_id)
    patient = PatientDetails(
        first_name=overrides.pop("first_name", "Ana"),
        last_name=overrides.pop("last_name", "Silva"),
        phone=overrides.pop("phone", PHONE),
        email=overrides.pop("email", None),
    )
    values: dict[str, Any] = {
        "service_id": service_id,
        "practitioner_id": practitioner_id,
        "starts_at": start,
        "patient": patient,
        "consent_reminders": True,
        "consent_diary_prompts": False,
        "channel": "api",
    }
    values.update(overrides)
    return BookingRequest(**values)


def book(
    db: Database, settings: Settings, now: datetime, start: datetime, **overrides: Any
) -> BookingResult:
    request = booking_request(db, start, **overrides)
    with db.transaction() as session:
        return book_visit(session, request, settings=settings, now=now)


def api_booking(
    service_id: int, practitioner_id: int, start: str, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_id": service_id,
        "practitioner_id": practitioner_id,
        "start": start,
        "patient": {"first_name": "Ana", "last_name": "Silva", "phone": "07400 123456"},
        "consents": {"reminders": True, "diary_prompts": False},
        "screen": screen(),
    }
    body.update(overrides)
    return body


def filler_visit(
    session: Session,
    *,
    name: str,
    phone: str,
    practitioner_id: int,
    service: Service,
    start: datetime,
    room_id: int | None,
    status: str = "booked",
) -> Appointment:
    """A visit written straight to the calendar (no booking rules), for a patient of its own,
    holding the service's length and buffer."""
    created = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # the tests' Monday morning
    patient = Patient(
        first_name=name,
        last_name="Visit",
        phone_e164=phone,
        time_zone="Europe/London",
        created_at=created,
    )
    ends = start + timedelta(minutes=service.duration_min)
    visit = Appointment(
        patient=patient,
        practitioner_id=practitioner_id,
        service_id=service.id,
        room_id=room_id,
        starts_at=start,
        ends_at=ends,
        blocked_until=ends + timedelta(minutes=service.buffer_min),
        status=status,
        booked_via="web",
        created_at=created,
        updated_at=created,
    )
    session.add(visit)
    return visit
