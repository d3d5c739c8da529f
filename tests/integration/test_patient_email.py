"""A patient's optional email and its consent on every booking path, on both databases: the
use case, the booking pages (a visit, a course), the API (a visit, a course), the staff
booking, and the record page; a wrong address is refused with a clear message, nothing written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import ValidationFailed
from scheduler.models import Appointment, Consent, ConsentKind, Patient, PhoneVerification, Service
from scheduler.patients.consent_wording import WORDING
from scheduler.patients.email_address import (
    EMAIL_MAX,
    NOT_AN_ADDRESS,
    TOO_LONG,
    InvalidEmail,
    normalise_email,
)
from scheduler.visits.booking import PatientDetails
from tests.integration.test_booking_wizard import at_the_plan
from tests.integration.test_booking_wizard import form as course_form
from tests.integration.test_code_step_pages import post_visit, visit_form
from tests.integration.test_course_api import course_body
from tests.integration.test_staff_bookings import NEW, answers, slot
from tests.integration.test_staff_bookings import ids as named_id
from tests.support.booking_requests import enter_code, prove_phone, proven
from tests.support.factories import api_booking, book, demo_clinic, ids
from tests.support.staff import create_accounts, csrf, sign_in

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
THURSDAY_10AM = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
LONGEST = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 57}.com"  # 254 characters
WRONG = ["ana", "ana@", "@example.com", "ana@example", "a..b@example.com", "ana@exa mple.com"]


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def ledger(db: Database) -> list[tuple[str, bool, str]]:
    """Every email consent answer: (wording's first words, granted, channel), oldest first."""
    with db.session() as session:
        rows = session.scalars(
            select(Consent).where(Consent.kind == ConsentKind.EMAIL).order_by(Consent.id)
        )
        return [(c.wording[:15], c.granted, c.channel) for c in rows]


def only_patient(db: Database) -> Patient:
    with db.session() as session:
        return session.scalars(select(Patient)).one()


# -- The rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("  Ana.Silva@Example.COM ", "Ana.Silva@example.com"),
        ("ana+clinic@mail.example.co.uk", "ana+clinic@mail.example.co.uk"),
        ("ana@EXÄMPLE.com", "ana@exämple.com"),
        (LONGEST, LONGEST),
    ],
)
def test_an_address_is_trimmed_and_its_domain_lower_cased(raw: str, kept: str) -> None:
    assert normalise_email(raw) == kept


@pytest.mark.parametrize("raw", [*WRONG, "", "ana@example.com\x00", f"x{LONGEST}"])
def test_a_wrong_address_is_refused_with_a_plain_reason(raw: str) -> None:
    with pytest.raises(InvalidEmail) as refused:
        normalise_email(raw)
    too_long = len(raw.strip()) > EMAIL_MAX
    assert str(refused.value) == (TOO_LONG if too_long else NOT_AN_ADDRESS)


def test_the_email_consent_wording_is_plain_and_says_nothing_of_health() -> None:
    words = WORDING[ConsentKind.EMAIL].lower()
    assert words.startswith("email me")
    assert not any(term in words for term in ("health", "migraine", "headache", "treatment"))


# -- The use case -------------------------------------------------------------------------------


def details(email: str | None) -> PatientDetails:
    return PatientDetails("Ana", "Silva", "07400 123456", email=email)


@pytest.mark.parametrize("granted", [True, False, None])
def test_a_booking_with_an_email_keeps_it_and_records_the_answer(
    db: Database, settings: Settings, clock: FrozenClock, granted: bool | None
) -> None:
    book(
        db,
        settings,
        clock.now(),
        WEDNESDAY_10AM,
        patient=details(" Ana@Example.COM"),
        consent_email=granted,
    )
    assert only_patient(db).email == "Ana@example.com"
    assert ledger(db) == [("Email me about ", bool(granted), "api")]


def test_a_booking_without_an_email_records_no_email_answer(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    book(db, settings, clock.now(), WEDNESDAY_10AM, patient=details(""), consent_email=True)
    assert only_patient(db).email is None
    assert ledger(db) == []
    assert count(db, Consent) == 2  # the two text consents only


def test_a_wrong_email_refuses_the_booking_and_writes_nothing(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        book(db, settings, clock.now(), WEDNESDAY_10AM, patient=details("ana@"))
    assert refused.value.fields == {"email": [NOT_AN_ADDRESS]}
    assert (count(db, Patient), count(db, Appointment), count(db, Consent)) == (0, 0, 0)


def test_a_patient_found_again_by_their_proven_phone_takes_the_newly_given_email(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    now = clock.now()
    proof = prove_phone(db, settings, now)
    book(db, settings, now, WEDNESDAY_10AM, patient=details(None), phone_proof=proof)
    assert only_patient(db).email is None and ledger(db) == []
    proof = prove_phone(db, settings, now)
    book(
        db,
        settings,
        now,
        THURSDAY_10AM,
        patient=details("ana@new.example"),
        consent_email=True,
        phone_proof=proof,
    )
    assert only_patient(db).email == "ana@new.example"
    assert ledger(db) == [("Email me about ", True, "api")]
    proof = prove_phone(db, settings, now)
    book(
        db,
        settings,
        now,
        datetime(2026, 3, 6, 10, 0, tzinfo=UTC),
        patient=details(""),
        phone_proof=proof,
    )
    assert only_patient(db).email == "ana@new.example"  # no email given: the one kept stays
    assert len(ledger(db)) == 1


# -- The booking pages --------------------------------------------------------------------------


def test_the_booking_page_asks_for_the_email_with_its_hint_and_an_unticked_consent(
    client: FlaskClient, db: Database
) -> None:
    service_id, _ = ids(db)
    page = client.get(f"/visit?service_id={service_id}&date=2026-03-04").text
    assert '<label for="email">Email (optional)</label>' in page
    assert (
        "For booking confirmations with a calendar invite. We never put health details in emails."
        in page
    )
    assert 'aria-describedby="email-hint"' in page and 'autocomplete="email"' in page
    assert "Email me confirmations and reminders" in page
    box = page[page.index('name="consent_email"') - 80 : page.index('name="consent_email"') + 200]
    assert 'type="checkbox"' in box and "checked" not in box
    assert WORDING[ConsentKind.EMAIL] in page


def test_a_visit_booked_on_the_page_keeps_the_email_and_the_ticked_consent(
    client: FlaskClient, db: Database
) -> None:
    values = visit_form(client, db, email=" Ana@Example.COM ", consent_email="yes")
    booked = enter_code(client, db, post_visit(client, values))
    assert booked.status_code == 303 and "/m/" in booked.headers["Location"]
    assert only_patient(db).email == "Ana@example.com"
    assert ledger(db) == [("Email me about ", True, "web")]


def test_an_unticked_consent_with_an_email_is_recorded_as_a_no(
    client: FlaskClient, db: Database
) -> None:
    values = visit_form(client, db, email="ana@example.com")
    enter_code(client, db, post_visit(client, values))
    assert ledger(db) == [("Email me about ", False, "web")]


@pytest.mark.parametrize("wrong", WRONG[:3])
def test_a_wrong_email_on_the_page_is_shown_by_its_field_and_nothing_is_written(
    client: FlaskClient, db: Database, wrong: str
) -> None:
    answer = post_visit(client, visit_form(client, db, email=wrong, consent_email="yes"))
    assert answer.status_code == 422
    assert f'<p class="error" id="email-error">{NOT_AN_ADDRESS}</p>' in answer.text
    assert 'aria-describedby="email-hint email-error"' in answer.text
    assert 'href="#email"' in answer.text  # the error summary links to it
    assert (count(db, Patient), count(db, PhoneVerification), count(db, Consent)) == (0, 0, 0)


def test_a_course_booked_in_the_wizard_keeps_the_email_and_consent(
    client: FlaskClient, db: Database
) -> None:
    template_id, slot_, token = at_the_plan(client)
    values = course_form(slot_, token, email="ana@example.com", consent_email="yes")
    booked = enter_code(client, db, client.post(f"/course/{template_id}/book", data=values))
    assert booked.status_code == 303
    assert only_patient(db).email == "ana@example.com"
    assert ledger(db) == [("Email me about ", True, "web")]


def test_a_wrong_email_in_the_wizard_is_refused_and_nothing_is_written(
    client: FlaskClient, db: Database
) -> None:
    template_id, slot_, token = at_the_plan(client)
    values = course_form(slot_, token, email="ana@example")
    refused = client.post(f"/course/{template_id}/book", data=values)
    assert refused.status_code == 422 and 'id="email-error"' in refused.text
    assert (count(db, Patient), count(db, PhoneVerification)) == (0, 0)


# -- The API ------------------------------------------------------------------------------------


def api_body(db: Database, **patient: Any) -> dict[str, Any]:
    service_id, practitioner_id = ids(db)
    body = api_booking(service_id, practitioner_id, WEDNESDAY_10AM.isoformat())
    body["patient"] = {**body["patient"], **patient}
    return body


def test_an_api_booking_keeps_the_email_and_the_email_answer(
    client: FlaskClient, db: Database
) -> None:
    body = api_body(db, email="Ana@Example.com")
    body["consents"] = {**body["consents"], "email": True}
    created = client.post("/api/v1/bookings", json=proven(client, db, body))
    assert created.status_code == 201, created.get_json()
    assert only_patient(db).email == "Ana@example.com"
    assert ledger(db) == [("Email me about ", True, "api")]


def test_an_api_booking_without_an_email_answer_records_a_no(
    client: FlaskClient, db: Database
) -> None:
    created = client.post(
        "/api/v1/bookings", json=proven(client, db, api_body(db, email="ana@example.com"))
    )
    assert created.status_code == 201, created.get_json()
    assert ledger(db) == [("Email me about ", False, "api")]


def test_an_api_booking_with_no_email_records_no_email_answer(
    client: FlaskClient, db: Database
) -> None:
    body = api_body(db, email=None)
    body["consents"] = {**body["consents"], "email": True}
    created = client.post("/api/v1/bookings", json=proven(client, db, body))
    assert created.status_code == 201, created.get_json()
    assert only_patient(db).email is None and ledger(db) == []


@pytest.mark.parametrize(
    ("wrong", "message"), [("ana@", NOT_AN_ADDRESS), (f"x{LONGEST}", TOO_LONG)]
)
def test_a_wrong_email_in_the_api_is_a_422_naming_the_field_and_writes_nothing(
    client: FlaskClient, db: Database, wrong: str, message: str
) -> None:
    refused = client.post("/api/v1/bookings", json=proven(client, db, api_body(db, email=wrong)))
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"] == {"patient": {"email": [message]}}
    assert (count(db, Patient), count(db, Appointment), count(db, Consent)) == (0, 0, 0)


def test_an_api_course_keeps_the_email_and_a_wrong_one_is_refused(
    client: FlaskClient, db: Database
) -> None:
    wrong = course_body(client, db)
    wrong["patient"] = {**wrong["patient"], "email": "ana@example"}
    refused = client.post("/api/v1/courses", json=proven(client, db, wrong))
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"] == {"patient": {"email": [NOT_AN_ADDRESS]}}
    assert count(db, Patient) == 0
    body = course_body(client, db)
    body["patient"] = {**body["patient"], "email": "ana@example.com"}
    body["consents"] = {**body["consents"], "email": True}
    created = client.post("/api/v1/courses", json=proven(client, db, body))
    assert created.status_code == 201, created.get_json()
    assert only_patient(db).email == "ana@example.com"
    assert ledger(db) == [("Email me about ", True, "api")]


def test_the_openapi_document_describes_the_email_and_its_consent(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["PatientIn"]["properties"]["email"]["type"] == "string"
    assert schemas["ConsentsIn"]["properties"]["email"]["type"] == "boolean"
    assert "email" not in schemas["ConsentsIn"].get("required", [])


# -- The staff booking and the record -----------------------------------------------------------


@pytest.fixture
def desk(client: FlaskClient, db: Database, clock: FrozenClock) -> str:
    sign_in(client, create_accounts(db, clock)["desk"])
    return csrf(client, "/staff/bookings/new")


def staff_visit(client: FlaskClient, db: Database, desk: str, **changes: str) -> Any:
    form = {**NEW, **slot(db), **answers(), "csrf_token": desk, **changes}
    form["service_id"] = str(named_id(db, Service, "Acupuncture"))
    screen = client.post("/staff/bookings/new/patient", data=form)
    assert screen.status_code == 200, screen.text
    return client.post("/staff/bookings/new/visit", data=form)


def test_staff_take_the_email_and_the_consent_as_stated_and_the_record_shows_them(
    client: FlaskClient, db: Database, desk: str
) -> None:
    page = client.get("/staff/bookings/new").text
    assert 'for="new-email"' in page and 'aria-describedby="new-email-hint"' in page
    booked = staff_visit(client, db, desk, email="Ana@Example.COM", consent_email="yes")
    assert booked.status_code == 303, booked.text
    patient = only_patient(db)
    assert patient.email == "Ana@example.com"
    assert ledger(db) == [("Email me about ", True, "staff")]
    record = client.get(f"/staff/patients/{patient.id}").text
    assert "<dt>Email</dt><dd>Ana@example.com</dd>" in record
    assert "<dt>Emails</dt><dd>Yes</dd>" in record
    assert "<dt>Mobile</dt>" in record and "<dt>Texts</dt>" in record


def test_staff_without_the_consent_record_a_no_and_without_an_email_nothing(
    client: FlaskClient, db: Database, desk: str
) -> None:
    staff_visit(client, db, desk, email="ana@example.com")
    assert ledger(db) == [("Email me about ", False, "staff")]
    record = client.get(f"/staff/patients/{only_patient(db).id}").text
    assert "<dt>Emails</dt><dd>No: declined or stopped</dd>" in record


def test_a_record_without_an_email_says_so(client: FlaskClient, db: Database, desk: str) -> None:
    staff_visit(client, db, desk)
    assert ledger(db) == []
    record = client.get(f"/staff/patients/{only_patient(db).id}").text
    assert "<dt>Email</dt><dd>none given</dd>" in record
    assert "<dt>Emails</dt><dd>No: no address given</dd>" in record


def test_a_wrong_email_on_the_staff_form_is_shown_and_nothing_is_written(
    client: FlaskClient, db: Database, desk: str
) -> None:
    form = {**NEW, **slot(db), "csrf_token": desk, "email": "ana@", "consent_email": "yes"}
    refused = client.post("/staff/bookings/new/patient", data=form)
    assert refused.status_code == 422
    assert f'<p class="error" id="new-email-error">{NOT_AN_ADDRESS}</p>' in refused.text
    assert f"Email: {NOT_AN_ADDRESS}" in refused.text  # in the error summary
    assert 'value="ana@"' in refused.text
    form["service_id"] = str(named_id(db, Service, "Acupuncture"))
    visit = client.post("/staff/bookings/new/visit", data={**form, **answers()})
    assert visit.status_code == 422
    assert (count(db, Patient), count(db, Appointment), count(db, Consent)) == (0, 0, 0)


def test_a_long_email_is_carried_whole_through_the_staff_steps(
    client: FlaskClient, db: Database, desk: str
) -> None:
    form = {**NEW, **slot(db), **answers(), "csrf_token": desk, "email": LONGEST}
    what = client.post("/staff/bookings/new/screen", data=form)
    assert f'<input type="hidden" name="email" value="{LONGEST}">' in what.text
    booked = staff_visit(client, db, desk, email=LONGEST, consent_email="yes")
    assert booked.status_code == 303, booked.text
    assert only_patient(db).email == LONGEST


def test_the_email_and_its_box_wait_with_the_code_and_come_back_to_be_corrected(
    client: FlaskClient, db: Database
) -> None:
    values = visit_form(client, db, email=f" {LONGEST} ", consent_email="yes")
    assert post_visit(client, values).status_code == 303
    back = client.get("/visit/code/back")
    assert back.status_code == 200
    assert f'value=" {LONGEST} "' in back.text  # kept whole, as typed, not cut short
    box = back.text[back.text.index('name="consent_email"') :][:200]
    assert "checked" in box


def test_a_stopped_screen_keeps_a_good_email_and_leaves_a_wrong_one_off(
    client: FlaskClient, db: Database
) -> None:
    stopped = post_visit(
        client,
        visit_form(client, db, email="ana@example", safety_thunderclap="yes"),
    )
    assert stopped.status_code == 200 and "Please get emergency help now" in stopped.text
    assert only_patient(db).email is None and ledger(db) == []
