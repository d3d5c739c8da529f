"""A booking made over HTTP with an email address reaches a real SMTP server through a real
worker: the confirmation email, its calendar invite inside, sent once and recorded as sent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
import redis as redis_lib
import requests
from icalendar import Calendar
from sqlalchemy import select

from ops.embedded_redis import free_port
from scheduler.db import Database
from scheduler.models import Appointment, Channel, MessageKind, MessageStatus, OutboundMessage
from tests.e2e.test_booking_to_sms import clear_screen, prove_phone
from tests.fakes.fake_twilio import FakeTwilio
from tests.support.factories import demo_clinic
from tests.support.processes import (
    BIN,
    ManagedProcess,
    celery_beat,
    celery_worker,
    wait_for_http,
    wait_until,
)
from tests.support.smtp_server import SmtpServer
from tests.support.stack import next_weekday_at, process_env

EMAIL = "ana.silva@example.org"
SENDER = "Test Clinic <bookings@clinic.example>"


@dataclass(frozen=True)
class Deployed:
    base: str
    host: str


@pytest.fixture
def deployed(
    db: Database,
    database_url: str,
    redis_url: str,
    redis_client: redis_lib.Redis,
    tmp_path: Path,
    fake_twilio: FakeTwilio,
    smtp_server: SmtpServer,
) -> Iterator[Deployed]:
    """gunicorn, a Celery worker and beat, sending texts to fake Twilio and email by SMTP."""
    demo_clinic(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = process_env(
        database_url,
        redis_url,
        tmp_path / "instance",
        fake_twilio,
        PUBLIC_BASE_URL=base,
        EMAIL_BACKEND="smtp",
        SMTP_URL=smtp_server.url,
        EMAIL_FROM=SENDER,
        SMTP_TIMEOUT="5",
    )
    web = ManagedProcess(
        "web",
        [
            str(BIN / "gunicorn"),
            *("--config", "python:ops.gunicorn_conf", "--bind", f"127.0.0.1:{port}"),
            *("--workers", "2", "web.wsgi:app"),
        ],
        env,
        tmp_path,
    ).start()
    processes = [web, celery_worker(env, tmp_path), celery_beat(env, tmp_path)]
    try:
        wait_for_http(f"{base}/healthz")
        yield Deployed(base, "127.0.0.1")
    finally:
        for process in processes:
            process.stop()
        for process in processes:
            assert "Traceback" not in process.log(), process.log()


def book_with_email(deployed: Deployed, fake_twilio: FakeTwilio) -> dict:
    """Book the first free acupuncture slot over HTTP, giving an address and consent to email."""
    base = deployed.base
    services = requests.get(f"{base}/api/v1/services", timeout=5).json()
    acupuncture = next(s for s in services if s["code"] == "acupuncture")
    day = next_weekday_at(10).date().isoformat()
    slot = requests.get(
        f"{base}/api/v1/availability",
        params={"service_id": acupuncture["id"], "from": day, "to": day},
        timeout=5,
    ).json()["slots"][0]
    response = requests.post(
        f"{base}/api/v1/bookings",
        json={
            "service_id": acupuncture["id"],
            "practitioner_id": slot["practitioner_id"],
            "start": slot["start"],
            "patient": {
                "first_name": "Ana",
                "last_name": "Silva",
                "phone": "07400 123456",
                "email": EMAIL,
            },
            "consents": {"reminders": True, "diary_prompts": False, "email": True},
            "screen": clear_screen(base),
            "phone_proof": prove_phone(base, fake_twilio),
        },
        timeout=5,
    )
    assert response.status_code == 201, response.text
    booking: dict = response.json()
    return booking


def confirmation_email(db: Database, appointment_id: int) -> OutboundMessage | None:
    """The visit's confirmation email row, once the worker has recorded it sent."""
    with db.session() as session:
        row = session.scalar(
            select(OutboundMessage).where(
                OutboundMessage.appointment_id == appointment_id,
                OutboundMessage.channel == Channel.EMAIL,
                OutboundMessage.kind == MessageKind.CONFIRMATION,
                OutboundMessage.status == MessageStatus.SENT,
            )
        )
        if row is not None:
            session.expunge(row)
        return row


def calendar_part(message: EmailMessage) -> Calendar:
    """The text/calendar alternative of the email, parsed."""
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    return Calendar.from_ical(part.get_content())


def test_a_booking_with_an_email_gets_its_confirmation_and_invite_by_smtp_through_a_worker(
    deployed: Deployed, fake_twilio: FakeTwilio, smtp_server: SmtpServer, db: Database
) -> None:
    booking = book_with_email(deployed, fake_twilio)
    appointment_id = booking["appointment"]["id"]

    row = wait_until(
        lambda: confirmation_email(db, appointment_id), 30, 0.3, "the email recorded as sent"
    )
    assert isinstance(row, OutboundMessage)
    (received,) = smtp_server.wait_for(1)
    message = received.message
    assert received.rcpt_tos == (EMAIL,)
    assert received.mail_from == "bookings@clinic.example"
    assert message["To"] == EMAIL
    assert message["Message-ID"] == f"<outbox-{row.id}@{deployed.host}>"
    assert row.provider_sid == f"outbox-{row.id}@{deployed.host}"
    assert message["Subject"] == row.subject
    assert message["Subject"].startswith("Your visit to ")
    assert message["List-Unsubscribe"].startswith(f"<{deployed.base}/email/unsubscribe/")
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and booking["manage_url"] in text.get_content()

    invite = calendar_part(message)
    assert str(invite["METHOD"]) == "REQUEST"
    (event,) = invite.walk("VEVENT")
    assert str(event["UID"]) == f"visit-{appointment_id}@{deployed.host}"
    assert event.decoded("SEQUENCE") == 0
    with db.session() as session:
        visit = session.get_one(Appointment, appointment_id)
        assert event.decoded("DTSTART") == visit.starts_at
        assert event.decoded("DTEND") == visit.ends_at
    assert str(event["ATTENDEE"]).lower() == f"mailto:{EMAIL}"
    attachments = [p.get_filename() for p in message.iter_attachments()]
    assert attachments == ["invite.ics"]

    # The text went too (the confirmation goes by both), and the email only once.
    wait_until(lambda: len(fake_twilio.messages) >= 2, 30, 0.3, "the confirmation's text")
    assert len(smtp_server.received) == 1
