"""What the booking pages share: the patient's details, the safety screen, and its outcome."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from flask import render_template, request
from werkzeug.datastructures import MultiDict

from scheduler.clinical.safety import QUESTIONS, Assessment, assess, parse_answers
from scheduler.errors import ValidationFailed
from scheduler.models import ConsentKind, SafetyTier
from scheduler.patients.consent_wording import WORDING
from scheduler.visits.booking import BookingRequest
from scheduler.visits.returning_patients import keep_stopped_screen
from web.booking_input import booking_request
from web.context import clock, db, settings
from web.patient.forms import BookingForm

# The zones most patients of a UK clinic live or travel in, by a name they would look for.
COMMON_ZONES = {
    "Europe/London": "UK (London)",
    "Europe/Dublin": "Ireland (Dublin)",
    "Europe/Lisbon": "Portugal (Lisbon)",
    "Europe/Madrid": "Spain (Madrid)",
    "Europe/Paris": "France (Paris)",
    "Europe/Berlin": "Germany (Berlin)",
    "Europe/Warsaw": "Poland (Warsaw)",
    "Europe/Athens": "Greece (Athens)",
    "America/New_York": "US Eastern (New York)",
    "America/Chicago": "US Central (Chicago)",
    "America/Los_Angeles": "US Pacific (Los Angeles)",
    "Asia/Dubai": "UAE (Dubai)",
    "Asia/Kolkata": "India (Kolkata)",
    "Australia/Sydney": "Australia (Sydney)",
}
OTHER = "other"


@cache
def zone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone, for a patient whose zone is not in the short list."""
    return [(z, z.replace("_", " ")) for z in sorted(available_timezones()) if "/" in z]


def short_zone_choices(clinic_zone: str) -> list[tuple[str, str]]:
    """The clinic's zone first, then the common ones, then "Other…" (the full list)."""
    clinic_label = COMMON_ZONES.get(clinic_zone, clinic_zone.replace("_", " "))
    common = [(z, label) for z, label in COMMON_ZONES.items() if z != clinic_zone]
    return [(clinic_zone, f"{clinic_label}, the clinic's time"), *common, (OTHER, "Other…")]


def chosen_zone(short: str | None, other: str | None) -> str | None:
    """The zone the patient chose: from the full list when they picked "Other…" or chose there,
    else from the short list. "Other…" with nothing chosen stays "other", which the booking
    refuses with a reason."""
    if other and other in dict(zone_choices()):
        return other
    return short


def kept_answers(form: BookingForm) -> MultiDict[str, str]:
    """The answers posted, with the time zone as chosen (the short list and the full list read
    as one), for the booking to wait with while its code is answered."""
    values = request.values.copy()
    values["time_zone"] = form.time_zone.data or ""
    values.pop("time_zone_other", None)
    return values


def details_form(data: MultiDict[str, str] | None = None) -> BookingForm:
    """The patient's details as posted (or as kept in ``data`` while a code is awaited), their
    time zone the clinic's until they choose one."""
    form = BookingForm() if data is None else BookingForm(formdata=data)
    form.time_zone.choices = short_zone_choices(settings().clinic_timezone)
    values = request.form if data is None else data
    form.time_zone.data = chosen_zone(form.time_zone.data, values.get("time_zone_other"))
    if not form.time_zone.data:
        form.time_zone.data = settings().clinic_timezone
    return form


def safety_context(answers: MultiDict[str, str] | None = None) -> dict[str, Any]:
    """The screen's questions, grouped, with the answers given so far."""
    given = answers if answers is not None else request.form
    return {
        "safety_groups": [
            (
                "Before you book: signs we must know about",
                [q for q in QUESTIONS if q.tier is not None],
            ),
            ("For your practitioner", [q for q in QUESTIONS if q.flag is not None]),
        ],
        "safety_answers": {q.code: given.get(f"safety_{q.code}", "") for q in QUESTIONS},
        "wording": {
            "reminders": WORDING[ConsentKind.REMINDERS],
            "diary_prompts": WORDING[ConsentKind.DIARY_PROMPTS],
            "email": WORDING[ConsentKind.EMAIL],
        },
    }


def read_screen(
    data: MultiDict[str, str] | None = None,
) -> tuple[Assessment | None, dict[str, list[str]]]:
    """The answered screen (as posted, or as kept in ``data``), or the questions left
    unanswered."""
    try:
        return assess(parse_answers(request.form if data is None else data)), {}
    except ValidationFailed as exc:
        return None, exc.fields


def answer(value: str | None) -> bool | None:
    """A yes or no radio's answer; None when neither was chosen."""
    return {"yes": True, "no": False}.get(value or "")


def request_from_form(
    form: BookingForm, service_id: int, practitioner_id: int, start: datetime
) -> BookingRequest:
    """The booking request from the details form, for the time and service already chosen."""
    return booking_request(
        service_id=service_id,
        practitioner_id=practitioner_id,
        start=start,
        patient={
            "first_name": form.first_name.data,
            "last_name": form.last_name.data,
            "phone": form.phone.data,
            "time_zone": form.time_zone.data,
            "email": form.email.data,
        },
        reminders=answer(form.consent_reminders.data),
        diary_prompts=answer(form.consent_diary_prompts.data),
        email_consent=bool(form.consent_email.data),
        channel="web",
    )


def show_errors(form: BookingForm, fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """Place field errors on the form; returns those that belong to no form field."""
    rest: dict[str, list[str]] = {}
    for name, messages in fields.items():
        field = getattr(form, "slot" if name in ("start", "practitioner_id") else name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(messages)
        else:
            rest[name] = list(messages)
    return rest


def stop_booking(
    request_: BookingRequest, assessment: Assessment, patient_id: int | None = None
) -> tuple[str, int]:
    """Emergent or urgent answers: keep them for staff (on the record of a returning patient,
    ``patient_id``), and tell the patient what to do now."""
    kept = db().retrying(
        lambda session: keep_stopped_screen(
            session,
            request_,
            assessment,
            patient_id=patient_id,
            settings=settings(),
            now=clock().now(),
        )
    )
    return render_template(
        "safety_stop.html",
        emergent=assessment.tier == SafetyTier.EMERGENT,
        emergency_number=settings().emergency_number,
        will_call=kept,
    ), 200
