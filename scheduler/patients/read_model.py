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
    appointments = list(
        session.scalars(
            select(Appointment)
            .where(Appointment.patient_id == patient.id)
            .options(
                selectinload(Appointment.service),
                selectinload(Appointment.practitioner),
                selectinload(Appointment.room),
            )
            .order_by(Appointment.starts_at)
        )
    )
    messages = list(
        session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.patient_id == patient.id)
            .order_by(OutboundMessage.due_at, OutboundMessage.id)
        )
    )
    return PatientOverview(patient, appointments, messages)
