"""The demo clinic's set-up: the services of DOMAIN.md, practitioners, rooms, hours, holidays."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.courses.templates import load_default_templates
from scheduler.models import Practitioner, Room, Service, WorkingHours
from scheduler.models.clinic import ClinicDetails
from scheduler.setup.bank_holidays import Region, add_coming_bank_holidays

SERVICES = [
    # code, name, minutes, buffer, needs a room, description
    ("initial", "Initial consultation", 90, 10, True, "History, screening and a first treatment."),
    ("acupuncture", "Acupuncture", 45, 10, True, "A course session."),
    ("tuina", "Tui Na massage", 30, 0, True, "Often booked straight after acupuncture."),
    ("dry_needling", "Dry needling", 30, 10, True, "Some soreness for a day or two is expected."),
    ("maintenance", "Maintenance visit", 45, 10, True, "Acupuncture in the maintenance phase."),
    ("telehealth", "Telehealth check-in", 20, 0, False, "A video call; no room needed."),
]

# What one visit costs, in pence (shown on the booking pages), and where the clinic is.
PRICES = {"initial": 7500, "acupuncture": 5500, "tuina": 4000, "dry_needling": 5000}
PRICES |= {"maintenance": 5500, "telehealth": 2500}
ADDRESS = "12 Clearwater Lane, London N1 9GU"

PRACTITIONERS = [
    # name, title, licence, services
    (
        "Dr Mei Lin",
        "Acupuncturist",
        "BAcC-10421",
        ["initial", "acupuncture", "maintenance", "telehealth"],
    ),
    ("Tom Okafor", "Tui Na therapist", "CThA-5530", ["tuina", "telehealth"]),
    (
        "Sara Novak",
        "Physiotherapist",
        "HCPC-PH88120",
        ["initial", "acupuncture", "dry_needling", "maintenance", "telehealth"],
    ),
]

WEEK = [(day, time(9, 0), time(13, 0)) for day in range(5)] + [
    (day, time(14, 0), time(18, 0)) for day in range(5)
]


def add_services(session: Session) -> dict[str, Service]:
    """The services of DOMAIN.md section 2, by code."""
    services = {
        code: Service(
            code=code,
            name=name,
            duration_min=minutes,
            buffer_min=buffer,
            needs_room=needs_room,
            description=description,
            price_pence=PRICES.get(code),
        )
        for code, name, minutes, buffer, needs_room, description in SERVICES
    }
    session.add_all(services.values())
    return services


def clinic_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Service))


def add_setup(session: Session, settings: Settings | None, now: datetime | None) -> None:
    """Services, rooms, practitioners with their hours, the course templates and, given the
    settings and the time, the bank holidays of this year and the next."""
    services = add_services(session)
    session.add_all(Room(name=name) for name in ("Room 1", "Room 2", "Room 3"))
    session.add(ClinicDetails(id=1, address=ADDRESS))
    for name, title, licence, codes in PRACTITIONERS:
        practitioner = Practitioner(
            name=name,
            title=title,
            licence_number=licence,
            licence_expires_on=date(2030, 12, 31),
            services=[services[c] for c in codes],
        )
        practitioner.hours = [WorkingHours(weekday=d, starts=s, ends=e) for d, s, e in WEEK]
        session.add(practitioner)
    session.flush()
    load_default_templates(session)
    if settings is not None and now is not None:
        _close_on_bank_holidays(session, settings, now)


def _close_on_bank_holidays(session: Session, settings: Settings, now: datetime) -> None:
    region = Region(settings.clinic_country, settings.clinic_subdivision)
    add_coming_bank_holidays(session, region=region, zone=settings.zone, now=now)
