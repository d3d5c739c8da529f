"""Staff sign-in, roles, the messaging monitor and a patient's thread, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import (
    InboundMessage,
    MessageKind,
    MessageStatus,
    OutboundMessage,
)
from tests.support.factories import book
from tests.support.staff import PASSWORD, create_accounts, csrf, log_in, sign_in

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def accounts(db: Database, clock: FrozenClock) -> dict[str, str]:
    return create_accounts(db, clock)


@pytest.fixture
def patient_with_thread(db: Database, settings: Settings, clock: FrozenClock, accounts) -> int:  # type: ignore[no-untyped-def]
    result = book(db, settings, clock.now(), WEDNESDAY_10AM)
    with db.transaction() as session:
        session.add(
            InboundMessage(
                provider_sid="SM" + "1" * 32,
                from_phone=result.patient.phone_e164,
                to_phone="+15005550006",
                body="7 3h M",
                patient_id=result.patient.id,
                understood_as="diary",
                reply="Thank you",
                received_at=clock.now(),
            )
        )
        failed = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == MessageKind.CONFIRMATION)
        ).one()
        failed.status = MessageStatus.FAILED
        failed.error_code = "21211"
    return result.patient.id


@pytest.mark.parametrize("path", ["/staff", "/staff/messages", "/staff/password"])
def test_every_staff_page_without_a_session_redirects_to_login(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize(
    "path", ["/api/v1/staff/messages/monitor", "/api/v1/staff/patients/1/messages"]
)
def test_every_staff_api_call_without_a_session_gets_401(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 401


def test_signing_in_and_out(client: FlaskClient, accounts: dict[str, str]) -> None:
    assert log_in(client, accounts["desk"]) == 303
    assert client.get("/staff").status_code == 200
    token = csrf(client)
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/staff").status_code == 302


def test_a_wrong_password_is_refused_without_saying_which_part(
    client: FlaskClient, accounts: dict[str, str]
) -> None:
    response_code = log_in(client, accounts["desk"], "wrong password!!")
    assert response_code == 401
    assert log_in(client, "nobody@clinic.test") == 401


def test_the_sixth_wrong_password_in_a_minute_gets_429(
    client: FlaskClient, accounts: dict[str, str], redis_client
) -> None:  # type: ignore[no-untyped-def]
    codes = [log_in(client, accounts["admin"], "wrong password!!") for _ in range(6)]
    assert codes == [401] * 5 + [429]
    assert log_in(client, accounts["admin"]) == 429  # even the right one, for a minute


def test_a_login_post_without_csrf_is_refused(
    client: FlaskClient, accounts: dict[str, str]
) -> None:
    response = client.post("/staff/login", data={"email": accounts["admin"], "password": PASSWORD})
    assert response.status_code == 400


def test_the_front_desk_sees_the_monitor_and_a_thread_without_diary_words(
    client: FlaskClient, accounts: dict[str, str], patient_with_thread: int
) -> None:
    sign_in(client, accounts["desk"])
    monitor = client.get("/api/v1/staff/messages/monitor").get_json()
    assert monitor["counts"]["failed"] == 1
    assert monitor["failed"][0]["error_code"] == "21211"
    assert monitor["queue_depth"] is not None
    page = client.get("/staff/messages").get_data(as_text=True)
    assert "21211" in page
    thread = client.get(f"/api/v1/staff/patients/{patient_with_thread}/messages").get_json()
    assert [e["direction"] for e in thread].count("in") == 1
    incoming = next(e for e in thread if e["direction"] == "in")
    assert incoming["text"] == "(diary reply)"


def test_a_practitioner_sees_their_own_patients_thread_in_full_but_not_the_monitor(
    client: FlaskClient, accounts: dict[str, str], patient_with_thread: int
) -> None:
    sign_in(client, accounts["lin"])
    assert client.get("/api/v1/staff/messages/monitor").status_code == 403
    assert client.get("/staff/messages").status_code == 403
    thread = client.get(f"/api/v1/staff/patients/{patient_with_thread}/messages").get_json()
    assert next(e for e in thread if e["direction"] == "in")["text"] == "7 3h M"


def test_a_practitioner_is_refused_another_practitioners_patient(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    client: FlaskClient,
    accounts: dict[str, str],
) -> None:
    other = book(db, settings, clock.now(), WEDNESDAY_10AM, service_code="tuina")
    sign_in(client, accounts["lin"])
    response = client.get(f"/api/v1/staff/patients/{other.patient.id}/messages")
    assert response.status_code == 403


def test_retrying_a_failed_message_needs_the_csrf_token(
    client: FlaskClient, db: Database, accounts: dict[str, str], patient_with_thread: int
) -> None:
    sign_in(client, accounts["admin"])
    with db.session() as session:
        failed = session.scalars(
            select(OutboundMessage.id).where(OutboundMessage.status == MessageStatus.FAILED)
        ).one()
    url = f"/api/v1/staff/messages/{failed}/retry"
    assert client.post(url).status_code == 400
    response = client.post(url, headers={"X-CSRFToken": csrf(client)})
    assert response.status_code == 200
    assert response.get_json()["status"] == "pending"
    assert client.post(url, headers={"X-CSRFToken": csrf(client)}).status_code == 404


def test_a_password_change_needs_the_current_password(
    client: FlaskClient, accounts: dict[str, str]
) -> None:
    sign_in(client, accounts["desk"])
    token = csrf(client)
    bad = client.post(
        "/staff/password",
        data={"current_password": "nope", "new_password": "short", "csrf_token": token},
    )
    assert bad.status_code == 422
    good = client.post(
        "/staff/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a much longer passphrase",
            "csrf_token": token,
        },
    )
    assert good.status_code == 303
    client.post("/staff/logout", data={"csrf_token": csrf(client)})
    assert log_in(client, accounts["desk"], "a much longer passphrase") == 303


def test_the_first_admin_is_created_from_the_command_line(app: Flask, db: Database) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "--email", "boss@clinic.test", "--name", "Boss"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    short = runner.invoke(
        args=["create-admin", "--email", "b2@clinic.test", "--name", "B"], input="x\nx\n"
    )
    assert short.exit_code != 0 and "12 characters" in short.output


@pytest.mark.parametrize(
    "escaped_next",
    ["/%09/evil.example/", "/%0A/evil.example/", "//evil.example/", "/%5C/evil.example/"],
)
def test_signing_in_with_a_next_that_leads_off_the_site_lands_on_the_staff_home(
    client: FlaskClient, accounts: dict[str, str], escaped_next: str
) -> None:
    form = (
        f"email={quote(accounts['desk'])}&password={quote(PASSWORD)}"
        f"&csrf_token={quote(csrf(client))}&next={escaped_next}"
    )
    response = client.post(
        "/staff/login", data=form, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff"


def test_signing_in_with_a_next_on_the_site_lands_there(
    client: FlaskClient, accounts: dict[str, str]
) -> None:
    response = client.post(
        "/staff/login",
        data={
            "email": accounts["desk"],
            "password": PASSWORD,
            "csrf_token": csrf(client),
            "next": "/staff/messages?page=2",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/messages?page=2"


def test_the_login_page_does_not_carry_a_next_that_leads_off_the_site(
    client: FlaskClient,
) -> None:
    page = client.get("/staff/login?next=/%09/evil.example/").get_data(as_text=True)
    assert 'name="next" value=""' in page
    assert "evil.example" not in page
