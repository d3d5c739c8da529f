"""What the permission policy is told about a patient: the practitioners they have visits with."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import Appointment
from scheduler.staff.permissions import Permissions


def patient_practitioners(session: Session, patient_id: int) -> frozenset[int]:
    """The practitioners the patient has visits with (any status): what the policy needs to
    know to say whether a practitioner may see the patient."""
    return frozenset(
        session.scalars(
            select(Appointment.practitioner_id)
            .where(Appointment.patient_id == patient_id)
            .distinct()
        )
    )


def may_see_patient(session: Session, may: Permissions, patient_id: int) -> bool:
    """Whether ``may`` lets its holder see the patient; the patient's practitioners are looked
    up only for staff who do not see every patient."""
    return may.see_every_patient() or may.see_patient(patient_practitioners(session, patient_id))
