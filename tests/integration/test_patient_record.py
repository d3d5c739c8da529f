"""The patient list and record in the staff console, by role, on both databases: who sees
which section, editing contact details, notes, and the readable audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    DiaryDay,
    InboundMessage,
    MessageStatus,
    OutboundMessage,
    Patient,
    PatientNote,
    QuestionnaireKind,
    QuestionnaireResponse,
)
from scheduler.records.audit import Actor, acting_as
from tests.support.factories import book
from tests.support.records import add_patient, add_staff, add_visit
from tests.support.staff import csrf, sign_in

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def staff(db: Database, clock: FrozenClock) -> dict[str, str]:
    return add_staff(db, clock)


@pytest.fixture
def patient_id(db: Database, settings: Settings, clock: FrozenClock, staff: dict[str, str]) -> int:
    """Ana Silva, booked with Dr Mei Lin, with a safety flag, a diary, a score, a note and texts."""
    with acting_as(Actor(kind="patient", label="patient", via="booking", at=clock.now())):
        result = book(db, settings, clock.now(), WEDNESDAY_10AM)
    pid = result.patient.id
    with db.transaction() as session:
        patient = session.get_one(Patient, pid)
        patient.safety_flags = ["pregnancy"]
        for offset in range(1, 11):
            session.add(
                DiaryDay(
                    patient_id=pid,
                    day=date(2026, 3, 1) - timedelta(days=offset),
                    headache=offset % 2 == 0,
                    worst_pain=6 if offset % 2 == 0 else 0,
                    hours=4.0 if offset % 2 == 0 else None,
                    source="web",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        session.add(
            QuestionnaireResponse(
                patient_id=pid,
                kind=QuestionnaireKind.HIT6,
                point="baseline",
                answers={},
                score=62,
                grade="severe impact",
                taken_at=clock.now() - timedelta(days=3),
            )
        )
        session.add(
            InboundMessage(
                provider_sid="SM" + "7" * 32,
                from_phone=result.patient.phone_e164,
                to_phone="+15005550006",
                body="7 3h M",
                patient_id=pid,
                understood_as="diary",
                reply="Thank you",
                received_at=clock.now(),
            )
        )
        confirmation = session.scalars(
            select(OutboundMessage).where(OutboundMessage.patient_id == pid)
        ).first()
        assert confirmation is not None
        confirmation.status = MessageStatus.DELIVERED
    return pid


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_front_desk_sees_contact_consents_visits_and_texts_but_nothing_clinical(
    client: FlaskClient, staff: dict[str, str], patient_id: int
) -> None:
    sign_in(client, staff["desk"])
    html = page(client, f"/staff/patients/{patient_id}")
    assert "+447400123456" in html
    assert "Consents" in html and "reminders" in html
    assert "Acupuncture" in html and "Dr Mei Lin" in html
    assert "delivered" in html
    assert "(diary reply)" in html and "7 3h M" not in html
    for clinical in ("Safety flags", "Pregnancy", 'id="diary"', "HIT-6", 'id="notes"', "62"):
        assert clinical not in html, clinical
    assert "Edit contact details" in html


def test_the_patients_practitioner_sees_safety_flags_first_and_every_clinical_section(
    client: FlaskClient, staff: dict[str, str], patient_id: int
) -> None:
    sign_in(client, staff["lin"])
    html = page(client, f"/staff/patients/{patient_id}")
    flags = html.index("Safety flags")
    assert flags < html.index("Contact details")
    assert "Pregnancy: avoid LI4" in html
    assert 'id="diary"' in html and "HIT-6" in html and "severe impact" in html
    assert 'id="outcome"' in html and "Baseline" in html
    assert "7 3h M" in html
    assert 'id="notes"' in html and "Add note" in html
    assert "Edit contact details" not in html


def test_a_practitioner_opening_another_practitioners_patient_gets_403(
    client: FlaskClient, staff: dict[str, str], patient_id: int
) -> None:
    sign_in(client, staff["novak"])
    assert client.get(f"/staff/patients/{patient_id}").status_code == 403
    assert client.get(f"/staff/audit?entity=patient&id={patient_id}").status_code == 403
    token = csrf(client, "/staff/patients")
    response = client.post(
        f"/staff/patients/{patient_id}/notes", data={"body": "hello", "csrf_token": token}
    )
    assert response.status_code == 403


def test_an_unknown_patient_is_404(client: FlaskClient, staff: dict[str, str]) -> None:
    sign_in(client, staff["admin"])
    assert client.get("/staff/patients/999999").status_code == 404


def test_the_list_searches_by_name_or_phone_and_a_practitioner_sees_only_their_own(
    client: FlaskClient,
    db: Database,
    clock: FrozenClock,
    staff: dict[str, str],
    patient_id: int,
) -> None:
    with db.transaction() as session:
        other = add_patient(session, clock.now(), "Ben", "Okoro", "+447400999888")
        add_visit(session, other.id, "Sara Novak", WEDNESDAY_10AM + timedelta(hours=3))
    sign_in(client, staff["desk"])
    assert "Okoro, Ben" in page(client, "/staff/patients")
    by_name = page(client, "/staff/patients?q=silv")
    assert "Silva, Ana" in by_name and "Okoro" not in by_name
    by_phone = page(client, "/staff/patients?q=07400+999888")
    assert "Okoro, Ben" in by_phone and "Silva" not in by_phone
    assert "0 patients" in page(client, "/staff/patients?q=%25")
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff")})
    sign_in(client, staff["lin"])
    mine = page(client, "/staff/patients")
    assert "Silva, Ana" in mine and "Okoro" not in mine


def test_the_list_is_paginated(
    client: FlaskClient, db: Database, clock: FrozenClock, staff: dict[str, str]
) -> None:
    with db.transaction() as session:
        for i in range(30):
            add_patient(session, clock.now(), "Pat", f"Name{i:02d}", f"+4474001234{i:02d}")
    sign_in(client, staff["admin"])
    first = page(client, "/staff/patients")
    assert "Page 1 of 2" in first and "Name24, Pat" in first and "Name25" not in first
    second = page(client, "/staff/patients?page=2")
    assert "Name25, Pat" in second and "Name00" not in second
    assert "Page 1 of 2" in page(client, "/staff/patients?page=abc")


def test_the_front_desk_corrects_a_phone_and_the_history_names_them(
    client: FlaskClient, db: Database, staff: dict[str, str], patient_id: int
) -> None:
    sign_in(client, staff["desk"])
    token = csrf(client, f"/staff/patients/{patient_id}")
    form = {
        "first_name": "Ana",
        "last_name": "Silva",
        "phone": "07400 555777",
        "time_zone": "Europe/London",
        "csrf_token": token,
    }
    response = client.post(f"/staff/patients/{patient_id}/contact", data=form)
    assert response.status_code == 303
    with db.session() as session:
        assert session.get_one(Patient, patient_id).phone_e164 == "+447400555777"
    html = page(client, f"/staff/patients/{patient_id}")
    assert "Dana Desk" in html
    assert "Phone: +447400123456 -&gt; +447400555777" in html
    audit = page(client, f"/staff/audit?entity=patient&id={patient_id}")
    assert "Dana Desk" in audit and "Phone: +447400123456 -&gt; +447400555777" in audit


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12", "not a valid phone number"),
        ("phone", "", "Enter a mobile number."),
        ("phone", "020 7946 0000", "cannot receive text messages"),
        ("phone", "+7 916 123 45 67", "We can only text mobile numbers in the United Kingdom."),
        ("phone", "+234 803 123 4567", "We can only text mobile numbers in the United Kingdom."),
        ("first_name", "   ", "Enter a name."),
        ("last_name", "x" * 101, "at most 100 characters"),
        ("time_zone", "Mars/Olympus", "Choose a time zone"),
    ],
)
def test_a_bad_contact_field_is_explained_and_nothing_changes(
    client: FlaskClient,
    db: Database,
    staff: dict[str, str],
    patient_id: int,
    field: str,
    value: str,
    message: str,
) -> None:
    sign_in(client, staff["admin"])
    form = {
        "first_name": "Anna",
        "last_name": "Silva",
        "phone": "07400 555777",
        "time_zone": "Europe/London",
        "csrf_token": csrf(client, "/staff/patients"),
    }
    form[field] = value
    response = client.post(f"/staff/patients/{patient_id}/contact", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="contact-{field}-error"' in html
    with db.session() as session:
        patient = session.get_one(Patient, patient_id)
        assert (patient.first_name, patient.phone_e164) == ("Ana", "+447400123456")


def test_a_practitioner_may_not_edit_contact_details(
    client: FlaskClient, staff: dict[str, str], patient_id: int
) -> None:
    sign_in(client, staff["lin"])
    response = client.post(
        f"/staff/patients/{patient_id}/contact",
        data={"first_name": "X", "csrf_token": csrf(client, "/staff/patients")},
    )
    assert response.status_code == 403


def test_a_practitioner_adds_a_note_and_an_empty_one_is_refused(
    client: FlaskClient, db: Database, staff: dict[str, str], patient_id: int
) -> None:
    sign_in(client, staff["lin"])
    token = csrf(client, "/staff/patients")
    empty = client.post(
        f"/staff/patients/{patient_id}/notes", data={"body": "  ", "csrf_token": token}
    )
    assert empty.status_code == 422
    assert "Write the note first." in empty.get_data(as_text=True)
    response = client.post(
        f"/staff/patients/{patient_id}/notes",
        data={"body": "Needles well tolerated.\nReview in 2 weeks.", "csrf_token": token},
    )
    assert response.status_code == 303
    html = page(client, f"/staff/patients/{patient_id}")
    assert "Needles well tolerated." in html and "Mei Lin" in html
    with db.session() as session:
        assert session.scalars(select(PatientNote.body)).all() == [
            "Needles well tolerated.\nReview in 2 weeks."
        ]


def test_the_front_desk_may_not_add_notes(
    client: FlaskClient, staff: dict[str, str], patient_id: int
) -> None:
    sign_in(client, staff["desk"])
    response = client.post(
        f"/staff/patients/{patient_id}/notes",
        data={"body": "hello", "csrf_token": csrf(client, "/staff/patients")},
    )
    assert response.status_code == 403


def test_the_audit_page_shows_who_changed_an_appointment_when_and_from_what_to_what(
    client: FlaskClient, db: Database, staff: dict[str, str], patient_id: int
) -> None:
    with db.session() as session:
        visit_id = session.scalars(
            select(Appointment.id).where(Appointment.patient_id == patient_id)
        ).one()
    sign_in(client, staff["admin"])
    response = client.post(
        f"/staff/patients/{patient_id}/contact",
        data={
            "first_name": "Ana",
            "last_name": "Silva-Reis",
            "phone": "07400 123456",
            "time_zone": "Europe/Lisbon",
            "csrf_token": csrf(client, "/staff/patients"),
        },
    )
    assert response.status_code == 303
    with acting_as(Actor(kind="system", label="system", via="sweep")), db.transaction() as s:
        s.get_one(Appointment, visit_id).status = AppointmentStatus.CONFIRMED
    html = page(client, f"/staff/audit?entity=appointment&id={visit_id}")
    assert "patient</span> created appointment" in html
    assert "Mon 2 Mar 2026 08:00" in html  # when, in clinic time
    assert "Status: booked" in html
    assert "system</span> changed appointment" in html
    assert "Status: booked -&gt; confirmed" in html
    assert "Start: Wed 4 Mar 2026 10:00" in html  # clinic time (GMT in March)
    assert "Practitioner: Dr Mei Lin" in html
    record = page(client, f"/staff/audit?entity=patient&id={patient_id}")
    assert "Ada Admin" in record
    assert "Last name: Silva -&gt; Silva-Reis" in record
    assert "Time zone: Europe/London -&gt; Europe/Lisbon" in record


def test_the_audit_hides_safety_flag_changes_from_the_front_desk(
    client: FlaskClient, db: Database, staff: dict[str, str], patient_id: int
) -> None:
    with db.transaction() as session:
        session.get_one(Patient, patient_id).safety_flags = ["pregnancy", "fainting"]
    sign_in(client, staff["desk"])
    html = page(client, f"/staff/audit?entity=patient&id={patient_id}")
    assert "Safety flags" not in html and "fainting" not in html
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff")})
    sign_in(client, staff["admin"])
    html = page(client, f"/staff/audit?entity=patient&id={patient_id}")
    assert "Safety flags: pregnancy -&gt; pregnancy, fainting" in html


@pytest.mark.parametrize(
    "query", ["", "?entity=appointment", "?entity=invoice&id=1", "?entity=patient&id=x1"]
)
def test_an_audit_request_without_a_known_entity_and_id_is_400(
    client: FlaskClient, staff: dict[str, str], query: str
) -> None:
    sign_in(client, staff["admin"])
    assert client.get(f"/staff/audit{query}").status_code == 400
