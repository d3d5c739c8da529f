"""POST /webhooks/twilio/sms on both databases: every reply of the table, answered in TwiML."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from scheduler.clock import FrozenClock
from scheduler.config import Settings, TwilioSettings
from scheduler.courses.booking import book_course
from scheduler.db import Database
from scheduler.messaging.outbox import claim_due
from scheduler.messaging.sending import SendOutcome, send_outbound_message
from scheduler.messaging.sms.console import ConsoleBackend
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    ClinicRules,
    DiaryDay,
    InboundMessage,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
    StaffAlert,
)
from tests.integration.test_courses import request_for
from tests.support.factories import PHONE, book, demo_clinic
from tests.support.queue import queued_tasks
from web.app import create_app

TOKEN = "inbound-test-token"
URL = "https://book.example.test/webhooks/twilio/sms"
WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
sids = itertools.count(1)


@pytest.fixture
def sms_settings(settings: Settings) -> Settings:
    return replace(settings, twilio=TwilioSettings(auth_token=TOKEN))


@pytest.fixture
def app(sms_settings: Settings, clock: FrozenClock) -> Flask:
    return create_app(sms_settings, clock)


@pytest.fixture
def visit(db: Database, sms_settings: Settings, clock: FrozenClock) -> Appointment:
    demo_clinic(db)
    return book(db, sms_settings, clock.now(), WEDNESDAY_10AM).appointment


def text(
    client: FlaskClient, body: str, sender: str = PHONE, sid: str | None = None, sign: bool = True
) -> tuple[int, str]:
    form = {
        "MessageSid": sid or f"SM{next(sids):032d}",
        "From": sender,
        "To": "+15005550006",
        "Body": body,
        "AccountSid": "AC" + "0" * 32,
    }
    headers = (
        {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(URL, form)} if sign else {}
    )
    response = client.post("/webhooks/twilio/sms", data=form, headers=headers)
    return response.status_code, response.get_data(as_text=True)


def stored(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def status_of(db: Database, appointment_id: int) -> AppointmentStatus:
    with db.session() as session:
        return session.get_one(Appointment, appointment_id).status


def send_due(db: Database, clock: FrozenClock) -> list[SendOutcome]:
    with db.transaction() as session:
        ids = claim_due(session, clock.now(), 100)
    return [send_outbound_message(db, i, ConsoleBackend(), clock) for i in ids]


def test_after_stop_nothing_is_sent_until_start(
    client: FlaskClient, db: Database, visit: Appointment, clock: FrozenClock
) -> None:
    status, twiml = text(client, "STOP")
    assert status == 200
    assert "<Response><Message>" in twiml and "no more texts" in twiml
    assert send_due(db, clock) == [SendOutcome.SKIPPED]  # the confirmation
    with db.session() as session:
        patient = session.get_one(Patient, visit.patient_id)
        assert patient.sms_opted_out_at == clock.now()
        assert {(c.kind.value, c.granted, c.channel) for c in patient.consents[-2:]} == {
            ("reminders", False, "sms"),
            ("diary_prompts", False, "sms"),
        }
    clock.advance(WEDNESDAY_10AM - timedelta(hours=48) - clock.now())
    assert send_due(db, clock) == [SendOutcome.SKIPPED]
    assert "you will get our texts again" in text(client, "START")[1]
    with db.session() as session:
        assert session.get_one(Patient, visit.patient_id).sms_opted_out_at is None


def test_help_answers_with_the_clinic_and_the_keywords(
    client: FlaskClient, visit: Appointment
) -> None:
    twiml = text(client, "help")[1]
    assert "Clearwater Clinic" in twiml and "Reply C to confirm" in twiml


def test_c_confirms_the_next_visit(client: FlaskClient, db: Database, visit: Appointment) -> None:
    twiml = text(client, "c")[1]
    assert "is confirmed" in twiml and "Wed 4 Mar at 10:00" in twiml
    assert status_of(db, visit.id) == AppointmentStatus.CONFIRMED
    assert "No visit is waiting" in text(client, "Y")[1]


def test_x_asks_once_then_cancels(client: FlaskClient, db: Database, visit: Appointment) -> None:
    first = text(client, "X")[1]
    assert "Reply X again" in first
    assert status_of(db, visit.id) == AppointmentStatus.BOOKED
    second = text(client, "x")[1]
    assert "is cancelled" in second
    assert status_of(db, visit.id) == AppointmentStatus.CANCELLED


def test_a_cancel_by_text_within_24_hours_is_late(
    client: FlaskClient, db: Database, visit: Appointment, clock: FrozenClock
) -> None:
    clock.advance(timedelta(days=1, hours=12))
    assert "late cancellation" in text(client, "X")[1]
    text(client, "X")
    assert status_of(db, visit.id) == AppointmentStatus.CANCELLED_LATE


def test_the_clinics_own_late_cancellation_hours_decide_and_the_text_names_them(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    with db.transaction() as session:
        rules = session.get(ClinicRules, 1) or ClinicRules(id=1)
        rules.late_cancellation_hours = 72
        session.merge(rules)
    ask = text(client, "X")[1]
    assert "within 72 hours" in ask and "24" not in ask
    text(client, "X")
    assert status_of(db, visit.id) == AppointmentStatus.CANCELLED_LATE


def test_r_sends_a_link_to_choose_a_new_time(client: FlaskClient, visit: Appointment) -> None:
    twiml = text(client, "R")[1]
    assert f"/visits/{visit.id}/move" in twiml


def test_a_diary_reply_becomes_the_entry_for_the_prompted_day(
    client: FlaskClient, db: Database, visit: Appointment, clock: FrozenClock
) -> None:
    prompted_day = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)  # Sunday, London midnight
    with db.transaction() as session:
        session.add(
            OutboundMessage(
                patient_id=visit.patient_id,
                kind=MessageKind.DIARY_PROMPT,
                dedupe_key="diary:prompt",
                to_phone=PHONE,
                body="How was today?",
                due_at=clock.now() - timedelta(hours=13),
                planned_for=prompted_day,
                status=MessageStatus.DELIVERED,
                sent_at=clock.now() - timedelta(hours=13),
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    twiml = text(client, "7 3h M")[1]
    assert "saved for Sun 1 Mar" in twiml
    with db.session() as session:
        entry = session.scalars(select(DiaryDay)).one()
        assert (entry.day.isoformat(), entry.worst_pain, entry.hours, entry.acute_medication) == (
            "2026-03-01",
            7,
            3.0,
            True,
        )
    text(client, "0")  # a correction for the same day replaces it
    with db.session() as session:
        entry = session.scalars(select(DiaryDay)).one()
        assert (entry.headache, entry.worst_pain) == (False, 0)


def test_a_diary_reply_with_no_recent_prompt_asks_for_the_diary_link(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    assert "use your diary" in text(client, "5")[1]
    assert stored(db, DiaryDay) == 0


def test_nonsense_gets_help_and_is_kept_for_staff(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    assert "did not understand" in text(client, "what time is it again??")[1]
    with db.session() as session:
        kept = session.scalars(select(InboundMessage)).one()
        assert kept.body == "what time is it again??"
        assert kept.understood_as == "unknown"
        reply = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == MessageKind.REPLY)
        ).one()
        assert reply.in_reply_to_id == kept.id and reply.status == MessageStatus.SENT


def test_emergency_words_get_advice_at_once_and_alert_staff(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    twiml = text(client, "this is the worst headache of my life")[1]
    assert "call 999 now" in twiml
    with db.session() as session:
        alert = session.scalars(select(StaffAlert)).one()
        assert alert.kind == "emergency_words" and alert.patient_id == visit.patient_id


def test_a_repeated_delivery_of_one_text_is_acted_on_once(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    first = text(client, "X", sid="SM" + "d" * 32)[1]
    again = text(client, "X", sid="SM" + "d" * 32)[1]
    assert first == again and "Reply X again" in again
    assert status_of(db, visit.id) == AppointmentStatus.BOOKED
    assert stored(db, InboundMessage) == 1


def test_a_text_from_an_unknown_number_is_kept_and_answered_politely(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    assert "sends visit texts for Clearwater Clinic" in text(client, "C", sender="+447400999999")[1]
    with db.session() as session:
        assert session.scalars(select(InboundMessage.patient_id)).one() is None


@pytest.mark.parametrize("signature", [None, "forged"])
def test_a_forged_or_missing_signature_gets_403_and_stores_nothing(
    client: FlaskClient, db: Database, visit: Appointment, signature: str | None
) -> None:
    form = {"MessageSid": "SM" + "e" * 32, "From": PHONE, "Body": "STOP"}
    headers = {"X-Twilio-Signature": signature} if signature else {}
    response = client.post("/webhooks/twilio/sms", data=form, headers=headers)
    assert response.status_code == 403
    assert stored(db, InboundMessage) == 0
    with db.session() as session:
        assert session.get_one(Patient, visit.patient_id).sms_opted_out_at is None


@pytest.mark.parametrize("form", [{"Body": "C", "From": PHONE}, {"MessageSid": "SM1", "Body": "C"}])
def test_a_malformed_inbound_text_gets_400_and_stores_nothing(
    client: FlaskClient, db: Database, visit: Appointment, form: dict[str, str]
) -> None:
    signature = RequestValidator(TOKEN).compute_signature(URL, form)
    response = client.post(
        "/webhooks/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 400
    assert stored(db, InboundMessage) == 0


def test_y_takes_an_offered_earlier_time(
    client: FlaskClient,
    db: Database,
    visit: Appointment,
    sms_settings: Settings,
    clock: FrozenClock,
) -> None:
    from scheduler.follow_ups import FreedTime
    from scheduler.visits.cancellation import cancel_visit
    from scheduler.visits.waitlist import join_waitlist, offer_freed_time

    later = book(
        db, sms_settings, clock.now(), WEDNESDAY_10AM + timedelta(days=7), phone="07400123470"
    )
    with db.transaction() as session:
        join_waitlist(
            session,
            session.get_one(Patient, later.patient.id),
            service_id=visit.service_id,
            earliest=clock.now(),
            latest=WEDNESDAY_10AM + timedelta(days=7),
            now=clock.now(),
            appointment_id=later.appointment.id,
        )
        cancel_visit(session, visit.id, clock.now())
        offer = offer_freed_time(
            session,
            FreedTime(visit.practitioner_id, WEDNESDAY_10AM),
            settings=sms_settings,
            now=clock.now(),
        )
        assert offer is not None
        held = offer.appointment_id
        offer_text = session.scalars(
            select(OutboundMessage.body).where(OutboundMessage.kind == MessageKind.WAITLIST_OFFER)
        ).one()
    assert "Reply Y by 08:15 to take it" in offer_text
    twiml = text(client, "Y", sender="+447400123470")[1]
    assert "your visit is now Wed 4 Mar at 10:00" in twiml
    assert status_of(db, held) == AppointmentStatus.BOOKED
    assert status_of(db, later.appointment.id) == AppointmentStatus.CANCELLED


def test_cancelling_a_course_visit_by_text_queues_what_cancelling_it_anywhere_does(
    client: FlaskClient,
    db: Database,
    sms_settings: Settings,
    clock: FrozenClock,
    redis_client: redis_lib.Redis,
) -> None:
    demo_clinic(db)
    with db.transaction() as session:
        request = request_for(db, start=WEDNESDAY_10AM)
        course = book_course(session, request, settings=sms_settings, now=clock.now())
        consultation = course.appointments[0]
    text(client, "X")
    assert queued_tasks(redis_client) == []  # the first X only asks
    text(client, "X")
    assert status_of(db, consultation.id) == AppointmentStatus.CANCELLED
    assert queued_tasks(redis_client) == [
        ("clinic.after_visit_missed", [consultation.id]),
        ("clinic.offer_freed_time", [consultation.practitioner_id, WEDNESDAY_10AM.isoformat()]),
    ]
