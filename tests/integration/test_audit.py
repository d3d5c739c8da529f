"""The audit trail records who created and changed appointments, courses and patients."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import Appointment, AppointmentStatus
from scheduler.records.audit import Actor, acting_as, history
from tests.support.booking_requests import proven
from tests.support.factories import api_booking, demo_clinic, ids

WEDNESDAY_10AM = "2026-03-04T10:00:00+00:00"


def test_a_web_booking_is_recorded_as_the_patients_with_its_values(
    client: FlaskClient, db: Database, clock: FrozenClock
) -> None:
    demo_clinic(db)
    service_id, practitioner_id = ids(db)
    created = client.post(
        "/api/v1/bookings",
        json=proven(client, db, api_booking(service_id, practitioner_id, WEDNESDAY_10AM)),
    ).get_json()
    with db.session() as session:
        events = history(session, "appointment", created["appointment"]["id"])
    assert len(events) == 1
    event = events[0]
    assert (event.actor_kind, event.action, event.at) == ("patient", "created", clock.now())
    assert event.changes["status"] == [None, "booked"]
    assert event.via == "bookings.Bookings"


def test_a_staff_change_names_the_staff_member_and_the_old_and_new_values(
    client: FlaskClient, db: Database, clock: FrozenClock
) -> None:
    demo_clinic(db)
    service_id, practitioner_id = ids(db)
    created = client.post(
        "/api/v1/bookings",
        json=proven(client, db, api_booking(service_id, practitioner_id, WEDNESDAY_10AM)),
    ).get_json()
    staff = Actor(kind="staff", label="Dana Desk", id=7, via="test", at=clock.now())
    with acting_as(staff), db.transaction() as session:
        visit = session.get_one(Appointment, created["appointment"]["id"])
        visit.status = AppointmentStatus.CONFIRMED
    with db.session() as session:
        changed = history(session, "appointment", visit.id)[-1]
    assert (changed.actor_kind, changed.actor_label, changed.actor_id) == ("staff", "Dana Desk", 7)
    assert changed.changes == {"status": ["booked", "confirmed"]}


def test_a_change_outside_any_request_is_the_systems_and_a_no_op_is_not_recorded(
    db: Database, client: FlaskClient
) -> None:
    demo_clinic(db)
    service_id, practitioner_id = ids(db)
    created = client.post(
        "/api/v1/bookings",
        json=proven(client, db, api_booking(service_id, practitioner_id, WEDNESDAY_10AM)),
    ).get_json()
    with acting_as(Actor(kind="system", label="system", via="sweep")), db.transaction() as s:
        visit = s.get_one(Appointment, created["appointment"]["id"])
        visit.status = visit.status  # no change
        visit.planning_note = "kept the Wednesday"
    with db.session() as session:
        events = history(session, "appointment", visit.id)
    assert [e.action for e in events] == ["created", "changed"]
    assert events[-1].actor_kind == "system"
    assert events[-1].changes == {"planning_note": ["", "kept the Wednesday"]}
    assert events[-1].at <= datetime.now(UTC)


def test_after_a_request_changes_are_the_systems_again(client: FlaskClient, db: Database) -> None:
    demo_clinic(db)
    service_id, practitioner_id = ids(db)
    created = client.post(
        "/api/v1/bookings",
        json=proven(client, db, api_booking(service_id, practitioner_id, WEDNESDAY_10AM)),
    ).get_json()
    with db.transaction() as session:
        visit = session.get_one(Appointment, created["appointment"]["id"])
        visit.planning_note = "changed by a task"
    with db.session() as session:
        assert history(session, "appointment", visit.id)[-1].actor_kind == "system"
