"""What a patient sees through their personal link: their visits and the texts sent or planned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.errors import NotFound
from scheduler.models import Appointment, OutboundMessage, Patient
from scheduler.patients.links import patient_for_token


@dataclass(frozen=True)
class PatientOverview:
    patient: Patient
    appointments: list[Appointment]
    messages: list[OutboundMessage]


def overview_for_token(session: Session, token: str, now: datetime) -> PatientOverview:
    """The patient's visits (soonest first) and messages (by due time).

    :raise NotFound: if the token is unknown, expired or revoked (the three look the same).
    """
    patient = patient_for_token(session, token, now)
    if patient is None:
        raise NotFound("no such link")
    return PatientOverview(patient, _visits(session, patient.id), _messages(session, patient.id))


def _visits(session: Session, patient_id: int) -> list[Appointment]:
    """The patient's visits, soonest first, with their service, practitioner and room."""
    return list(
        session.scalars(
            select(Appointment)
            .where(Appointment.patient_id == patient_id)
            .options(
                selectinload(Appointment.service),
                selectinload(Appointment.practitioner),
                selectinload(Appointment.room),
            )
            .order_by(Appointment.starts_at)
        )
    )


def _messages(session: Session, patient_id: int) -> list[OutboundMessage]:
    """The texts sent or planned to the patient, by due time."""
    return list(
        session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.patient_id == patient_id)
            .order_by(OutboundMessage.due_at, OutboundMessage.id)
        )
    )
