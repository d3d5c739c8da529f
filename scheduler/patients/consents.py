"""Changing SMS consent from the patient's page: each answer added to the ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from scheduler.models import Consent, ConsentKind, Patient
from scheduler.patients.consent_wording import WORDING


def record_consent_answers(
    session: Session,
    patient: Patient,
    answers: dict[ConsentKind, bool],
    *,
    channel: str,
    now: datetime,
) -> list[Consent]:
    """Record the answers that differ from the current ones (with the exact wording shown).

    Saying yes to appointment texts also ends an earlier STOP: the patient asked for texts.
    """
    recorded = []
    for kind, granted in answers.items():
        if patient.consents_to(kind) == granted:
            continue
        consent = _consent(patient, kind, granted, channel, now)
        session.add(consent)
        patient.consents.append(consent)
        recorded.append(consent)
    if answers.get(ConsentKind.REMINDERS) and patient.sms_opted_out_at is not None:
        patient.sms_opted_out_at = None
    session.flush()
    return recorded


def _consent(
    patient: Patient, kind: ConsentKind, granted: bool, channel: str, now: datetime
) -> Consent:
    """A ledger entry of one answer, with the exact wording the patient was shown."""
    return Consent(
        patient_id=patient.id,
        kind=kind,
        granted=granted,
        wording=WORDING[kind],
        channel=channel,
        recorded_at=now,
    )
