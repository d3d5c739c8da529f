"""The staff booking forms as posted: who the booking is for, the screen, and what to book.

Nothing is stored between the steps: each page carries the answers given so far in hidden
fields, and every step reads and checks them again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from scheduler.clinical.safety import QUESTIONS
from scheduler.courses.booking import CourseRequest
from scheduler.visits.booking import BookingRequest
from web.booking_input import booking_request

CHANNEL = "staff"  # how the visits were booked and the consents given, in the ledger
FIELD_MAX = 100
# An email is carried whole (up to 254 characters once trimmed), every other answer cut short.
FIELD_MAX_OF = {"email": 320}
DETAIL_FIELDS = ("first_name", "last_name", "phone", "time_zone", "email")
PATIENT_FIELDS = (
    *DETAIL_FIELDS,
    "consent_reminders",
    "consent_diary_prompts",
    "consent_email",
)
WHO_FIELDS = ("patient_id", *PATIENT_FIELDS)
SLOT_FIELDS = ("start", "practitioner_id")
START_WRONG = "Enter the date and time of the visit."
# Before any answer is read: a start that cannot be booked, so the use case says so.
NO_START = datetime(2000, 1, 1, tzinfo=UTC)


def screen_fields() -> tuple[str, ...]:
    """The safety screen's form fields, one a question (read when asked: questions change)."""
    return tuple(f"safety_{q.code}" for q in QUESTIONS)


def kept(values: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """The answers named ``names`` that were given, each cut to a sane length, for a page to
    carry on in hidden fields."""
    return {
        name: values.get(name, "")[: FIELD_MAX_OF.get(name, FIELD_MAX)]
        for name in names
        if values.get(name)
    }


def int_value(raw: str | None) -> int | None:
    """A positive id as a form or query sends it; None when it is missing or malformed."""
    text = (raw or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) < 10 else None


def read_start(raw: str | None, zone: ZoneInfo) -> datetime | None:
    """A start as the calendar links it or the form sends it (ISO, local to the clinic unless
    it names its offset); None when it is no date and time."""
    try:
        parsed = datetime.fromisoformat((raw or "").strip()[:40])
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def start_input(raw: str | None, zone: ZoneInfo) -> str:
    """The value a date-and-time input shows for ``raw``: the clinic's local "YYYY-MM-DDTHH:MM",
    or ``raw`` as typed when it is no time."""
    start = read_start(raw, zone)
    if start is None:
        return (raw or "")[:FIELD_MAX]
    return start.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def answer(value: str | None) -> bool | None:
    """A yes or no radio's answer; None when neither was chosen."""
    return {"yes": True, "no": False}.get(value or "")


@dataclass(frozen=True)
class Who:
    """Who the booking is for: a patient on record (``patient_id``) or a new one whose
    details and consents staff took."""

    patient_id: int | None
    values: Mapping[str, str]

    @property
    def is_new(self) -> bool:
        return self.patient_id is None


def read_who(values: Mapping[str, str]) -> Who:
    return Who(int_value(values.get("patient_id")), values)


def visit_request(
    who: Who, values: Mapping[str, str], service_id: int, zone: ZoneInfo
) -> BookingRequest:
    """The booking request for a visit at the posted start with the posted practitioner; the
    number staff entered counts as proven."""
    start = read_start(values.get("start"), zone) or NO_START
    request = booking_request(
        service_id=service_id,
        practitioner_id=int_value(values.get("practitioner_id")) or 0,
        start=start,
        patient={name: who.values.get(name, "") for name in DETAIL_FIELDS},
        reminders=answer(who.values.get("consent_reminders")),
        diary_prompts=answer(who.values.get("consent_diary_prompts")),
        email_consent=who.values.get("consent_email") == "yes",
        channel=CHANNEL,
    )
    return replace(request, phone_proven=True)


def course_request(who: Who, values: Mapping[str, str], zone: ZoneInfo) -> CourseRequest:
    """The course request: its template, its first visit at the posted start and practitioner
    (the template's first service), preferred days and time following from that first visit."""
    return CourseRequest(
        template_id=int_value(values.get("template_id")) or 0,
        booking=visit_request(who, values, 0, zone),
        patient_id=who.patient_id,
    )


def start_errors(values: Mapping[str, str], zone: ZoneInfo) -> dict[str, list[str]]:
    """The start's own error when it is no date and time (the use case's otherwise)."""
    return {} if read_start(values.get("start"), zone) else {"start": [START_WRONG]}
