"""Staff bookings for a phone call or a walk-in, over HTTP on both databases: find or add the
patient, answer the screen for them, book a visit or a course (its plan first)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clinical.safety import QUESTIONS
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Consent,
    CourseTemplate,
    MessageKind,
    OutboundMessage,
    Patient,
    Practitioner,
    SafetyScreen,
    SafetyTier,
    Service,
    StaffAlert,
)
from tests.support.factories import book
from tests.support.staff import create_accounts, csrf, sign_in

START = "2026-03-03T10:00"  # a Tuesday, in the clinic's time (London: UTC in March)
STARTS_AT = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
NEW = {
    "first_name": "Ana",
    "last_name": "Silva",
    "phone": "07400 123456",
    "time_zone": "Europe/London",
    "consent_reminders": "yes",
    "consent_diary_prompts": "no",
}


def answers(tier: SafetyTier | None = None) -> dict[str, str]:
    """The screen answered "no" throughout, but "yes" to the first question of ``tier``."""
    yes = next((q.code for q in QUESTIONS if tier is not None and q.tier == tier), None)
    return {f"safety_{q.code}": "yes" if q.code == yes else "no" for q in QUESTIONS}


@pytest.fixture
def accounts(db: Database, clock: FrozenClock) -> dict[str, str]:
    return create_accounts(db, clock)


@pytest.fixture
def desk(client: FlaskClient, accounts: dict[str, str]) -> str:
    """The front desk signed in; the CSRF token of the booking page."""
    sign_in(client, accounts["desk"])
    return csrf(client, "/staff/bookings/new")


def lin(db: Database) -> int:
    with db.session() as session:
        found = select(Practitioner.id).where(Practitioner.name == "Dr Mei Lin")
        return session.scalars(found).one()


def ids(db: Database, model: Any, name: str) -> int:
    with db.session() as session:
        return int(session.scalars(select(model.id).where(model.name == name)).one())


def count(db: Database, model: Any) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def slot(db: Database) -> dict[str, str]:
    return {"start": START, "practitioner_id": str(lin(db))}


def test_a_front_desk_books_a_new_patients_course_after_seeing_its_plan(
    client: FlaskClient, db: Database, desk: str
) -> None:
    base = {**NEW, **slot(db), "csrf_token": desk}
    opened = client.get("/staff/bookings/new", query_string=slot(db))
    assert opened.status_code == 200
    assert "Time chosen: <strong>Tuesday, 3 March 2026 at 10:00 with Dr Mei Lin" in opened.text
    screen = client.post("/staff/bookings/new/patient", data=base)
    assert screen.status_code == 200 and QUESTIONS[0].text in screen.text
    what = client.post("/staff/bookings/new/screen", data={**base, **answers()})
    assert what.status_code == 200 and "Show the plan" in what.text
    assert 'value="2026-03-03T10:00"' in what.text  # the slot prefills the last step
    template = ids(db, CourseTemplate, "Migraine prevention")
    course = {**base, **answers(), "template_id": str(template)}
    plan = client.post("/staff/bookings/new/course", data=course)
    assert plan.status_code == 200 and "Nothing is booked yet" in plan.text
    assert count(db, Appointment) == 0 and count(db, Patient) == 0
    booked = client.post("/staff/bookings/new/course/confirm", data=course)
    assert booked.status_code == 303
    with db.session() as session:
        patient = session.scalars(select(Patient)).one()
        assert booked.headers["Location"] == f"/staff/patients/{patient.id}"
        assert patient.phone_verified_at is not None  # a number staff entered counts as proven
        ledger = [(c.kind.value, c.granted, c.channel) for c in session.scalars(select(Consent))]
        assert sorted(ledger) == [("diary_prompts", False, "staff"), ("reminders", True, "staff")]
        visits = session.scalars(select(Appointment).order_by(Appointment.starts_at)).all()
        assert visits[0].starts_at == STARTS_AT and visits[0].status == AppointmentStatus.BOOKED
        assert visits[0].booked_via == "staff" and len(visits) > 8
        assert {v.status for v in visits[1:]} == {AppointmentStatus.PROPOSED}
        kinds = session.scalars(select(OutboundMessage.kind)).all()
        assert MessageKind.CONFIRMATION in kinds
        assert session.scalars(select(SafetyScreen.tier)).all() == [SafetyTier.CLEAR]
    record = client.get(booked.headers["Location"])
    assert "The patient will be texted a confirmation." in record.text
    assert "Booked Ana Silva: Initial consultation" in record.text


def test_a_single_visit_is_booked_for_a_patient_on_record_keeping_their_record(
    client: FlaskClient, db: Database, desk: str, settings: Settings, clock: FrozenClock
) -> None:
    earlier = book(db, settings, clock.now(), datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    patient_id = earlier.patient.id
    consents = count(db, Consent)
    screen = client.get(f"/staff/bookings/new/screen?patient_id={patient_id}&start={START}")
    assert screen.status_code == 200 and "Ana Silva" in screen.text
    form = {"patient_id": str(patient_id), **slot(db), **answers(), "csrf_token": desk}
    form["service_id"] = str(ids(db, Service, "Acupuncture"))
    booked = client.post("/staff/bookings/new/visit", data=form)
    assert booked.status_code == 303
    assert booked.headers["Location"] == f"/staff/patients/{patient_id}"
    assert count(db, Patient) == 1 and count(db, Consent) == consents
    with db.session() as session:
        visit = session.scalars(select(Appointment).where(Appointment.starts_at == STARTS_AT)).one()
        assert visit.patient_id == patient_id and visit.booked_via == "staff"
        assert visit.status == AppointmentStatus.BOOKED


def test_review_first_answers_book_the_visit_pending_review_and_say_so(
    client: FlaskClient, db: Database, desk: str
) -> None:
    form = {**NEW, **slot(db), **answers(SafetyTier.REVIEW), "csrf_token": desk}
    form["service_id"] = str(ids(db, Service, "Acupuncture"))
    what = client.post("/staff/bookings/new/screen", data=form)
    assert "pending review" in what.text
    booked = client.post("/staff/bookings/new/visit", data=form, follow_redirects=True)
    assert "waits for a practitioner" in booked.text
    with db.session() as session:
        visit = session.scalars(select(Appointment)).one()
        assert visit.status == AppointmentStatus.PENDING_REVIEW
        assert session.scalars(select(StaffAlert.kind)).all() == ["safety_review"]


def test_a_taken_time_is_refused_with_a_clear_message_and_nothing_written(
    client: FlaskClient, db: Database, desk: str, settings: Settings, clock: FrozenClock
) -> None:
    book(db, settings, clock.now(), STARTS_AT, phone="07400 999888", first_name="Bo")
    form = {**NEW, **slot(db), **answers(), "csrf_token": desk}
    form["service_id"] = str(ids(db, Service, "Acupuncture"))
    refused = client.post("/staff/bookings/new/visit", data=form)
    assert refused.status_code == 409
    assert "That time is taken: choose another. Nothing was booked." in refused.text
    template = ids(db, CourseTemplate, "Migraine prevention")
    course = client.post("/staff/bookings/new/course", data={**form, "template_id": template})
    assert course.status_code == 409
    assert count(db, Appointment) == 1 and count(db, Patient) == 1


def test_an_emergency_answer_books_nothing_shows_the_advice_and_raises_the_alert(
    client: FlaskClient, db: Database, desk: str
) -> None:
    form = {**NEW, **slot(db), **answers(SafetyTier.EMERGENT), "csrf_token": desk}
    stopped = client.post("/staff/bookings/new/screen", data=form)
    assert stopped.status_code == 200
    assert "Read this to the caller now" in stopped.text and "Call 999 now" in stopped.text
    assert count(db, Appointment) == 0 and count(db, OutboundMessage) == 0
    with db.session() as session:
        patient = session.scalars(select(Patient)).one()
        alert = session.scalars(select(StaffAlert)).one()
        assert alert.kind == "safety_emergent" and alert.patient_id == patient.id
        assert alert.phone_proven  # the number was given to staff
        assert session.scalars(select(SafetyScreen.tier)).all() == [SafetyTier.EMERGENT]
    refused = client.post("/staff/bookings/new/visit", data={**form, "service_id": "1"})
    assert refused.status_code == 422 and count(db, Appointment) == 0


def test_urgent_answers_for_a_patient_on_record_go_on_their_record_and_book_nothing(
    client: FlaskClient, db: Database, desk: str, settings: Settings, clock: FrozenClock
) -> None:
    earlier = book(db, settings, clock.now(), datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    form = {"patient_id": str(earlier.patient.id), **answers(SafetyTier.URGENT), "csrf_token": desk}
    stopped = client.post("/staff/bookings/new/screen", data=form)
    assert "Please see a doctor within a day." in stopped.text
    assert f"/staff/patients/{earlier.patient.id}" in stopped.text
    assert count(db, Patient) == 1 and count(db, Appointment) == 1
    with db.session() as session:
        alert = session.scalars(select(StaffAlert)).one()
        assert alert.kind == "safety_urgent" and alert.patient_id == earlier.patient.id


@pytest.mark.parametrize(
    ("step", "change", "message"),
    [
        ("patient", {"first_name": ""}, "Enter a name."),
        ("patient", {"phone": "12"}, "mobile"),
        ("patient", {"consent_reminders": ""}, "Answer yes or no."),
        ("visit", {"service_id": "999"}, "Choose one of the clinic&#39;s services."),
        ("visit", {"start": "2026-03-01T10:00"}, "That time has passed."),
        ("visit", {"start": "next tuesday"}, "Enter the date and time of the visit."),
        ("course", {"template_id": "999"}, "Choose one of the clinic&#39;s courses."),
        ("course/confirm", {"start": "2026-03-01T10:00"}, "That time has passed."),
    ],
)
def test_a_bad_answer_is_refused_by_its_field_and_nothing_is_written(
    client: FlaskClient, db: Database, desk: str, step: str, change: dict[str, str], message: str
) -> None:
    form = {**NEW, **slot(db), **answers(), "csrf_token": desk}
    form["service_id"] = str(ids(db, Service, "Acupuncture"))
    form["template_id"] = str(ids(db, CourseTemplate, "Migraine prevention"))
    refused = client.post(f"/staff/bookings/new/{step}", data={**form, **change})
    assert refused.status_code == 422
    assert message in refused.text and "There is a problem" in refused.text
    assert count(db, Patient) == 0 and count(db, Appointment) == 0 and count(db, Consent) == 0


def test_a_screen_left_unanswered_is_asked_again(
    client: FlaskClient, db: Database, desk: str
) -> None:
    partial = dict(list(answers().items())[1:])
    asked = client.post("/staff/bookings/new/screen", data={**NEW, **partial, "csrf_token": desk})
    assert asked.status_code == 422 and "Answer yes or no." in asked.text
    assert count(db, Patient) == 0


@pytest.mark.parametrize("step", ["patient", "screen", "visit", "course", "course/confirm"])
def test_every_form_needs_its_csrf_token(
    client: FlaskClient, db: Database, desk: str, step: str
) -> None:
    form = {**NEW, **slot(db), **answers(), "service_id": "1", "template_id": "1"}
    assert client.post(f"/staff/bookings/new/{step}", data=form).status_code == 400
    assert count(db, Patient) == 0 and count(db, Appointment) == 0


def test_practitioners_may_not_book_and_anyone_signed_out_is_sent_to_sign_in(
    client: FlaskClient, db: Database, accounts: dict[str, str]
) -> None:
    signed_out = client.get("/staff/bookings/new")
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].startswith("/staff/login")
    sign_in(client, accounts["lin"])
    assert client.get("/staff/bookings/new").status_code == 403
    assert "New booking" not in client.get("/staff/patients").text
    token = csrf(client, "/staff/patients")
    form = {**NEW, **answers(), "csrf_token": token}
    assert client.post("/staff/bookings/new/visit", data=form).status_code == 403
    assert count(db, Patient) == 0


def test_the_front_desk_finds_a_patient_by_phone_and_sees_new_booking_in_the_menu(
    client: FlaskClient, db: Database, desk: str, settings: Settings, clock: FrozenClock
) -> None:
    earlier = book(db, settings, clock.now(), datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    found = client.get("/staff/bookings/new", query_string={"q": "07400 123", **slot(db)})
    assert "Book for Ana Silva" in found.text and "New booking" in found.text
    link = f"/staff/bookings/new/screen?patient_id={earlier.patient.id}"
    assert link in found.text.replace("&amp;", "&")


def proven_patient(db: Database, settings: Settings, clock: FrozenClock) -> int:
    """Bea Jones, on record with a visit and the number ``NEW`` gives, which she has proven."""
    earlier = book(
        db,
        settings,
        clock.now(),
        datetime(2026, 3, 4, 10, 0, tzinfo=UTC),
        first_name="Bea",
        last_name="Jones",
    )
    with db.transaction() as session:
        session.get_one(Patient, earlier.patient.id).phone_verified_at = clock.now()
    return earlier.patient.id


def counts(db: Database) -> list[int]:
    models = (Patient, Appointment, Consent, OutboundMessage, SafetyScreen, StaffAlert)
    return [count(db, model) for model in models]


@pytest.mark.parametrize(
    ("step", "tier"),
    [
        ("patient", None),
        ("screen", SafetyTier.URGENT),
        ("visit", None),
        ("course/confirm", None),
    ],
)
def test_a_new_patient_with_a_number_another_patient_proved_is_refused_writing_nothing(
    client: FlaskClient,
    db: Database,
    desk: str,
    settings: Settings,
    clock: FrozenClock,
    step: str,
    tier: SafetyTier | None,
) -> None:
    proven_patient(db, settings, clock)
    before = counts(db)
    form = {**NEW, **slot(db), **answers(tier), "csrf_token": desk}
    form["service_id"] = str(ids(db, Service, "Acupuncture"))
    form["template_id"] = str(ids(db, CourseTemplate, "Migraine prevention"))
    refused = client.post(f"/staff/bookings/new/{step}", data=form)
    assert refused.status_code == 422
    assert "This number belongs to Bea J. already: find them under Find a patient." in refused.text
    assert 'aria-describedby="new-phone-error"' in refused.text  # on the new patient's phone
    assert counts(db) == before


def test_a_patient_whose_number_is_refused_as_new_is_booked_when_found(
    client: FlaskClient, db: Database, desk: str, settings: Settings, clock: FrozenClock
) -> None:
    patient_id = proven_patient(db, settings, clock)
    refused = client.post("/staff/bookings/new/patient", data={**NEW, "csrf_token": desk})
    assert refused.status_code == 422
    found = client.get("/staff/bookings/new", query_string={"q": NEW["phone"]})
    assert found.status_code == 200 and "Bea Jones" in found.text
    form = {"patient_id": str(patient_id), **slot(db), **answers(), "csrf_token": desk}
    form["service_id"] = str(ids(db, Service, "Acupuncture"))
    booked = client.post("/staff/bookings/new/visit", data=form)
    assert booked.status_code == 303
    assert booked.headers["Location"] == f"/staff/patients/{patient_id}"
    assert count(db, Patient) == 1
    with db.session() as session:
        visit = session.scalars(select(Appointment).where(Appointment.starts_at == STARTS_AT)).one()
        assert visit.patient_id == patient_id and visit.booked_via == "staff"
