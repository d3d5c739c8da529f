"""Whether a questionnaire can be answered now at a point: open, answered already, or closed."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.clinical.questionnaire_schedule import open_points
from scheduler.models import Patient, QuestionnaireKind, QuestionnaireResponse


class PointState(Enum):
    """Where one questionnaire at one point of the schedule stands for a patient."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"  # not open yet, or its time has passed


def point_state(
    session: Session, patient: Patient, kind: QuestionnaireKind, point: str, now: datetime
) -> PointState:
    """Whether the patient may answer ``kind`` at ``point`` now, has answered it already, or
    may not (the point is not open, or is no point of their schedule at all)."""
    answered = session.scalars(
        select(QuestionnaireResponse.id).where(
            QuestionnaireResponse.patient_id == patient.id,
            QuestionnaireResponse.kind == kind,
            QuestionnaireResponse.point == point,
        )
    ).first()
    if answered is not None:
        return PointState.ANSWERED
    if any(p.kind == kind and p.point == point for p in open_points(session, patient, now)):
        return PointState.OPEN
    return PointState.CLOSED
