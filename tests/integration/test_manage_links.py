"""The personal link: confirm, ask for an earlier time, the link's lifetime and revocation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.calendar.availability import to_minutes
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    ManageToken,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Role,
    WaitlistEntry,
    WaitlistStatus,
)
from scheduler.patients.links import patient_for_token
from scheduler.staff.accounts import create_staff_user
from tests.support.factories import book, demo_clinic
from tests.support.queue import queued_tasks
from tests.support.staff import PASSWORD, csrf, sign_in

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def booked(db: Database, settings: Settings, clock: FrozenClock) -> tuple[str, int]:
    demo_clinic(db)
    result = book(db, settings, clock.now(), WEDNESDAY_10AM)
    return result.manage_token, result.appointment.id


def status(db: Database, appointment_id: int) -> AppointmentStatus:
    with db.session() as session:
        return session.get_one(Appointment, appointment_id).status


def test_a_patient_confirms_a_booked_visit_once(
    client: FlaskClient, db: Database, booked: tuple[str, int]
) -> None:
    token, visit_id = booked
    csrf_token = csrf(client, f"/m/{token}")
    url = f"/m/{token}/visits/{visit_id}/confirm"
    first = client.post(url, data={"csrf_token": csrf_token}, follow_redirects=True)
    assert "your visit is confirmed" in first.text
    assert status(db, visit_id) == AppointmentStatus.CONFIRMED
    again = client.post(url, data={"csrf_token": csrf_token}, follow_redirects=True)
    assert again.status_code == 200
    assert status(db, visit_id) == AppointmentStatus.CONFIRMED
    assert client.post(url, data={}).status_code == 400  # no CSRF token


def test_another_patients_visit_or_a_tampered_token_reveals_nothing(
    client: FlaskClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    booked: tuple[str, int],
) -> None:
    token, _visit_id = booked
    other = book(
        db, settings, clock.now(), WEDNESDAY_10AM + timedelta(hours=2), phone="+447400999888"
    )
    csrf_token = csrf(client, f"/m/{token}")
    foreign = client.post(
        f"/m/{token}/visits/{other.appointment.id}/confirm", data={"csrf_token": csrf_token}
    )
    assert foreign.status_code == 404 and "This link is not valid" in foreign.text
    assert status(db, other.appointment.id) == AppointmentStatus.BOOKED
    tampered = client.get(f"/m/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}")
    assert tampered.status_code == 404 and "Silva" not in tampered.text


def test_asking_for_an_earlier_time_joins_the_waitlist_and_can_be_withdrawn(
    client: FlaskClient, db: Database, booked: tuple[str, int]
) -> None:
    token, visit_id = booked
    csrf_token = csrf(client, f"/m/{token}")
    page = client.post(
        f"/m/{token}/visits/{visit_id}/earlier",
        data={"csrf_token": csrf_token},
        follow_redirects=True,
    ).text
    assert "You are on the list" in page and "Waiting for an earlier time" in page
    with db.session() as session:
        entry = session.scalars(select(WaitlistEntry)).one()
        assert (entry.appointment_id, entry.latest) == (visit_id, WEDNESDAY_10AM)
    client.post(f"/m/{token}/waitlist/{entry.id}/withdraw", data={"csrf_token": csrf_token})
    with db.session() as session:
        assert session.get_one(WaitlistEntry, entry.id).status == WaitlistStatus.WITHDRAWN


def test_a_link_lives_until_the_last_visit_plus_the_grace_period(
    db: Database, booked: tuple[str, int]
) -> None:
    token, visit_id = booked
    with db.transaction() as session:
        for stored in session.scalars(select(ManageToken)):
            stored.expires_at = datetime(2026, 3, 3, tzinfo=UTC)  # its own lifetime is over
        visit = session.get_one(Appointment, visit_id)
        visit.starts_at = datetime(2026, 9, 1, 10, tzinfo=UTC)
        visit.ends_at = visit.blocked_until = datetime(2026, 9, 1, 10, 45, tzinfo=UTC)
    with db.session() as session:
        assert patient_for_token(session, token, datetime(2026, 9, 20, tzinfo=UTC)) is not None
        grace_over = datetime(2026, 9, 1, 10, 45, tzinfo=UTC) + timedelta(days=90)
        assert patient_for_token(session, token, grace_over - timedelta(minutes=1)) is not None
        assert patient_for_token(session, token, grace_over) is None


def test_staff_revoke_a_link_and_the_new_one_is_texted_to_the_patient_only(
    client: FlaskClient, db: Database, clock: FrozenClock, booked: tuple[str, int]
) -> None:
    token, _visit_id = booked
    with db.transaction() as session:
        create_staff_user(
            session,
            email="desk@clinic.test",
            name="Desk",
            password=PASSWORD,
            role=Role.FRONT_DESK,
            now=clock.now(),
        )
        patient_id = session.scalars(select(ManageToken.patient_id)).one()
    sign_in(client, "desk@clinic.test")
    revoked = client.post(
        f"/staff/patients/{patient_id}/links/revoke",
        data={"csrf_token": csrf(client, "/staff")},
        follow_redirects=True,
    )
    assert "A new link was texted to the patient." in revoked.text
    assert re.search(r"/m/[A-Za-z0-9_-]{20,}", revoked.text) is None  # never shown to staff
    with db.session() as session:
        text = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == MessageKind.NEW_LINK)
        ).one()
        assert (text.patient_id, text.status) == (patient_id, MessageStatus.PENDING)
        assert session.scalar(select(func.count()).select_from(ManageToken)) == 2
    new_link = re.search(r"/m/([A-Za-z0-9_-]{20,})", text.body)
    assert new_link is not None
    assert client.get(f"/m/{token}").status_code == 404
    assert client.get(f"/m/{new_link.group(1)}").status_code == 200
    record = client.get(f"/staff/patients/{patient_id}").text
    assert new_link.group(1) not in record and token not in record  # the texts are masked


def test_moving_then_cancelling_from_the_page_queues_each_time_given_up(
    client: FlaskClient, db: Database, booked: tuple[str, int], redis_client: redis_lib.Redis
) -> None:
    token, visit_id = booked
    with db.session() as session:
        practitioner = session.get_one(Appointment, visit_id).practitioner_id
    thursday = WEDNESDAY_10AM + timedelta(days=1)
    csrf_token = csrf(client, f"/m/{token}")
    moved = client.post(
        f"/m/{token}/visits/{visit_id}/move",
        data={"csrf_token": csrf_token, "start": str(to_minutes(thursday))},
    )
    assert moved.status_code == 303
    cancelled = client.post(f"/m/{token}/visits/{visit_id}/cancel", data={"csrf_token": csrf_token})
    assert cancelled.status_code == 303
    assert status(db, visit_id) == AppointmentStatus.CANCELLED
    assert queued_tasks(redis_client) == [
        ("clinic.offer_freed_time", [practitioner, WEDNESDAY_10AM.isoformat()]),
        ("clinic.offer_freed_time", [practitioner, thursday.isoformat()]),
    ]
