"""Turning domain objects into the API's plain answers."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.calendar.availability import TimeOption, from_minutes
from scheduler.models import (
    Appointment,
    OutboundMessage,
    Practitioner,
    Service,
    WaitlistEntry,
    WaitlistOffer,
)


def local_text(value: Any, zone: ZoneInfo) -> str:
    return str(value.astimezone(zone).strftime("%Y-%m-%dT%H:%M"))


def service(s: Service) -> dict[str, Any]:
    return {
        "id": s.id,
        "code": s.code,
        "name": s.name,
        "description": s.description,
        "duration_min": s.duration_min,
        "buffer_min": s.buffer_min,
        "needs_room": s.needs_room,
    }


def practitioner(p: Practitioner) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "title": p.title,
        "service_ids": sorted(s.id for s in p.services),
    }


def slot(option: TimeOption, zone: ZoneInfo) -> dict[str, Any]:
    start = from_minutes(option.start)
    return {
        "start": start,
        "end": from_minutes(option.end),
        "local_start": local_text(start, zone),
        "practitioner_id": option.practitioner_ids[0],
        "practitioner_ids": list(option.practitioner_ids),
    }


def appointment(a: Appointment, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": a.id,
        "status": a.status.value,
        "service": a.service.name,
        "practitioner": a.practitioner.name,
        "room": a.room.name if a.room else None,
        "start": a.starts_at,
        "end": a.ends_at,
        "local_start": local_text(a.starts_at, zone),
    }


def message(m: OutboundMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "kind": m.kind.value,
        "channel": m.channel.value,
        "subject": m.subject,
        "status": m.status.value,
        "due_at": m.due_at,
        "sent_at": m.sent_at,
        "text": m.body,
        "segments": m.segments,
        "error_code": m.error_code,
    }


def visit_service_id(session: Session, appointment_id: int) -> int:
    return session.get_one(Appointment, appointment_id).service_id


def waitlist_entry(session: Session, entry: WaitlistEntry, zone: ZoneInfo) -> dict[str, Any]:
    offer = session.scalars(
        select(WaitlistOffer)
        .where(WaitlistOffer.entry_id == entry.id)
        .order_by(WaitlistOffer.offered_at.desc(), WaitlistOffer.id.desc())
    ).first()
    return {
        "id": entry.id,
        "status": entry.status.value,
        "service_id": entry.service_id,
        "practitioner_id": entry.practitioner_id,
        "appointment_id": entry.appointment_id,
        "earliest": entry.earliest,
        "latest": entry.latest,
        "offer": None
        if offer is None
        else {
            "id": offer.id,
            "status": offer.status.value,
            "start": offer.appointment.starts_at,
            "local_start": local_text(offer.appointment.starts_at, zone),
            "practitioner": offer.appointment.practitioner.name,
            "expires_at": offer.expires_at,
        },
    }
