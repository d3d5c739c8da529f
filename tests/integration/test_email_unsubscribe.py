"""Stopping emails in one click (RFC 8058), on both databases: the token is scoped to the
patient and their address, opening the link changes nothing, the one-click POST and the page's
button withdraw the email consent in the ledger once, texts go on, and the limit answers 429."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import Consent, ConsentKind, Patient
from scheduler.patients.email_unsubscribe import (
    CHANNEL_ONE_CLICK,
    CHANNEL_PAGE,
    REFUSED,
    Outcome,
    UnsubscribeRefused,
    unsubscribe,
    unsubscribe_token,
    unsubscribe_url,
)
from scheduler.visits.booking import PatientDetails
from tests.support.factories import book, demo_clinic

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
EMAIL = "ana@example.com"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
DONE = "You will get no more emails from Clearwater Clinic. Texts are not affected."
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


@pytest.fixture
def patient_id(db: Database, settings: Settings, clock: FrozenClock) -> int:
    """A patient who gave an email and said yes to emails (and to appointment texts)."""
    booked = book(
        db,
        settings,
        clock.now(),
        WEDNESDAY_10AM,
        patient=PatientDetails("Ana", "Silva", "07400 123456", email=EMAIL),
        consent_email=True,
    )
    return booked.patient.id


@pytest.fixture
def token(settings: Settings, patient_id: int) -> str:
    return unsubscribe_token(settings.secret_key, patient_id, EMAIL)


def email_answers(db: Database, patient_id: int) -> list[tuple[bool, str]]:
    with db.session() as session:
        rows = session.scalars(
            select(Consent)
            .where(Consent.patient_id == patient_id, Consent.kind == ConsentKind.EMAIL)
            .order_by(Consent.id)
        )
        return [(c.granted, c.channel) for c in rows]


def texts_go_on(db: Database, patient_id: int) -> bool:
    with db.session() as session:
        patient = session.get_one(Patient, patient_id)
        return patient.consents_to(ConsentKind.REMINDERS) and patient.sms_opted_out_at is None


def path(token: str) -> str:
    return f"/email/unsubscribe/{token}"


# -- The token ----------------------------------------------------------------------------------


def test_the_url_is_built_from_the_public_address_and_names_no_address(
    db: Database, settings: Settings, patient_id: int, token: str
) -> None:
    with db.session() as session:
        url = unsubscribe_url(settings, session.get_one(Patient, patient_id))
    assert url == f"https://book.example.test/email/unsubscribe/{token}"
    assert "ana" not in url.split("/")[-1].lower() and "example.com" not in url


def test_the_token_is_scoped_to_the_patient_and_the_address(
    db: Database, settings: Settings, clock: FrozenClock, patient_id: int
) -> None:
    other = book(
        db,
        settings,
        clock.now(),
        datetime(2026, 3, 4, 11, 0, tzinfo=UTC),
        patient=PatientDetails("Bo", "Lee", "07400 999888", email="bo@example.com"),
        consent_email=True,
    ).patient.id
    secret = settings.secret_key
    wrong = [
        unsubscribe_token(secret, patient_id, "bo@example.com"),  # another's address
        unsubscribe_token(secret, other, EMAIL),  # another patient
        unsubscribe_token("another-secret-key", patient_id, EMAIL),  # not signed by us
        unsubscribe_token(secret, patient_id, EMAIL)[:-2],  # damaged
        "not-a-token",
    ]
    for bad in wrong:
        with db.transaction() as session, pytest.raises(UnsubscribeRefused) as refused:
            unsubscribe(session, bad, clock.now(), CHANNEL_ONE_CLICK, secret_key=secret)
        assert str(refused.value) == REFUSED
    assert email_answers(db, patient_id) == [(True, "api")]
    assert email_answers(db, other) == [(True, "api")]


def test_a_changed_address_makes_the_old_token_stale(
    client: FlaskClient, db: Database, settings: Settings, patient_id: int, token: str
) -> None:
    with db.transaction() as session:
        session.get_one(Patient, patient_id).email = "ana@new.example"
    refused = client.post(path(token), data=ONE_CLICK)
    assert refused.status_code == 404
    assert REFUSED in refused.text and 'class="error-page"' in refused.text
    assert client.get(path(token)).status_code == 404
    assert email_answers(db, patient_id) == [(True, "api")]
    fresh = unsubscribe_token(settings.secret_key, patient_id, "ana@new.example")
    assert client.post(path(fresh), data=ONE_CLICK).status_code == 200


# -- The page and the one-click POST ------------------------------------------------------------


def test_opening_the_link_asks_first_and_changes_nothing(
    client: FlaskClient, db: Database, patient_id: int, token: str
) -> None:
    for _ in range(3):  # a mail scanner following the link, then the patient
        page = client.get(path(token))
        assert page.status_code == 200
    assert "Stop emails from Clearwater Clinic?" in page.text
    assert '<button type="submit">Stop emails</button>' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert email_answers(db, patient_id) == [(True, "api")]


def test_a_mail_clients_one_click_post_stops_emails_once_and_texts_go_on(
    app: Flask, db: Database, patient_id: int, token: str
) -> None:
    client = app.test_client(use_cookies=False)  # a mail provider's server: no cookie, no token
    done = client.post(path(token), data=ONE_CLICK)
    assert done.status_code == 200 and DONE in done.text
    assert email_answers(db, patient_id) == [(True, "api"), (False, CHANNEL_ONE_CLICK)]
    again = client.post(path(token), data=ONE_CLICK)
    assert again.status_code == 200 and DONE in again.text
    assert email_answers(db, patient_id) == [(True, "api"), (False, CHANNEL_ONE_CLICK)]
    assert texts_go_on(db, patient_id)


def test_the_pages_button_stops_emails_with_its_csrf_token(
    client: FlaskClient, db: Database, patient_id: int, token: str
) -> None:
    found = CSRF.search(client.get(path(token)).text)
    assert found
    done = client.post(path(token), data={"csrf_token": found.group(1)})
    assert done.status_code == 200 and DONE in done.text
    assert email_answers(db, patient_id)[-1] == (False, CHANNEL_PAGE)
    assert texts_go_on(db, patient_id)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"List-Unsubscribe": "one-click"},
        {"List-Unsubscribe": "One-Click ", "csrf_token": "forged"},
        {"csrf_token": "forged"},
        {"unsubscribe": "yes"},
    ],
)
def test_any_other_post_is_refused_and_writes_nothing(
    app: Flask, db: Database, patient_id: int, token: str, body: dict[str, str]
) -> None:
    refused = app.test_client().post(path(token), data=body)
    assert refused.status_code == 400 and "This form has expired" in refused.text
    assert email_answers(db, patient_id) == [(True, "api")]


def test_the_one_click_field_twice_is_refused(
    app: Flask, db: Database, patient_id: int, token: str
) -> None:
    body = "List-Unsubscribe=One-Click&List-Unsubscribe=One-Click"
    refused = app.test_client().post(
        path(token), data=body, content_type="application/x-www-form-urlencoded"
    )
    assert refused.status_code == 400
    assert email_answers(db, patient_id) == [(True, "api")]


def test_a_bad_token_is_a_404_page_in_the_sites_style(
    client: FlaskClient, db: Database, patient_id: int
) -> None:
    for answer in (client.get(path("nonsense")), client.post(path("nonsense"), data=ONE_CLICK)):
        assert answer.status_code == 404
        assert REFUSED in answer.text and "Book a visit" in answer.text
    assert email_answers(db, patient_id) == [(True, "api")]


def test_a_patient_who_said_no_to_emails_is_told_the_same_and_nothing_is_recorded(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock
) -> None:
    declined = book(
        db,
        settings,
        clock.now(),
        WEDNESDAY_10AM,
        patient=PatientDetails("Ana", "Silva", "07400 123456", email=EMAIL),
        consent_email=False,
    ).patient.id
    token = unsubscribe_token(settings.secret_key, declined, EMAIL)
    with db.transaction() as session:
        outcome = unsubscribe(
            session, token, clock.now(), CHANNEL_ONE_CLICK, secret_key=settings.secret_key
        )
    assert outcome.outcome == Outcome.ALREADY
    done = client.post(path(token), data=ONE_CLICK)
    assert done.status_code == 200 and DONE in done.text
    assert email_answers(db, declined) == [(False, "api")]


def test_one_link_posting_again_and_again_is_limited(
    app: Flask, db: Database, patient_id: int, token: str
) -> None:
    client = app.test_client(use_cookies=False)
    statuses = [client.post(path(token), data=ONE_CLICK).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    refused = client.post(path(token), data=ONE_CLICK)
    assert int(refused.headers["Retry-After"]) > 0
    assert email_answers(db, patient_id) == [(True, "api"), (False, CHANNEL_ONE_CLICK)]


def test_one_click_posts_side_by_side_record_one_withdrawal(
    db: Database, settings: Settings, clock: FrozenClock, patient_id: int, token: str
) -> None:
    def stop() -> Outcome:
        return db.retrying(
            lambda session: unsubscribe(
                session, token, clock.now(), CHANNEL_ONE_CLICK, secret_key=settings.secret_key
            )
        ).outcome

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = sorted(pool.map(lambda _: stop(), range(4)))
    assert outcomes == [Outcome.ALREADY] * 3 + [Outcome.WITHDRAWN]
    assert email_answers(db, patient_id) == [(True, "api"), (False, CHANNEL_ONE_CLICK)]
