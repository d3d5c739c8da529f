"""Shared by the booking page and the API: building the request, and placing field errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scheduler.visits.booking import BookingRequest, PatientDetails

PATIENT_FIELDS = {"first_name", "last_name", "phone", "time_zone", "email"}
CONSENT_FIELDS = {
    "consent_reminders": "reminders",
    "consent_diary_prompts": "diary_prompts",
    "consent_email": "email",
}


def booking_request(
    *,
    service_id: int,
    practitioner_id: int,
    start: datetime,
    patient: dict[str, Any],
    reminders: bool | None,
    diary_prompts: bool | None,
    channel: str,
    phone_proof: str = "",
    email_consent: bool | None = None,
) -> BookingRequest:
    """The booking request from the patient's answers (``patient``: the names, the phone, the
    time zone and the optional email, as given)."""
    return BookingRequest(
        service_id=service_id,
        practitioner_id=practitioner_id,
        starts_at=start,
        patient=PatientDetails(
            first_name=patient.get("first_name") or "",
            last_name=patient.get("last_name") or "",
            phone=patient.get("phone") or "",
            time_zone=patient.get("time_zone") or None,
            email=patient.get("email") or None,
        ),
        consent_reminders=reminders,
        consent_diary_prompts=diary_prompts,
        consent_email=email_consent,
        channel=channel,
        phone_proof=phone_proof,
    )


def nest_errors(fields: dict[str, list[str]]) -> dict[str, Any]:
    """The use case's flat field names placed where they are in the API's JSON body."""
    nested: dict[str, Any] = {}
    for name, messages in fields.items():
        if name in PATIENT_FIELDS:
            nested.setdefault("patient", {})[name] = messages
        elif name in CONSENT_FIELDS:
            nested.setdefault("consents", {})[CONSENT_FIELDS[name]] = messages
        else:
            nested[name] = messages
    return nested
