"""Patient pages that answer the obvious questions: what was booked and whether a text is
coming, a calendar file per visit, a short time-zone list, course phases in plain words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from scheduler.db import Database
from scheduler.models import Appointment, Patient
from tests.integration.test_booking_wizard import at_the_plan, first_slot, migraine_id, plan_url
from tests.integration.test_booking_wizard import form as course_form
from tests.integration.test_code_step_pages import post_visit, visit_form
from tests.support.booking_requests import PHONE, enter_code
from tests.support.factories import demo_clinic, ids


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def book_on_the_page(client: FlaskClient, db: Database, **changes: str) -> str:
    """Book acupuncture on Wednesday 4 March at 10:00 on the pages; the personal page's path."""
    answer = post_visit(client, visit_form(client, db, **changes))
    booked = enter_code(client, db, answer, changes.get("phone", PHONE))
    assert booked.status_code == 303, booked.text
    return str(booked.headers["Location"])


def only_visit(db: Database) -> Appointment:
    with db.session() as session:
        return session.scalars(select(Appointment)).one()


def test_a_booked_visit_lands_on_you_are_booked_with_the_time_practitioner_and_a_text_coming(
    client: FlaskClient, db: Database
) -> None:
    page = client.get(book_on_the_page(client, db)).text
    assert "You&#39;re booked: Acupuncture on Wednesday 4 March at 10:00 with Dr" in page
    assert "We will text you a confirmation." in page


def test_a_patient_who_said_no_to_texts_is_not_promised_a_confirmation_text(
    client: FlaskClient, db: Database
) -> None:
    page = client.get(book_on_the_page(client, db, consent_reminders="no")).text
    assert "You&#39;re booked: Acupuncture on Wednesday 4 March at 10:00" in page
    assert "We will not text you a confirmation" in page
    assert "We will text you a confirmation." not in page


def test_a_booked_course_says_so_with_its_first_visit(client: FlaskClient, db: Database) -> None:
    template_id, slot, token = at_the_plan(client)
    answer = client.post(f"/course/{template_id}/book", data=course_form(slot, token))
    page = client.get(enter_code(client, db, answer).headers["Location"]).text
    assert "Your course is booked. Your first visit: Initial consultation on" in page
    assert "We will text you a confirmation." in page


def test_each_upcoming_visit_has_a_calendar_file_with_one_event_in_utc(
    client: FlaskClient, db: Database
) -> None:
    overview = book_on_the_page(client, db)
    visit = only_visit(db)
    link = f"{overview}/visits/{visit.id}.ics"
    assert f'href="{link}"' in client.get(overview).text
    first, again = client.get(link), client.get(link)
    assert first.status_code == 200 and first.mimetype == "text/calendar"
    assert first.headers["Cache-Control"] == "no-store"
    events = Calendar.from_ical(first.data).walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert event.decoded("dtstart") == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert event.decoded("dtend") == visit.ends_at.astimezone(UTC)
    assert str(event["uid"]) == str(Calendar.from_ical(again.data).walk("VEVENT")[0]["uid"])
    assert str(event["location"]) == "Clearwater Clinic"
    assert "Acupuncture" not in first.text and "igraine" not in first.text


def test_the_calendar_file_of_another_patients_visit_is_not_found(
    client: FlaskClient, db: Database
) -> None:
    mine = book_on_the_page(client, db)
    others = book_on_the_page(client, db, at="11:00", phone="07400 654321", first_name="Bo")
    with db.session() as session:
        bo = session.scalars(select(Patient).where(Patient.first_name == "Bo")).one()
        theirs = session.scalars(select(Appointment).where(Appointment.patient_id == bo.id)).one()
    assert client.get(f"{others}/visits/{theirs.id}.ics").status_code == 200
    assert client.get(f"{mine}/visits/{theirs.id}.ics").status_code == 404


def test_the_time_zone_list_is_short_with_the_clinics_zone_first_and_every_zone_behind_it(
    client: FlaskClient, db: Database
) -> None:
    page = client.get(f"/visit?service_id={ids(db)[0]}").text
    short = page.split('id="time_zone"', 1)[1].split("</select>", 1)[0]
    assert short.count("<option") <= 16
    assert short.index("UK (London), the clinic&#39;s time") < short.index("Ireland (Dublin)")
    assert 'value="other"' in short and "Other…" in short
    assert 'name="time_zone_other"' in page and 'value="Pacific/Auckland"' in page
    assert "/static/timezone.js" in page and "<script>" not in page


def test_a_zone_chosen_from_the_full_list_is_the_patients_zone(
    client: FlaskClient, db: Database
) -> None:
    book_on_the_page(client, db, time_zone="other", time_zone_other="Pacific/Auckland")
    with db.session() as session:
        assert session.scalars(select(Patient.time_zone)).one() == "Pacific/Auckland"


def test_other_with_no_zone_chosen_asks_for_one_and_books_nothing(
    client: FlaskClient, db: Database
) -> None:
    answer = post_visit(client, visit_form(client, db, time_zone="other"))
    assert answer.status_code == 422
    assert "Choose a time zone from the list." in answer.text
    with db.session() as session:
        assert session.scalars(select(Appointment)).first() is None


def test_course_phases_reach_patients_in_plain_words(client: FlaskClient) -> None:
    start = client.get("/").text
    assert "First visit: Initial consultation" in start
    assert "Twice a week for 4 weeks: Acupuncture" in start
    assert "Initial consultation, one visit" not in start
    plan = client.get(at_the_plan_url(client)).text
    assert "Twice a week for 4 weeks" in plan and "Acute stabilisation" not in plan


def at_the_plan_url(client: FlaskClient) -> str:
    """The migraine course's plan page for its first free time."""
    template_id = migraine_id(client)
    return plan_url(template_id, first_slot(client, template_id))


def test_the_personal_page_names_course_phases_in_plain_words(
    client: FlaskClient, db: Database
) -> None:
    template_id, slot, token = at_the_plan(client)
    answer = client.post(f"/course/{template_id}/book", data=course_form(slot, token))
    page = client.get(enter_code(client, db, answer).headers["Location"]).text
    assert "First visit" in page and "Twice a week for 4 weeks" in page
    assert "Every 4 to 8 weeks" in page and "Acute stabilisation" not in page
