"""Replies go to the patient who proved the number: another record with the same number (a
stranger's, a stopped screen's) never takes the owner's C, X or diary answer; STOP still
reaches every record with the number."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings, TwilioSettings
from scheduler.db import Database
from scheduler.models import Appointment, AppointmentStatus, InboundMessage, Patient
from scheduler.visits.booking import book_visit
from tests.integration.test_inbound_sms import TOKEN, status_of, text
from tests.support.booking_requests import PHONE, prove_phone
from tests.support.factories import book, booking_request, demo_clinic
from web.app import create_app

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def sms_settings(settings: Settings) -> Settings:
    return replace(settings, twilio=TwilioSettings(auth_token=TOKEN))


@pytest.fixture
def app(sms_settings: Settings, clock: FrozenClock) -> Flask:
    return create_app(sms_settings, clock)


@pytest.fixture
def owners_visit(db: Database, sms_settings: Settings, clock: FrozenClock) -> Appointment:
    """A visit booked by the patient who proved the number with a code."""
    demo_clinic(db)
    request = booking_request(db, WEDNESDAY_10AM + timedelta(days=1))
    proof = prove_phone(db, sms_settings, clock.now())
    with db.transaction() as session:
        return book_visit(
            session, replace(request, phone_proof=proof), settings=sms_settings, now=clock.now()
        ).appointment


@pytest.fixture
def strangers_visit(
    db: Database, sms_settings: Settings, clock: FrozenClock, owners_visit: Appointment
) -> Appointment:
    """A later record with the owner's number and an earlier visit, its number never proven
    (as anyone could make one before numbers were proven)."""
    return book(db, sms_settings, clock.now(), WEDNESDAY_10AM, first_name="Eve").appointment


def test_the_owners_c_confirms_the_owners_visit_never_a_strangers(
    client: FlaskClient, db: Database, owners_visit: Appointment, strangers_visit: Appointment
) -> None:
    twiml = text(client, "C")[1]
    assert "is confirmed" in twiml and "Thu 5 Mar at 10:00" in twiml
    assert status_of(db, owners_visit.id) == AppointmentStatus.CONFIRMED
    assert status_of(db, strangers_visit.id) == AppointmentStatus.BOOKED
    with db.session() as session:
        sender = session.scalars(select(InboundMessage.patient_id)).one()
    assert sender == owners_visit.patient_id


def test_the_owners_x_cancels_only_the_owners_visit(
    client: FlaskClient, db: Database, owners_visit: Appointment, strangers_visit: Appointment
) -> None:
    assert "Thu 5 Mar" in text(client, "X")[1]
    assert "is cancelled" in text(client, "X")[1]
    assert status_of(db, owners_visit.id) == AppointmentStatus.CANCELLED
    assert status_of(db, strangers_visit.id) == AppointmentStatus.BOOKED


def test_stop_from_the_number_reaches_every_record_with_it(
    client: FlaskClient, db: Database, owners_visit: Appointment, strangers_visit: Appointment
) -> None:
    assert "no more texts" in text(client, "STOP")[1]
    with db.session() as session:
        for patient_id in (owners_visit.patient_id, strangers_visit.patient_id):
            assert session.get_one(Patient, patient_id).sms_opted_out_at is not None


def test_without_a_proven_owner_a_record_with_a_visit_answers_before_a_newer_empty_one(
    client: FlaskClient, db: Database, sms_settings: Settings, clock: FrozenClock
) -> None:
    demo_clinic(db)
    visit = book(db, sms_settings, clock.now(), WEDNESDAY_10AM).appointment
    with db.transaction() as session:  # a stopped screen's record: contact details, no visit
        session.add(
            Patient(
                first_name="Eve",
                last_name="Stranger",
                phone_e164=PHONE,
                time_zone="Europe/London",
                created_at=clock.now(),
            )
        )
    assert "is confirmed" in text(client, "C")[1]
    assert status_of(db, visit.id) == AppointmentStatus.CONFIRMED
