"""One visit as an add-to-calendar file (RFC 5545) for the patient's own calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from scheduler.models import Appointment, AppointmentStatus

# Held but not yet settled: the patient's calendar shows them as tentative.
TENTATIVE = (AppointmentStatus.PROPOSED, AppointmentStatus.PENDING_REVIEW)


def visit_uid(visit: Appointment, base_url: str) -> str:
    """The visit's calendar UID: the same on every download, so a second download of a moved
    visit updates the entry instead of adding another."""
    domain = urlsplit(base_url).hostname or "clinic.invalid"
    return f"visit-{visit.id}@{domain}"


def visit_calendar(visit: Appointment, *, clinic_name: str, base_url: str, now: datetime) -> bytes:
    """A VCALENDAR with one VEVENT for ``visit``: start and end in UTC, the clinic's name as
    the place and the practitioner in the title; no condition, service or address words, as
    calendars are often shared with family or an employer."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{clinic_name}//Clinic scheduler//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_event(visit, clinic_name, base_url, now))
    return calendar.to_ical()


def _event(visit: Appointment, clinic_name: str, base_url: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", visit_uid(visit, base_url))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", visit.starts_at.astimezone(UTC))
    event.add("dtend", visit.ends_at.astimezone(UTC))
    event.add("summary", f"Appointment with {visit.practitioner.name}")
    event.add("location", clinic_name)
    event.add("status", "TENTATIVE" if visit.status in TENTATIVE else "CONFIRMED")
    if visit.updated_at is not None:
        event.add("last-modified", visit.updated_at.astimezone(UTC))
    return event
