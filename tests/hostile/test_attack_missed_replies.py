"""Replayed against the real app: replies that matter, written the way people write them, were
"not understood". Opt-outs with spaces, case and phone punctuation now stop every text at once;
emergency phrasings a little off the examples now get the advice and alert staff; and the
phrase list staff extend cannot be turned against the keywords."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clock import FrozenClock
from scheduler.config import Settings, TwilioSettings
from scheduler.db import Database
from scheduler.messaging.sending import SendOutcome
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    EmergencyPhrase,
    InboundMessage,
    Patient,
    StaffAlert,
)
from tests.integration.test_inbound_sms import TOKEN, WEDNESDAY_10AM, send_due, text
from tests.support.factories import book
from tests.support.staff import create_accounts, csrf, log_in
from tests.support.table_rows import table_rows
from web.app import create_app

# As phones send them: full-width letters, curly quotes, dashes, no-break spaces, emoji.
OPT_OUTS = [
    "Stop all",
    "stop-all",
    "opt out",
    "Opt\u2010out",
    "Un subscribe",
    "\uff33\uff34\uff2f\uff30",
    "Stop!!",
    "stop please",
    "STOP thanks",
    "please stop texting me",
    "unsubscribe me",
    "\u201cSTOP\u201d",
    "STOP\u00a0\U0001f64f",
    "I don\u2019t want these texts",
    "STOP. Wrong person",
]
EMERGENCIES = [
    "worst headache ever",
    "the worst headache I\u2019ve ever had",
    "worst pain of my life",
    "can\u2019t talk",
    "cannot speak",
    "unable to speak",
    "slurred speech",
    "her face is drooping",
    "lost my vision",
    "stiff neck and fever",
    "I passed out",
    "\uff37\uff25\uff21\uff2b\uff2e\uff25\uff33\uff33",
]


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sms_settings(settings: Settings) -> Settings:
    return replace(settings, twilio=TwilioSettings(auth_token=TOKEN))


@pytest.fixture
def app(sms_settings: Settings, clock: FrozenClock) -> Flask:
    return create_app(sms_settings, clock)


@pytest.fixture
def logins(db: Database, clock: FrozenClock) -> dict[str, str]:
    return create_accounts(db, clock)


@pytest.fixture
def visit(
    db: Database, sms_settings: Settings, clock: FrozenClock, logins: dict[str, str]
) -> Appointment:
    return book(db, sms_settings, clock.now(), WEDNESDAY_10AM).appointment


def opted_out(db: Database, patient_id: int) -> bool:
    with db.session() as session:
        return session.get_one(Patient, patient_id).sms_opted_out_at is not None


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_every_opt_out_as_people_write_it_stops_the_texts_at_once(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    for body in OPT_OUTS:
        twiml = text(client, body)[1]
        assert "no more texts" in twiml, body
        assert opted_out(db, visit.patient_id), body
        assert "you will get our texts again" in text(client, "START")[1]
    text(client, OPT_OUTS[0])
    outcomes = send_due(db, FrozenClock(WEDNESDAY_10AM))  # every text planned for the visit
    assert outcomes and set(outcomes) == {SendOutcome.SKIPPED}


def test_every_emergency_phrasing_gets_the_advice_and_reaches_staff(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    for body in EMERGENCIES:
        assert "call 999 now" in text(client, body)[1], body
    with db.session() as session:
        understood = session.scalars(select(InboundMessage.understood_as)).all()
    assert understood == ["emergency"] * len(EMERGENCIES)
    assert count(db, StaffAlert) >= 1
    assert not opted_out(db, visit.patient_id)  # an emergency alone opts nobody out


def test_an_emergency_that_also_says_stop_is_answered_with_the_advice_and_opts_out(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    twiml = text(client, "Worst headache of my life \u2014 please stop texting me")[1]
    assert "call 999 now" in twiml
    assert opted_out(db, visit.patient_id)
    assert count(db, StaffAlert) == 1


def test_a_request_about_a_visit_is_neither_an_opt_out_nor_a_cancellation(
    client: FlaskClient, db: Database, visit: Appointment
) -> None:
    twiml = text(client, "cancel my appointment")[1]
    assert "X to cancel" in twiml
    assert not opted_out(db, visit.patient_id)
    with db.session() as session:
        assert session.get_one(Appointment, visit.id).status == AppointmentStatus.BOOKED


def test_a_staff_phrase_cannot_take_over_the_keywords(
    client: FlaskClient, db: Database, logins: dict[str, str], visit: Appointment
) -> None:
    assert log_in(client, logins["admin"]) == 303
    token = csrf(client)
    for phrase in ("yes", "Y E S", "STOP", "stop texting me", "C thanks", "0", "10 3h M"):
        response = client.post(
            "/staff/setup/emergency-phrases", data={"csrf_token": token, "phrase": phrase}
        )
        assert response.status_code == 422, phrase
    assert count(db, EmergencyPhrase) == 0
    assert "is confirmed" in text(client, "YES")[1]
    assert count(db, StaffAlert) == 0


def test_nobody_signed_out_can_add_a_phrase(client: FlaskClient, db: Database) -> None:
    before = table_rows(db, EmergencyPhrase)
    response = client.post("/staff/setup/emergency-phrases", data={"phrase": "see you"})
    assert response.status_code in (302, 400)
    assert table_rows(db, EmergencyPhrase) == before
