"""A patient's record for staff: contact, consents, courses, visits with their history, texts
and notes; and the two changes made from it (contact details, a new note)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.clinical.diary_figures import DiaryFigures
from scheduler.clinical.progress import figures_for
from scheduler.clinical.questionnaire_schedule import ScoredResponse, scores_for
from scheduler.courses.read_model import CourseView, courses_of
from scheduler.errors import NotFound, ValidationFailed
from scheduler.messaging.monitor import ThreadEntry, patient_thread
from scheduler.models import (
    Appointment,
    Consent,
    ConsentKind,
    Patient,
    PatientNote,
    SafetyScreen,
    StaffUser,
)
from scheduler.phones import InvalidPhone, to_e164
from scheduler.records.audit_history import AuditEntry, history

NAME_MAX = 100
NOTE_MAX = 5000


@dataclass(frozen=True)
class ContactDetails:
    """What staff typed into the contact form, not yet checked."""

    first_name: str
    last_name: str
    phone: str
    time_zone: str


@dataclass(frozen=True)
class VisitRecord:
    appointment: Appointment
    history: list[AuditEntry]


@dataclass(frozen=True)
class NoteRecord:
    id: int
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class PatientRecord:
    """Everything on the record a viewer may see; the clinical parts are None (never loaded)
    for a viewer who may not see clinical data."""

    patient: Patient
    consents: list[Consent]
    diary_prompts: str  # whether prompts go, in words, as the consent ledger and STOP decide
    courses: list[CourseView]
    visits: list[VisitRecord]
    thread: list[ThreadEntry]
    record_history: list[AuditEntry]
    safety_flags: list[str] | None
    notes: list[NoteRecord] | None


def load_record(
    session: Session, patient_id: int, zone: ZoneInfo, *, clinical: bool
) -> PatientRecord:
    """The record of one patient as a viewer with (or without) clinical access sees it.

    :raise NotFound: if there is no such patient.
    """
    patient = _patient(session, patient_id)
    appointments = _appointments(session, patient_id)
    visit_history = history(
        session, "appointment", [a.id for a in appointments], zone, clinical=clinical
    )
    courses = courses_of(session, patient)
    record_history = _record_history(session, patient, courses, zone, clinical)
    return PatientRecord(
        patient=patient,
        consents=list(patient.consents),
        diary_prompts=diary_prompts_text(patient),
        courses=courses,
        visits=[VisitRecord(a, visit_history.get(a.id, [])) for a in appointments],
        thread=patient_thread(session, patient, show_diary=clinical),
        record_history=record_history,
        safety_flags=list(patient.safety_flags or []) if clinical else None,
        notes=notes_of(session, patient_id) if clinical else None,
    )


def diary_prompts_text(patient: Patient) -> str:
    """Whether diary prompts are sent, in words: the latest consent answer and a STOP overrule
    the chosen frequency, so staff never read "daily" for a patient who gets none."""
    if patient.sms_opted_out_at is not None:
        return "Off: texts stopped (STOP)"
    if not patient.consents_to(ConsentKind.DIARY_PROMPTS):
        answered = any(c.kind == ConsentKind.DIARY_PROMPTS for c in patient.consents)
        return "Off: declined" if answered else "Off: not asked for"
    if patient.diary_frequency == "off":
        return "Off: turned off"
    time = patient.diary_prompt_time.strftime("%H:%M")
    return f"{patient.diary_frequency.capitalize()} at {time}"


def _patient(session: Session, patient_id: int) -> Patient:
    """:raise NotFound: if there is no such patient."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"patient {patient_id} does not exist")
    return patient


def _appointments(session: Session, patient_id: int) -> list[Appointment]:
    """The patient's visits, latest first, with their service, practitioner and room."""
    return list(
        session.scalars(
            select(Appointment)
            .where(Appointment.patient_id == patient_id)
            .options(
                selectinload(Appointment.service),
                selectinload(Appointment.practitioner),
                selectinload(Appointment.room),
            )
            .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
        )
    )


def _record_history(
    session: Session, patient: Patient, courses: list[CourseView], zone: ZoneInfo, clinical: bool
) -> list[AuditEntry]:
    """The changes to the patient's own record and to their courses, oldest first."""
    entries = history(session, "patient", [patient.id], zone, clinical=clinical)[patient.id]
    course_history = history(
        session, "course", [c.course.id for c in courses], zone, clinical=clinical
    )
    for course_entries in course_history.values():
        entries.extend(course_entries)
    entries.sort(key=lambda e: (e.at, e.id))
    return entries


def notes_of(session: Session, patient_id: int) -> list[NoteRecord]:
    """The staff's notes on a patient, newest first, with their authors' names."""
    rows = session.execute(
        select(PatientNote, StaffUser.name)
        .join(StaffUser, StaffUser.id == PatientNote.author_id)
        .where(PatientNote.patient_id == patient_id)
        .order_by(PatientNote.created_at.desc(), PatientNote.id.desc())
    )
    return [NoteRecord(n.id, name, n.body, n.created_at) for n, name in rows]


def _check_name(value: str, field: str, errors: dict[str, list[str]]) -> str:
    text = value.strip()
    if not text:
        errors[field] = ["Enter a name."]
    elif len(text) > NAME_MAX:
        errors[field] = [f"Use at most {NAME_MAX} characters."]
    elif any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        errors[field] = ["Use letters, spaces and punctuation only."]
    return text


def update_contact(
    session: Session,
    patient_id: int,
    details: ContactDetails,
    *,
    region: str,
    now: datetime,
    served: tuple[str, ...] = (),
) -> Patient:
    """Correct a patient's name, mobile number or time zone. A new number clears the flag
    a permanent delivery failure put on the old one; it must be in a ``served`` region.

    :raise NotFound: if there is no such patient.
    :raise ValidationFailed: with every field that is wrong; nothing is changed then.
    """
    patient = _patient(session, patient_id)
    checked = _checked_contact(details, region, served)
    if patient.phone_e164 != checked.phone_e164:
        patient.phone_e164 = checked.phone_e164
        patient.phone_flagged_at = None
    if patient.first_name != checked.first_name:
        patient.first_name = checked.first_name
    if patient.last_name != checked.last_name:
        patient.last_name = checked.last_name
    if patient.time_zone != checked.time_zone:
        patient.time_zone = checked.time_zone
    session.flush()
    return patient


class _CheckedContact(NamedTuple):
    """Contact details checked and tidied, the phone in E.164."""

    first_name: str
    last_name: str
    phone_e164: str
    time_zone: str


def _checked_contact(
    details: ContactDetails, region: str, served: tuple[str, ...] = ()
) -> _CheckedContact:
    """The details typed, checked and tidied.

    :raise ValidationFailed: with every field that is wrong.
    """
    errors: dict[str, list[str]] = {}
    first_name = _check_name(details.first_name, "first_name", errors)
    last_name = _check_name(details.last_name, "last_name", errors)
    phone = ""
    try:
        phone = to_e164(details.phone, region, served)
    except InvalidPhone as exc:
        errors["phone"] = [str(exc)]
    zone_name = details.time_zone.strip()
    if zone_name not in available_timezones():
        errors["time_zone"] = ["Choose a time zone from the list, like Europe/London."]
    if errors:
        raise ValidationFailed(errors)
    return _CheckedContact(first_name, last_name, phone, zone_name)


def add_note(
    session: Session, patient_id: int, author_id: int, body: str, *, now: datetime
) -> PatientNote:
    """Add a staff member's note to a patient's record.

    :raise NotFound: if there is no such patient.
    :raise ValidationFailed: if the note is empty or longer than 5,000 characters.
    """
    if session.get(Patient, patient_id) is None:
        raise NotFound(f"patient {patient_id} does not exist")
    text = body.strip().replace("\r\n", "\n")
    if not text:
        raise ValidationFailed({"body": ["Write the note first."]})
    if len(text) > NOTE_MAX:
        raise ValidationFailed({"body": [f"Keep a note under {NOTE_MAX:,} characters."]})
    note = PatientNote(patient_id=patient_id, author_id=author_id, body=text, created_at=now)
    session.add(note)
    session.flush()
    return note


def time_zone_choices() -> list[str]:
    """Zones offered on the contact form: the common area/city names, sorted."""
    return sorted(
        z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    )


@dataclass(frozen=True)
class ClinicalRecord:
    """The clinical part of a record: the diary's figures, the questionnaire scores and the
    latest safety screen. Loaded only for staff who may see clinical data."""

    figures: DiaryFigures
    scores: list[ScoredResponse]
    latest_screen: SafetyScreen | None


def load_clinical(session: Session, patient_id: int, now: datetime) -> ClinicalRecord:
    """The diary figures (today in the patient's zone), scores and latest safety screen.

    :raise NotFound: if there is no such patient.
    """
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"patient {patient_id} does not exist")
    latest = session.scalars(
        select(SafetyScreen)
        .where(SafetyScreen.patient_id == patient_id)
        .order_by(SafetyScreen.taken_at.desc(), SafetyScreen.id.desc())
        .limit(1)
    ).first()
    return ClinicalRecord(
        figures=figures_for(session, patient, now),
        scores=scores_for(session, patient_id),
        latest_screen=latest,
    )
