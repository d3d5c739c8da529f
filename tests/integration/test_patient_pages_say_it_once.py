"""Patient pages that say each thing once and truly, over HTTP on both databases: the course
plan's refusal, a diary day that has an attack, texts the patient's choices hold back, and the
personal page's own forms refused by their fields."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import Appointment, Consent, WaitlistEntry
from scheduler.visits.cancellation import cancel_visit
from tests.integration.test_booking_wizard import at_the_plan, counts, form
from tests.integration.test_diary_pages import csrf, token
from tests.integration.test_diary_truth import attack_post
from tests.support.factories import demo_clinic

__all__ = ["token"]  # the fixture, shared with the diary pages' tests


def test_a_refused_course_plan_names_its_problems_once(client: FlaskClient, db: Database) -> None:
    demo_clinic(db)
    template_id, slot, csrf_token = at_the_plan(client)
    response = client.post(f"/course/{template_id}/book", data=form(slot, csrf_token, phone="12"))
    assert response.status_code == 422
    page = response.text
    assert page.count('role="alert"') == 1  # the error summary, and no second warning
    assert page.count("There is a problem") == 1
    assert "Please check the answers marked below." not in page
    assert counts(db) == (0, 0, 0, 0)


def test_a_day_with_an_attack_is_not_offered_as_pain_free(client: FlaskClient, token: str) -> None:
    value = csrf(client, f"/m/{token}/diary")
    assert client.post(f"/m/{token}/diary/attack", data=attack_post(value)).status_code == 303
    page = client.get(f"/m/{token}/diary?day=2026-03-01").text
    assert "Pain-free that day" not in page
    assert "/diary/pain-free" not in page
    assert (
        "A headache day: you recorded an attack on it (Sun 1 Mar 21:00 to 23:30, worst pain 8)."
        in page
    )
    assert "Your pain that day" in page
    other = client.get(f"/m/{token}/diary?day=2026-02-28").text
    assert "Pain-free that day" in other and "A headache day" not in other


def choose_texts(client: FlaskClient, token: str, reminders: str) -> str:
    value = csrf(client, f"/m/{token}")
    choices = {"csrf_token": value, "reminders": reminders, "diary_prompts": "no"}
    return client.post(f"/m/{token}/texts", data=choices, follow_redirects=True).text


def statuses(page: str) -> list[str]:
    table = page.split('<table class="messages">')[1].split("</table>")[0]
    return [row.rsplit("<td>", 1)[1].split("</td>")[0] for row in table.split("<tr class=")[2:]]


def test_texts_held_back_by_the_patients_choice_say_they_will_not_be_sent(
    client: FlaskClient, token: str
) -> None:
    planned = statuses(client.get(f"/m/{token}").text)
    assert "planned" in planned and "pending" not in planned
    page = choose_texts(client, token, "no")
    said = statuses(page)
    assert "Not sent: you said no to appointment texts" in said
    assert "pending" not in said and "planned" not in said
    assert "planned" in statuses(choose_texts(client, token, "yes"))


def consents_kept(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Consent)) or 0


@pytest.mark.parametrize(
    ("choices", "problems"),
    [
        ({}, ["reminders", "diary_prompts"]),
        ({"reminders": "yes", "diary_prompts": "maybe"}, ["diary_prompts"]),
    ],
)
def test_text_choices_without_an_answer_are_refused_by_the_field_and_change_nothing(
    client: FlaskClient, token: str, db: Database, choices: dict[str, str], problems: list[str]
) -> None:
    before = consents_kept(db)
    form = {"csrf_token": csrf(client, f"/m/{token}"), **choices}
    refused = client.post(f"/m/{token}/texts", data=form)
    assert refused.status_code == 422
    summary = refused.text.split('class="error-summary"')[1].split("</div>")[0]
    assert re.findall(r'href="#([a-z_]+)"', summary) == problems
    for field in problems:
        assert f'id="{field}-error"' in refused.text
    assert consents_kept(db) == before


def test_asking_earlier_for_a_cancelled_visit_is_refused_by_the_visit(
    client: FlaskClient, token: str, db: Database, clock: FrozenClock
) -> None:
    with db.transaction() as session:
        visit_id = session.scalars(select(Appointment.id)).one()
        cancel_visit(session, visit_id, clock.now())
    value = csrf(client, f"/m/{token}")
    refused = client.post(f"/m/{token}/visits/{visit_id}/earlier", data={"csrf_token": value})
    assert refused.status_code == 422
    assert f'<a href="#visit-{visit_id}">This visit is no longer booked' in refused.text
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(WaitlistEntry)) == 0
