"""The emergency phrases set-up page on both databases: adding and removing a phrase, refused
input that changes nothing, who may use it, and a phrase that then makes a text an emergency."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings, TwilioSettings
from scheduler.db import Database
from scheduler.models import Appointment, EmergencyPhrase, InboundMessage, StaffAlert
from tests.integration.test_inbound_sms import TOKEN, WEDNESDAY_10AM, text
from tests.support.factories import book
from tests.support.staff import create_accounts, csrf, log_in
from tests.support.table_rows import table_rows
from web.app import create_app

PAGE = "/staff/setup/emergency-phrases"


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


def signed_in(client: FlaskClient, email: str) -> str:
    """Sign ``email`` in; the CSRF token for the forms that follow."""
    assert log_in(client, email) == 303
    return csrf(client)


def add(client: FlaskClient, token: str, phrase: str) -> tuple[int, str]:
    response = client.post(PAGE, data={"csrf_token": token, "phrase": phrase})
    return response.status_code, response.get_data(as_text=True)


def stored(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(EmergencyPhrase.phrase).order_by(EmergencyPhrase.id)))


def alerts(db: Database) -> list[StaffAlert]:
    with db.session() as session:
        return list(session.scalars(select(StaffAlert)))


def test_a_phrase_an_admin_adds_makes_a_text_with_it_an_emergency(
    client: FlaskClient, db: Database, logins: dict[str, str], visit: Appointment
) -> None:
    assert "did not understand" in text(client, "my tongue feels heavy")[1]
    assert alerts(db) == []
    token = signed_in(client, logins["admin"])
    status, _ = add(client, token, "  Tongue feels HEAVY ")
    assert status == 303
    page = client.get(PAGE).get_data(as_text=True)
    assert "Phrase added" in page and "tongue feels heavy" in page
    assert stored(db) == ["tongue feels heavy"]
    twiml = text(client, "My tongue feels heavy…")[1]
    assert "call 999 now" in twiml
    [alert] = alerts(db)
    assert (alert.kind, alert.patient_id) == ("emergency_words", visit.patient_id)


def test_a_phrase_typed_with_a_curly_apostrophe_matches_every_spelling(
    client: FlaskClient, db: Database, logins: dict[str, str], visit: Appointment
) -> None:
    token = signed_in(client, logins["admin"])
    assert add(client, token, "Can\u2019t swallow")[0] == 303  # as a phone types it
    assert stored(db) == ["cant swallow"]
    for body in ("I cannot swallow", "CAN'T SWALLOW!", "unable to swallow"):
        assert "call 999 now" in text(client, body)[1], body
    with db.session() as session:
        understood = session.scalars(select(InboundMessage.understood_as)).all()
    assert understood == ["emergency"] * 3 and alerts(db)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "This is required."),
        ("   ", "This is required."),
        ("ab", "Enter at least 3 letters or digits."),
        ("!?!", "Enter at least 3 letters or digits."),
        ("x" * 121, "Use at most 120 characters."),
        ("tongue\x00heavy", "Use letters, digits, spaces and punctuation only."),
        ("STOP", "cannot also mean an emergency"),
        ("yes please", "cannot also mean an emergency"),
        ("Help", "cannot also mean an emergency"),
        ("please stop texting me", "cannot also mean an emergency"),
        ("7 3h M", "cannot also mean an emergency"),
        ("thank you", "everyday replies"),
        ("worst headache ever", "already get the emergency advice"),
        ("my arm is numb", "already get the emergency advice"),
        ("Tongue, feels heavy!", "already in the list"),
    ],
)
def test_a_refused_phrase_shows_why_next_to_the_field_and_changes_nothing(
    client: FlaskClient, db: Database, logins: dict[str, str], typed: str, message: str
) -> None:
    token = signed_in(client, logins["admin"])
    assert add(client, token, "tongue feels heavy")[0] == 303
    before = table_rows(db, EmergencyPhrase)
    status, page = add(client, token, typed)
    assert status == 422
    assert 'id="phrase-error"' in page and message in page
    assert table_rows(db, EmergencyPhrase) == before


def test_a_removed_phrase_no_longer_counts(
    client: FlaskClient, db: Database, logins: dict[str, str], visit: Appointment
) -> None:
    token = signed_in(client, logins["admin"])
    add(client, token, "tongue feels heavy")
    with db.session() as session:
        phrase_id = session.scalars(select(EmergencyPhrase.id)).one()
    response = client.post(f"{PAGE}/{phrase_id}/remove", data={"csrf_token": token})
    assert response.status_code == 303
    assert "Phrase removed." in client.get(PAGE).get_data(as_text=True)
    assert stored(db) == []
    assert "did not understand" in text(client, "my tongue feels heavy")[1]
    assert alerts(db) == []


def test_removing_a_phrase_that_is_not_there_is_404_and_changes_nothing(
    client: FlaskClient, db: Database, logins: dict[str, str]
) -> None:
    token = signed_in(client, logins["admin"])
    add(client, token, "tongue feels heavy")
    before = table_rows(db, EmergencyPhrase)
    assert client.post(f"{PAGE}/9999/remove", data={"csrf_token": token}).status_code == 404
    assert table_rows(db, EmergencyPhrase) == before


@pytest.mark.parametrize("who", ["desk", "lin"])
def test_the_front_desk_and_practitioners_may_neither_add_nor_remove_a_phrase(
    client: FlaskClient, db: Database, logins: dict[str, str], who: str
) -> None:
    token = signed_in(client, logins["admin"])
    add(client, token, "tongue feels heavy")
    client.post("/staff/logout", data={"csrf_token": token})
    before = table_rows(db, EmergencyPhrase)
    token = signed_in(client, logins[who])
    assert client.get(PAGE).status_code == 403
    assert add(client, token, "jaw feels heavy")[0] == 403
    assert client.post(f"{PAGE}/1/remove", data={"csrf_token": token}).status_code == 403
    assert table_rows(db, EmergencyPhrase) == before


def test_a_phrase_without_its_csrf_token_is_refused_and_nothing_is_added(
    client: FlaskClient, db: Database, logins: dict[str, str]
) -> None:
    signed_in(client, logins["admin"])
    assert client.post(PAGE, data={"phrase": "tongue feels heavy"}).status_code == 400
    assert stored(db) == []


def test_the_set_up_index_links_the_phrases_page_which_lists_the_built_in_ones(
    client: FlaskClient, logins: dict[str, str]
) -> None:
    signed_in(client, logins["admin"])
    assert f'href="{PAGE}"' in client.get("/staff/setup").get_data(as_text=True)
    page = client.get(PAGE).get_data(as_text=True)
    assert "None yet." in page and "thunderclap" in page and "slurred" in page
