"""The attacker of issue 12 replayed: SMS pumping to foreign numbers, one address flooding the
bookings and the course holds, one personal link texting again and again, and a flood of new
numbers. Each attack runs against the real app (Redis and the database) and is stopped; what
was refused wrote nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clinical.safety import QUESTIONS
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.messaging.outbox import claim_due
from scheduler.messaging.sending import SendOutcome, SendPolicy, send_outbound_messages
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Consent,
    ConsentKind,
    Course,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
    StaffAlert,
)
from tests.support.booking_requests import prove_phone
from tests.support.factories import api_booking, book, demo_clinic, ids
from tests.support.outbox_rows import RecordingSms, waiting_text
from tests.support.staff import create_accounts, sign_in
from web.limits import BOOKINGS_PER_ADDRESS

WEDNESDAY = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
# Numbers the clinic (in the United Kingdom) does not serve: Iridium satellite, Uzbekistan,
# Kyrgyzstan, Nigeria, Russia, North Korea; and a UK landline.
FOREIGN = [
    "+881631234567",
    "+998901234567",
    "+996700123456",
    "+2348031234567",
    "+79161234567",
    "+8501912345678",
]
LANDLINE = "020 7946 0000"


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The limits live in Redis and the web layer; one database is enough here."""
    return str(request.param)


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def counts(db: Database) -> dict[str, int]:
    """Rows an attack could leave behind."""
    with db.session() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Patient, Appointment, Course, OutboundMessage, StaffAlert)
        }


def texts_abroad(db: Database) -> list[str]:
    """Every outbound message to a number outside the United Kingdom."""
    with db.session() as session:
        numbers = session.scalars(select(OutboundMessage.to_phone)).all()
    return [
        n for n in numbers if phonenumbers.region_code_for_number(phonenumbers.parse(n)) != "GB"
    ]


def slot(n: int) -> str:
    """A different weekday hour for each ``n`` (so bookings do not collide; 13:00 is lunch)."""
    day = WEDNESDAY + timedelta(days=7 * (n // 8))
    return (day + timedelta(hours=[0, 1, 2, 3, 5, 6, 7, 8][n % 8])).isoformat()


def uk_mobile(n: int) -> str:
    return f"+4474005{n:05d}"


# -- Only numbers the clinic serves ------------------------------------------------------------


def test_42_anonymous_bookings_to_foreign_numbers_text_no_one_abroad(
    client: FlaskClient, db: Database
) -> None:
    service_id, practitioner_id = ids(db)
    answers = []
    for n in range(42):
        body = api_booking(service_id, practitioner_id, slot(n))
        body["patient"]["phone"] = FOREIGN[n % len(FOREIGN)]
        answers.append(client.post("/api/v1/bookings", json=body, environ_base=_address(n)))
    assert {a.status_code for a in answers} == {422}
    refused = answers[0].get_json()["errors"]["json"]["patient"]["phone"]
    assert refused == ["We can only text mobile numbers in the United Kingdom."]
    assert texts_abroad(db) == []
    assert counts(db) == {k: 0 for k in counts(db)}


@pytest.mark.parametrize("phone", [*FOREIGN, LANDLINE])
def test_a_foreign_number_or_a_landline_is_refused_on_the_booking_page(
    client: FlaskClient, db: Database, phone: str
) -> None:
    service_id, practitioner_id = ids(db)
    page = client.get(f"/visit?service_id={service_id}&date=2026-03-04")
    form = _page_form(page.get_data(as_text=True), service_id, practitioner_id, phone)
    answer = client.post("/book", data=form)
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert (
        "We can only text mobile numbers in the United Kingdom." in text
        or "cannot receive text messages" in text
    )
    assert counts(db) == {k: 0 for k in counts(db)}


def _address(n: int) -> dict[str, str]:
    """A different client address for each ``n`` (an attacker with many addresses)."""
    return {"REMOTE_ADDR": f"198.51.100.{n % 250 + 1}"}


def _page_form(page: str, service_id: int, practitioner_id: int, phone: str) -> dict[str, str]:
    """The booking page's form filled in as a person would, with ``phone``."""
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    return {
        "csrf_token": token,
        "service_id": str(service_id),
        "date": "2026-03-04",
        "slot": f"{practitioner_id}|{slot(0)}",
        "first_name": "Ana",
        "last_name": "Silva",
        "phone": phone,
        "time_zone": "Europe/London",
        "consent_reminders": "yes",
        "consent_diary_prompts": "no",
        **{f"safety_{q.code}": "no" for q in QUESTIONS},
    }


# -- Limits on anonymous work ------------------------------------------------------------------


def proven(
    body: dict[str, Any], n: int, db: Database, settings: Settings, clock: FrozenClock
) -> dict[str, Any]:
    """``body`` for the ``n``th UK mobile, its number proven with a texted code (as a real
    booker would, so that only the limits stand in the way)."""
    body["patient"]["phone"] = uk_mobile(n)
    body["phone_proof"] = prove_phone(db, settings, clock.now(), uk_mobile(n))
    return body


def test_one_address_booking_again_and_again_is_refused_after_the_limit(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    service_id, practitioner_id = ids(db)
    allowed = int(BOOKINGS_PER_ADDRESS.split(" per minute")[0])
    statuses = []
    for n in range(allowed):
        body = proven(api_booking(service_id, practitioner_id, slot(n)), n, db, settings, clock)
        statuses.append(client.post("/api/v1/bookings", json=body).status_code)
    assert statuses == [201] * allowed
    body = proven(
        api_booking(service_id, practitioner_id, slot(allowed)), allowed, db, settings, clock
    )
    before = counts(db)
    refused = client.post("/api/v1/bookings", json=body)
    assert refused.status_code == 429
    assert refused.get_json()["code"] == 429
    assert "Try again in 1 minute" in refused.get_json()["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 61  # Flask-Limiter rounds up a second
    assert counts(db) == before
    print(f"\nanonymous bookings one address gets in a minute before 429: {allowed}")


def test_12_course_requests_from_one_address_hold_no_more_than_the_cap(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    templates = client.get("/api/v1/course-templates").get_json()
    migraine = next(t["id"] for t in templates if t["code"] == "migraine")
    practitioner_id = ids(db, "initial")[1]
    answers = []
    for n in range(12):
        body = api_booking(0, practitioner_id, _course_start(n))
        del body["service_id"]
        body["template_id"] = migraine
        answers.append(client.post("/api/v1/courses", json=proven(body, n, db, settings, clock)))
    statuses = [a.status_code for a in answers]
    held = _held(db)
    print(f"\n12 course requests from one address: {statuses}, visits held: {held}")
    assert held <= settings.held_visits_per_address
    refusals = [
        a.get_json().get("errors", {}).get("json", {}) for a in answers if a.status_code == 422
    ]
    assert any("course" in r for r in refusals), refusals
    assert statuses[-1] == 429
    with db.session() as session:
        courses = session.scalar(select(func.count()).select_from(Course))
    assert courses == statuses.count(201)


def _course_start(n: int) -> str:
    """A first visit on its own weekday and hour, so the courses' visits never meet."""
    day = WEDNESDAY + timedelta(days=n % 3 - 1 + 7 * (n // 9))
    return (day + timedelta(hours=[1, 5, 7][n // 3 % 3])).isoformat()


def _held(db: Database) -> int:
    with db.session() as session:
        query = select(func.count()).where(Appointment.status == AppointmentStatus.PROPOSED)
        return session.scalar(query.select_from(Appointment)) or 0


def test_one_personal_link_moving_a_visit_8_times_in_a_row_is_stopped(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    booked = book(db, settings, clock.now(), WEDNESDAY + timedelta(hours=1))
    path = f"/m/{booked.manage_token}/visits/{booked.appointment.id}/move"
    forms = _move_forms(client.get(path).get_data(as_text=True))[:8]
    statuses = [client.post(path, data=form).status_code for form in forms]
    assert statuses[:5] == [303] * 5
    assert statuses[5:] == [429] * 3
    refused = client.post(path, data=forms[-1])
    text = refused.get_data(as_text=True)
    assert "Too many tries" in text and "Please try again in" in text
    assert int(refused.headers["Retry-After"]) > 0
    with db.session() as session:
        moved = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == MessageKind.RESCHEDULED)
        ).all()
    assert len(moved) <= 5


def _move_forms(page: str) -> list[dict[str, str]]:
    """Each free time's form on the move page, as its button would send it."""
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    starts = [part.split('"')[0] for part in page.split('name="start" value="')[1:]]
    who = [part.split('"')[0] for part in page.split('name="practitioner_id" value="')[1:]]
    return [
        {"csrf_token": token, "start": start, "practitioner_id": practitioner}
        for start, practitioner in zip(starts, who, strict=True)
    ]


# -- The clinic-wide ceiling on texts to never-texted numbers ----------------------------------


def test_a_flood_of_new_numbers_is_paused_at_the_hourly_ceiling_and_staff_see_one_alert(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    service_id, practitioner_id = ids(db)
    for n in range(8):  # from many addresses: each booking is within every per-address limit
        body = proven(api_booking(service_id, practitioner_id, slot(n)), n, db, settings, clock)
        booked = client.post("/api/v1/bookings", json=body, environ_base=_address(n))
        assert booked.status_code == 201, booked.get_json()
    _consent_all(db)
    policy = SendPolicy(served=settings.sms_regions, new_numbers_per_hour=3)
    backend = RecordingSms()
    outcomes: list[SendOutcome] = []
    for _ in range(2):  # the dispatcher runs again: still paused, still one alert
        with db.transaction() as session:
            claimed = claim_due(session, clock.now(), 500)
        outcomes += send_outbound_messages(db, claimed, backend, clock, policy=policy).values()
    assert len(set(backend.sent)) == 3  # the code and the confirmation to each of three numbers
    assert SendOutcome.DEFERRED in outcomes
    with db.session() as session:
        alerts = session.scalars(select(StaffAlert).where(StaffAlert.kind == "new_numbers_paused"))
        assert len(alerts.all()) == 1
    assert "new numbers paused" in _messaging_monitor(client, db, clock)
    print(f"\nnew numbers texted before the ceiling paused them: {len(set(backend.sent))}")


def _messaging_monitor(client: FlaskClient, db: Database, clock: FrozenClock) -> str:
    """The messaging monitor as an admin sees it."""
    create_accounts(db, clock)
    sign_in(client, "admin@clinic.test")
    return client.get("/staff/messages").get_data(as_text=True)


def _consent_all(db: Database) -> None:
    """Every patient agreed to texts (whatever the booking path asked), so only the ceiling
    decides which texts go."""
    with db.transaction() as session:
        for patient in session.scalars(select(Patient)):
            if not patient.consents_to(ConsentKind.REMINDERS):
                session.add(
                    Consent(
                        patient_id=patient.id,
                        kind=ConsentKind.REMINDERS,
                        granted=True,
                        wording="texts",
                        channel="api",
                        recorded_at=datetime.now(UTC),
                    )
                )


# -- A foreign number already stored is never texted -------------------------------------------


def test_a_text_waiting_for_a_foreign_number_from_before_is_skipped_at_send(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    waiting_text(db, "+2348031234567", clock.now())
    with db.transaction() as session:
        claimed = claim_due(session, clock.now(), 500)
    backend = RecordingSms()
    policy = SendPolicy(served=settings.sms_regions)
    outcomes = send_outbound_messages(db, claimed, backend, clock, policy=policy)
    assert list(outcomes.values()) == [SendOutcome.SKIPPED]
    assert backend.sent == []
    assert texts_abroad(db) == ["+2348031234567"]  # the row stays, marked skipped
    with db.session() as session:
        row = session.scalars(select(OutboundMessage)).one()
        assert (row.status, row.sent_at) == (MessageStatus.SKIPPED, None)
