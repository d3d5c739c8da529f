"""A returning patient's new screen that stops a new course: kept on their record, staff told."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.db import Database
from scheduler.models import Appointment, Patient, SafetyScreen, StaffAlert
from tests.integration.test_booking_wizard import at_the_plan, form
from tests.support.booking_requests import enter_code
from tests.support.factories import demo_clinic


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def test_a_returning_patients_stopping_answer_goes_on_their_record_and_books_nothing(
    client: FlaskClient, db: Database
) -> None:
    template_id, slot, token = at_the_plan(client)
    first = enter_code(
        client, db, client.post(f"/course/{template_id}/book", data=form(slot, token))
    )
    link = first.headers["Location"].rsplit("/m/", 1)[1]
    later = client.get(f"/course/{template_id}?date=2026-03-06&token={link}").text
    slot2 = re.findall(r'name="slot" value="([^"]+)"', later)[0]
    values = form(slot2, token, date="2026-03-06", safety_thunderclap="yes")
    values["token"] = link
    for field in ("first_name", "last_name", "phone", "consent_reminders"):
        values.pop(field)
    with db.session() as s:
        visits_before = s.scalar(select(func.count()).select_from(Appointment))
    response = client.post(f"/course/{template_id}/book", data=values)
    assert response.status_code == 200
    assert "Please get emergency help now" in response.text
    assert "will call you" in response.text
    with db.session() as s:
        patient_id = s.scalars(select(Patient.id)).one()
        assert s.scalar(select(func.count()).select_from(Appointment)) == visits_before
        screens = s.scalars(select(SafetyScreen).order_by(SafetyScreen.id)).all()
        assert [(sc.patient_id, sc.tier) for sc in screens] == [
            (patient_id, "clear"),
            (patient_id, "emergent"),
        ]
        alert = s.scalars(select(StaffAlert)).one()
        assert (alert.kind, alert.patient_id) == ("safety_emergent", patient_id)
