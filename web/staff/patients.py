"""The staff console's patient pages: the list and search, the record, contact edits, notes,
and the audit trail of one record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from scheduler.clinical.safety import FLAG_LABELS
from scheduler.errors import NotFound, ValidationFailed
from scheduler.messaging.monitor import retry_failed
from scheduler.models import ConsentKind, OutboundMessage, Patient, StaffUser
from scheduler.patients.directory import QUERY_MAX, search_patients
from scheduler.patients.record import (
    ContactDetails,
    PatientRecord,
    add_note,
    load_record,
    time_zone_choices,
    update_contact,
)
from scheduler.records.audit_history import ENTITIES, history, patient_of
from scheduler.staff.permissions import Permissions
from web.context import clock, db, settings
from web.staff.auth import current_staff, may_see_patient, staff_required
from web.staff.clinical_view import clinical_sections

bp = Blueprint("staff_patients", __name__, url_prefix="/staff")

PAGE_MAX = 100_000
CONTACT_FIELDS = ("first_name", "last_name", "phone", "time_zone")


def _user() -> StaffUser:
    user = current_staff()
    assert user is not None  # staff_required ran first
    return user


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= PAGE_MAX else 1


def _check_access(session: Session, user: StaffUser, patient_id: int) -> None:
    if not may_see_patient(session, user, patient_id):
        abort(403)


@bp.get("/patients")
@staff_required()
def patients() -> Any:
    """Every patient (a practitioner: their own), by last name, searchable by name or phone."""
    user = _user()
    query = request.args.get("q", "")[:QUERY_MAX]
    with db().session() as session:
        found = search_patients(
            session,
            query,
            now=clock().now(),
            page=_page_number(),
            practitioner_id=Permissions.of(user).patient_list_practitioner(),
        )
        return render_template(
            "staff/patients.html", staff=user, found=found, query=query, zone=settings().zone
        )


@dataclass(frozen=True)
class RecordForms:
    """The record page's two forms after refused input: the fields as typed and the reasons by
    each field. By default the contact form shows the record as stored and the note is empty."""

    contact: dict[str, str] | None = None
    contact_errors: dict[str, list[str]] = field(default_factory=dict)
    note_text: str = ""
    note_errors: dict[str, list[str]] = field(default_factory=dict)


def _stored_contact(patient: Patient) -> dict[str, str]:
    """The contact form filled in from the record."""
    return {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "phone": patient.phone_e164,
        "time_zone": patient.time_zone,
    }


def email_consent_words(patient: Patient) -> str:
    """Whether emails may go, in words: the latest email consent answer, and the address."""
    if patient.email is None:
        return "No: no address given"
    if patient.consents_to(ConsentKind.EMAIL):
        return "Yes"
    answered = any(c.kind == ConsentKind.EMAIL for c in patient.consents)
    return "No: declined or stopped" if answered else "No: not asked"


def _load_record(session: Session, patient_id: int, *, clinical: bool) -> PatientRecord:
    """:raise 404: if there is no such patient."""
    try:
        return load_record(session, patient_id, settings().zone, clinical=clinical)
    except NotFound:
        abort(404)


def _render_record(
    session: Session,
    user: StaffUser,
    patient_id: int,
    forms: RecordForms | None = None,
    status: int = 200,
) -> Any:
    """The record page, with its clinical sections only for staff who may see them."""
    forms = forms or RecordForms()
    clinical = Permissions.of(user).see_clinical()
    record = _load_record(session, patient_id, clinical=clinical)
    return render_template(
        "staff/patient.html",
        staff=user,
        record=record,
        clinical=clinical_sections(session, patient_id, clock().now()) if clinical else None,
        zone=settings().zone,
        flag_labels=FLAG_LABELS,
        email_consent=email_consent_words(record.patient),
        contact_form=forms.contact or _stored_contact(record.patient),
        contact_errors=forms.contact_errors,
        note_errors=forms.note_errors,
        note_text=forms.note_text,
        time_zones=time_zone_choices(),
    ), status


def _refused(patient_id: int, forms: RecordForms) -> Any:
    """The record again (422), with the refused form as typed and the reasons by its fields."""
    with db().session() as session:
        return _render_record(session, _user(), patient_id, forms, status=422)


@bp.get("/patients/<id:patient_id>")
@staff_required()
def record(patient_id: int) -> Any:
    """The patient's record; each section only for the roles allowed to see it.

    :raise 403: if a practitioner opens another practitioner's patient.
    :raise 404: if there is no such patient.
    """
    user = _user()
    with db().session() as session:
        _check_access(session, user, patient_id)
        return _render_record(session, user, patient_id)


def _typed_contact() -> dict[str, str]:
    """The contact form as sent (each field cut to a sane length)."""
    return {name: request.form.get(name, "")[:200] for name in CONTACT_FIELDS}


@bp.post("/patients/<id:patient_id>/contact")
@staff_required(Permissions.edit_contact)
def contact(patient_id: int) -> Any:
    """Correct the name, mobile number or time zone; errors are shown by each field and
    nothing is changed.

    :raise 404: if there is no such patient.
    """
    form = _typed_contact()
    try:
        with db().transaction() as session:
            update_contact(
                session,
                patient_id,
                ContactDetails(**form),
                region=settings().default_phone_region,
                served=settings().sms_regions,
                now=clock().now(),
            )
    except NotFound:
        abort(404)
    except ValidationFailed as exc:
        return _refused(patient_id, RecordForms(contact=form, contact_errors=exc.fields))
    flash("Contact details saved.", "ok")
    return redirect(url_for("staff_patients.record", patient_id=patient_id), code=303)


@bp.post("/patients/<id:patient_id>/notes")
@staff_required(Permissions.add_note)
def note(patient_id: int) -> Any:
    """Add a note to the record (a practitioner: only on their own patients).

    :raise 403: if a practitioner writes on another practitioner's patient.
    :raise 404: if there is no such patient.
    """
    user = _user()
    body = request.form.get("body", "")
    try:
        with db().transaction() as session:
            _check_access(session, user, patient_id)
            add_note(session, patient_id, user.id, body, now=clock().now())
    except NotFound:
        abort(404)
    except ValidationFailed as exc:
        return _refused(patient_id, RecordForms(note_text=body[:6000], note_errors=exc.fields))
    flash("Note added.", "ok")
    return redirect(url_for("staff_patients.record", patient_id=patient_id) + "#notes", code=303)


@bp.post("/patients/<id:patient_id>/messages/<id:message_id>/retry")
@staff_required(Permissions.retry_messages)
def retry(patient_id: int, message_id: int) -> Any:
    """Send a failed text or email again, to the patient's current number or address.

    :raise 404: if the patient has no failed message with that id.
    """
    with db().transaction() as session:
        message = session.get(OutboundMessage, message_id)
        if message is None or message.patient_id != patient_id:
            abort(404)
        again = retry_failed(session, message_id, clock().now())
    if again is None:
        flash(
            "That message cannot be sent again: it has not failed, or there is no address.", "error"
        )
    else:
        flash("The message will be sent again.", "ok")
    return redirect(url_for("staff_patients.record", patient_id=patient_id) + "#texts", code=303)


def _audit_subject() -> tuple[str, int]:
    """The entity and id the history is asked for.

    :raise 400: if the entity or id is missing or malformed.
    """
    entity = request.args.get("entity", "")
    raw_id = request.args.get("id", "")
    if entity not in ENTITIES or not raw_id.isdigit() or not 0 < int(raw_id) < 2**31:
        abort(400, description="Give entity (appointment, course or patient) and a numeric id.")
    return entity, int(raw_id)


def _audit_patient(session: Session, user: StaffUser, entity: str, entity_id: int) -> int | None:
    """Whose record the history belongs to (None: the record is gone), once the policy lets
    ``user`` see it.

    :raise 403: if a practitioner asks about another practitioner's patient.
    :raise 404: if the record is gone and ``user`` may not see the history of removed ones.
    """
    patient_id = patient_of(session, entity, entity_id)
    if patient_id is None and not Permissions.of(user).see_history_of_removed_records():
        abort(404)
    if patient_id is not None:
        _check_access(session, user, patient_id)
    return patient_id


@bp.get("/audit")
@staff_required()
def audit() -> Any:
    """The history of one appointment, course or patient in plain words
    (``?entity=appointment&id=12``).

    :raise 400: if the entity or id is missing or malformed.
    :raise 403: if a practitioner asks about another practitioner's patient.
    :raise 404: if the record is not there (admins still see the history of a deleted one).
    """
    user = _user()
    entity, entity_id = _audit_subject()
    with db().session() as session:
        patient_id = _audit_patient(session, user, entity, entity_id)
        clinical = Permissions.of(user).see_clinical()
        entries = history(session, entity, [entity_id], settings().zone, clinical=clinical)
        return render_template(
            "staff/audit.html",
            staff=user,
            entity=entity,
            entity_id=entity_id,
            patient_id=patient_id,
            entries=entries[entity_id],
            zone_name=settings().clinic_timezone,
        )
