"""POST /webhooks/twilio/status: signed, idempotent, out-of-order safe; forgeries change nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from scheduler.clock import FrozenClock
from scheduler.config import Settings, TwilioSettings
from scheduler.db import Database
from scheduler.models import MessageKind, MessageStatus, OutboundMessage
from tests.support.factories import book, demo_clinic
from web.app import create_app

TOKEN = "webhook-test-token"
URL = "https://book.example.test/webhooks/twilio/status"
SID = "SM" + "a" * 32


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Flask:
    return create_app(replace(settings, twilio=TwilioSettings(auth_token=TOKEN)), clock)


@pytest.fixture
def sent_message(db: Database, settings: Settings, clock: FrozenClock) -> int:
    demo_clinic(db)
    book(db, settings, clock.now(), datetime(2026, 3, 4, 10, tzinfo=UTC))
    with db.transaction() as session:
        message = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == MessageKind.CONFIRMATION)
        ).one()
        message.status = MessageStatus.SENT
        message.provider_sid = SID
        message.provider_status = "queued"
        return message.id


def post(client: FlaskClient, form: dict[str, str], signature: str | None = "sign") -> int:
    headers = {}
    if signature == "sign":
        headers["X-Twilio-Signature"] = RequestValidator(TOKEN).compute_signature(URL, form)
    elif signature is not None:
        headers["X-Twilio-Signature"] = signature
    return client.post("/webhooks/twilio/status", data=form, headers=headers).status_code


def state(db: Database, message_id: int) -> tuple[str, str | None, str | None]:
    with db.session() as session:
        m = session.get_one(OutboundMessage, message_id)
        return m.status.value, m.provider_status, m.error_code


def report(status: str, error: str | None = None) -> dict[str, str]:
    form = {"MessageSid": SID, "MessageStatus": status, "AccountSid": "AC" + "0" * 32}
    if error:
        form["ErrorCode"] = error
    return form


def test_a_signed_delivered_report_marks_the_message_delivered(
    client: FlaskClient, db: Database, sent_message: int
) -> None:
    assert post(client, report("delivered")) == 204
    assert state(db, sent_message) == ("delivered", "delivered", None)
    assert post(client, report("delivered")) == 204  # a repeat changes nothing
    assert state(db, sent_message) == ("delivered", "delivered", None)


def test_a_late_sent_report_does_not_undo_delivered(
    client: FlaskClient, db: Database, sent_message: int
) -> None:
    assert post(client, report("delivered")) == 204
    assert post(client, report("sent")) == 204
    assert post(client, report("queued")) == 204
    assert state(db, sent_message) == ("delivered", "delivered", None)


def test_an_undelivered_report_records_the_carrier_error(
    client: FlaskClient, db: Database, sent_message: int
) -> None:
    assert post(client, report("sent")) == 204
    assert post(client, report("undelivered", "30003")) == 204
    assert state(db, sent_message) == ("failed", "undelivered", "30003")


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl", "forged"])
def test_a_missing_or_forged_signature_gets_403_and_changes_nothing(
    client: FlaskClient, db: Database, sent_message: int, signature: str | None
) -> None:
    assert post(client, report("delivered"), signature=signature) == 403
    assert state(db, sent_message) == ("sent", "queued", None)


def test_a_signature_for_other_fields_is_refused(
    client: FlaskClient, db: Database, sent_message: int
) -> None:
    signed_for = RequestValidator(TOKEN).compute_signature(URL, report("sent"))
    assert post(client, report("delivered"), signature=signed_for) == 403
    assert state(db, sent_message) == ("sent", "queued", None)


@pytest.mark.parametrize(
    "form", [{"MessageStatus": "delivered"}, {"MessageSid": SID}, {"MessageSid": "x" * 500}]
)
def test_a_malformed_report_gets_400_and_changes_nothing(
    client: FlaskClient, db: Database, sent_message: int, form: dict[str, str]
) -> None:
    assert post(client, form) == 400
    assert state(db, sent_message) == ("sent", "queued", None)


def test_a_report_for_an_unknown_message_is_acknowledged_and_stores_nothing(
    client: FlaskClient, db: Database, sent_message: int
) -> None:
    form = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "delivered"}
    assert post(client, form) == 204
    assert state(db, sent_message) == ("sent", "queued", None)


def test_a_landline_reported_later_flags_the_number_and_sends_the_confirmation_by_email(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    from scheduler.models import Channel, ClinicRules, Patient, StaffAlert

    demo_clinic(db)
    with db.transaction() as session:  # confirmations by text only: no email twin planned
        session.add(ClinicRules(id=1, message_channels={"confirmation": "sms"}))
    start = datetime(2026, 3, 4, 10, tzinfo=UTC)
    book(db, settings, clock.now(), start, email="ana@example.org", consent_email=True)
    with db.transaction() as session:
        text = session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.kind == MessageKind.CONFIRMATION,
                OutboundMessage.channel == Channel.SMS,
            )
        ).one()
        text.status, text.provider_sid, text.provider_status = MessageStatus.SENT, SID, "sent"
    assert post(client, report("undelivered", "30006")) == 204  # a landline
    assert post(client, report("undelivered", "30006")) == 204  # a repeat adds nothing
    with db.session() as session:
        emails = session.scalars(
            select(OutboundMessage).where(OutboundMessage.channel == Channel.EMAIL)
        ).all()
        instead = [e for e in emails if e.fallback_for_id == text.id]
        patient = session.scalars(select(Patient).where(Patient.email == "ana@example.org")).one()
        alerts = session.scalars(select(StaffAlert).where(StaffAlert.kind == "phone_unusable"))
        assert [(e.kind, e.status) for e in instead] == [
            (MessageKind.CONFIRMATION, MessageStatus.PENDING)
        ]
        assert patient.phone_flagged_at == clock.now()
        assert len(alerts.all()) == 1


def test_a_passing_carrier_fault_sends_no_email(
    client: FlaskClient, db: Database, sent_message: int
) -> None:
    from scheduler.models import Channel

    assert post(client, report("undelivered", "30003")) == 204  # unreachable just now
    with db.session() as session:
        fallbacks = session.scalars(
            select(OutboundMessage).where(OutboundMessage.fallback_for_id.is_not(None))
        ).all()
        assert fallbacks == []
        assert (
            session.scalars(
                select(OutboundMessage).where(OutboundMessage.channel == Channel.EMAIL)
            ).all()
            == []
        )
