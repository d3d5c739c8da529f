"""The staff console's patient pages: the list and search, the record, contact edits, notes,
and the audit trail of one record."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from scheduler.clinical.safety import FLAG_LABELS
from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import StaffUser
from scheduler.patients.directory import QUERY_MAX, search_patients
from scheduler.patients.record import (
    ContactDetails,
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


def _render_record(
    session: Session,
    user: StaffUser,
    patient_id: int,
    *,
    contact_errors: dict[str, list[str]] | None = None,
    contact_form: dict[str, str] | None = None,
    note_errors: dict[str, list[str]] | None = None,
    note_text: str = "",
    status: int = 200,
) -> Any:
    clinical = Permissions.of(user).see_clinical()
    zone = settings().zone
    try:
        record = load_record(session, patient_id, zone, clinical=clinical)
    except NotFound:
        abort(404)
    patient = record.patient
    form = contact_form or {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "phone": patient.phone_e164,
        "time_zone": patient.time_zone,
    }
    return render_template(
        "staff/patient.html",
        staff=user,
        record=record,
        clinical=clinical_sections(session, patient_id, clock().now()) if clinical else None,
        zone=zone,
        flag_labels=FLAG_LABELS,
        contact_form=form,
        contact_errors=contact_errors or {},
        note_errors=note_errors or {},
        note_text=note_text,
        time_zones=time_zone_choices(),
    ), status


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


@bp.post("/patients/<id:patient_id>/contact")
@staff_required(Permissions.edit_contact)
def contact(patient_id: int) -> Any:
    """Correct the name, mobile number or time zone; errors are shown by each field and
    nothing is changed."""
    user = _user()
    form = {
        field: request.form.get(field, "")[:200]
        for field in ("first_name", "last_name", "phone", "time_zone")
    }
    try:
        with db().transaction() as session:
            update_contact(
                session,
                patient_id,
                ContactDetails(**form),
                region=settings().default_phone_region,
                now=clock().now(),
            )
    except NotFound:
        abort(404)
    except ValidationFailed as exc:
        with db().session() as session:
            return _render_record(
                session, user, patient_id, contact_errors=exc.fields, contact_form=form, status=422
            )
    flash("Contact details saved.", "ok")
    return redirect(url_for("staff_patients.record", patient_id=patient_id), code=303)


@bp.post("/patients/<id:patient_id>/notes")
@staff_required(Permissions.add_note)
def note(patient_id: int) -> Any:
    """Add a note to the record (a practitioner: only on their own patients)."""
    user = _user()
    body = request.form.get("body", "")
    try:
        with db().transaction() as session:
            _check_access(session, user, patient_id)
            add_note(session, patient_id, user.id, body, now=clock().now())
    except NotFound:
        abort(404)
    except ValidationFailed as exc:
        with db().session() as session:
            return _render_record(
                session,
                user,
                patient_id,
                note_errors=exc.fields,
                note_text=body[:6000],
                status=422,
            )
    flash("Note added.", "ok")
    return redirect(url_for("staff_patients.record", patient_id=patient_id) + "#notes", code=303)


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
    entity = request.args.get("entity", "")
    raw_id = request.args.get("id", "")
    if entity not in ENTITIES or not raw_id.isdigit() or not 0 < int(raw_id) < 2**31:
        abort(400, description="Give entity (appointment, course or patient) and a numeric id.")
    entity_id = int(raw_id)
    with db().session() as session:
        patient_id = patient_of(session, entity, entity_id)
        if patient_id is None and not Permissions.of(user).see_history_of_removed_records():
            abort(404)
        if patient_id is not None:
            _check_access(session, user, patient_id)
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
