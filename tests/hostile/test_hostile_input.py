"""Hostile and odd input: webhooks fuzzed with valid signatures, odd names, payloads, sizes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from scheduler.clock import FrozenClock
from scheduler.config import Settings, TwilioSettings
from scheduler.db import Database
from scheduler.models import Appointment, InboundMessage, Patient
from tests.support.booking_requests import proven
from tests.support.factories import PHONE, api_booking, book, demo_clinic, ids
from web.app import create_app

TOKEN = "hostile-token"
BASE = "https://book.example.test"


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Flask:
    return create_app(replace(settings, twilio=TwilioSettings(auth_token=TOKEN)), clock)


def signed_post(client: FlaskClient, path: str, form: dict[str, str]) -> int:
    signature = RequestValidator(TOKEN).compute_signature(BASE + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature}).status_code


FIELD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


def test_any_signed_inbound_text_is_answered_without_a_server_error(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    demo_clinic(db)
    book(db, settings, clock.now(), clock.now().replace(day=4, hour=10))

    @settings_for_fuzz
    @given(body=FIELD, sender=st.sampled_from([PHONE, "+447400999999", "", "not a number"]))
    def fuzz(body: str, sender: str) -> None:
        form = {"MessageSid": f"SM{abs(hash((body, sender))):032d}"[:34], "From": sender}
        form["Body"] = body
        status = signed_post(client, "/webhooks/twilio/sms", form)
        assert status in (200, 400)

    fuzz()
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) > 0


settings_for_fuzz = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def test_any_signed_delivery_report_is_handled_without_a_server_error(
    client: FlaskClient,
) -> None:
    @settings_for_fuzz
    @given(sid=FIELD, status=FIELD, error=FIELD)
    def fuzz(sid: str, status: str, error: str) -> None:
        form = {"MessageSid": sid, "MessageStatus": status, "ErrorCode": error}
        assert signed_post(client, "/webhooks/twilio/status", form) in (204, 400)

    fuzz()


def test_unsigned_webhook_posts_of_any_shape_are_refused(client: FlaskClient) -> None:
    @settings_for_fuzz
    @given(form=st.dictionaries(FIELD, FIELD, max_size=5))
    def fuzz(form: dict[str, str]) -> None:
        for path in ("/webhooks/twilio/sms", "/webhooks/twilio/status"):
            assert client.post(path, data=form).status_code == 403

    fuzz()


@pytest.mark.parametrize(
    "name",
    [
        "<script>alert(1)</script>",
        "Robert'); DROP TABLE patients;--",
        "\u05d3\u05d5\u05d3",  # Hebrew, right to left
        "\u0645\u0631\u064a\u0645",  # Arabic
        "Zo\u00eb \u0141ukasz-\u00d8rsted",
        "\u674e\u5c0f\u9f99",
    ],
)
def test_odd_names_are_stored_as_given_and_shown_as_text(
    client: FlaskClient, db: Database, name: str
) -> None:
    demo_clinic(db)
    service_id, practitioner_id = ids(db)
    body = api_booking(service_id, practitioner_id, "2026-03-04T10:00:00+00:00")
    body["patient"]["first_name"] = name
    response = client.post("/api/v1/bookings", json=proven(client, db, body))
    assert response.status_code == 201
    with db.session() as session:
        assert session.scalars(select(Patient.first_name)).one() == name
    page = client.get(f"/m/{response.get_json()['manage_token']}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    if name.startswith("<script>"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", "service_id=1"),
        ("application/xml", "<booking/>"),
        ("multipart/form-data; boundary=x", "--x--"),
        ("application/json", "\x00\x01\x02"),
        ("application/json", '{"service_id": NaN}'),
        ("application/json", "[" * 5000 + "]" * 5000),
    ],
)
def test_wrong_content_types_and_broken_json_get_a_4xx_and_write_nothing(
    client: FlaskClient, db: Database, content_type: str, data: str
) -> None:
    demo_clinic(db)
    response = client.post("/api/v1/bookings", data=data, content_type=content_type)
    assert 400 <= response.status_code < 500
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/bookings", 413),
        ("/api/v1/courses", 413),
        ("/book?service_id=2", 413),
        ("/webhooks/twilio/sms", 403),  # unsigned: refused before the body is read
    ],
)
def test_an_oversize_body_is_refused_everywhere(
    client: FlaskClient, db: Database, path: str, status: int
) -> None:
    response = client.post(path, data="x" * 200_000, content_type="application/json")
    assert response.status_code == status
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
