"""Attacks on staff sessions, sign-in, headers and logs, replayed against the real app.

A stolen or copied session, a sign-in spray, timing an unknown email, weak passwords, framing
and caching the pages, tokens in logs and in front of staff: each is shown stopped, and a
refused attempt writes nothing.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
import redis as redis_lib
import requests
from flask import Flask
from flask.testing import FlaskClient
from gunicorn.config import Config
from limits import parse_many
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder

from ops.embedded_redis import free_port
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.messaging.sms.base import OutgoingSms
from scheduler.messaging.sms.console import ConsoleBackend
from scheduler.models import (
    Appointment,
    ManageToken,
    MessageKind,
    OutboundMessage,
    Patient,
    StaffUser,
)
from scheduler.staff import accounts
from tests.conftest import MONDAY_8AM
from tests.support.factories import book, demo_clinic
from tests.support.staff import PASSWORD, create_accounts, csrf, log_in, sign_in
from tests.support.table_rows import table_rows
from web.app import create_app
from web.limits import LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS

WEDNESDAY_10AM = MONDAY_8AM + timedelta(days=2, hours=2)
HTTPS = "https://localhost"
LONG_KEY = "k" * 40
# The fewest failed sign-ins each limit allows before it refuses.
PER_ACCOUNT = min(item.amount for item in parse_many(LOGIN_FAILURES_PER_ACCOUNT))
PER_ADDRESS = min(item.amount for item in parse_many(LOGIN_FAILURES_PER_ADDRESS))


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def staff(db: Database, clock: FrozenClock) -> dict[str, str]:
    # At the production cost: these tests measure what signing in costs an attacker.
    return create_accounts(db, clock, full_strength=True)


@pytest.fixture
def token(db: Database, settings: Settings, clock: FrozenClock) -> str:
    """A booked patient's personal token."""
    demo_clinic(db)
    return book(db, settings, clock.now(), WEDNESDAY_10AM).manage_token


def copy_session(source: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of ``source``'s session cookie (stolen, or kept)."""
    cookie = source.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def signed_in(client: FlaskClient) -> bool:
    return client.get("/staff").status_code == 200


def change_own_password(client: FlaskClient, new: str) -> int:
    return client.post(
        "/staff/password",
        data={"current_password": PASSWORD, "new_password": new, "csrf_token": csrf(client)},
    ).status_code


# Sessions


def test_signing_out_ends_every_session_of_the_account(
    app: Flask, client: FlaskClient, staff: dict[str, str]
) -> None:
    sign_in(client, staff["desk"])
    laptop = app.test_client()
    sign_in(laptop, staff["desk"])
    kept = copy_session(client, app)
    assert all(signed_in(c) for c in (client, laptop, kept))
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff")})
    alive = [c for c in (client, laptop, kept) if signed_in(c)]
    assert alive == []
    other = app.test_client()
    sign_in(other, staff["admin"])
    assert signed_in(other)  # another account's sessions are untouched


def test_a_session_copied_before_a_password_change_is_dead_after_it(
    app: Flask, client: FlaskClient, staff: dict[str, str]
) -> None:
    sign_in(client, staff["desk"])
    stolen = copy_session(client, app)
    assert change_own_password(client, "a fresh strong passphrase") == 303
    assert not signed_in(stolen)
    assert signed_in(client)  # the browser that changed it carries on


def test_an_admins_password_reset_ends_the_accounts_sessions_at_once(
    app: Flask, client: FlaskClient, db: Database, staff: dict[str, str]
) -> None:
    desk = app.test_client()
    sign_in(desk, staff["desk"])
    sign_in(client, staff["admin"])
    with db.session() as session:
        desk_id = session.scalars(select(StaffUser.id).where(StaffUser.email == staff["desk"]))
        user_id = desk_id.one()
    reset = client.post(
        f"/staff/setup/accounts/{user_id}/password",
        data={"password": "another strong passphrase", "csrf_token": csrf(client, "/staff")},
    )
    assert reset.status_code == 303
    assert not signed_in(desk)
    assert signed_in(client)


def test_a_session_idle_for_30_minutes_ends(
    client: FlaskClient, clock: FrozenClock, staff: dict[str, str]
) -> None:
    sign_in(client, staff["desk"])
    clock.advance(timedelta(minutes=29))
    assert signed_in(client)  # each page moves the idle limit on
    clock.advance(timedelta(minutes=29))
    assert signed_in(client)
    clock.advance(timedelta(minutes=30))
    response = client.get("/staff/calendar")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    clock.advance(timedelta(minutes=-60))  # and the cleared session does not come back
    assert not signed_in(client)


def test_a_session_ends_10_hours_after_sign_in_however_busy(
    client: FlaskClient, clock: FrozenClock, staff: dict[str, str]
) -> None:
    sign_in(client, staff["desk"])
    for _ in range(20):
        clock.advance(timedelta(minutes=29))
        assert signed_in(client)
    clock.advance(timedelta(minutes=19))  # 9 h 59 min after signing in
    assert signed_in(client)
    clock.advance(timedelta(minutes=2))
    assert not signed_in(client)
    assert client.get("/api/v1/staff/messages/monitor").status_code == 401


def test_a_forged_or_foreign_session_value_signs_no_one_in(
    app: Flask, client: FlaskClient, staff: dict[str, str]
) -> None:
    for value in ("eyJzdGFmZiI6MX0.x.y", "", "not-a-session"):
        client.set_cookie("session", value)
        assert not signed_in(client)


# Sign-in throttling


def attempt(client: FlaskClient, email: str, password: str, address: str) -> Any:
    token = csrf(client)
    return client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_spraying_many_emails_from_one_address_is_throttled(
    client: FlaskClient, db: Database, staff: dict[str, str], redis_client: redis_lib.Redis
) -> None:
    before = table_rows(db, StaffUser)
    codes = [
        attempt(client, f"guess{n}@clinic.test", "Password123!", "203.0.113.9").status_code
        for n in range(PER_ADDRESS)
    ]
    assert codes == [401] * PER_ADDRESS
    blocked = attempt(client, staff["desk"], PASSWORD, "203.0.113.9")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Too many attempts." in blocked.text
    assert table_rows(db, StaffUser) == before  # no sign-in was recorded
    assert attempt(client, staff["desk"], PASSWORD, "198.51.100.4").status_code == 303


def test_guessing_one_account_from_many_addresses_is_throttled(
    client: FlaskClient, staff: dict[str, str], redis_client: redis_lib.Redis
) -> None:
    addresses = [f"203.0.113.{n}" for n in range(1, PER_ACCOUNT + 1)]
    codes = [attempt(client, staff["admin"], "Password123!", a).status_code for a in addresses]
    assert codes == [401] * PER_ACCOUNT
    assert attempt(client, staff["admin"], PASSWORD, "198.51.100.77").status_code == 429
    assert attempt(client, staff["desk"], PASSWORD, "198.51.100.77").status_code == 303


def test_a_forged_forwarded_for_header_does_not_escape_the_address_limit(
    client: FlaskClient, staff: dict[str, str], redis_client: redis_lib.Redis
) -> None:
    codes = []
    for n in range(PER_ADDRESS + 1):
        token = csrf(client)
        codes.append(
            client.post(
                "/staff/login",
                data={"email": f"guess{n}@clinic.test", "password": "x", "csrf_token": token},
                headers={"X-Forwarded-For": f"192.0.2.{n}"},
            ).status_code
        )
    assert codes == [401] * PER_ADDRESS + [429]


def test_behind_a_trusted_proxy_the_clients_own_address_is_counted(
    settings: Settings, clock: FrozenClock, staff: dict[str, str], redis_client: redis_lib.Redis
) -> None:
    app = create_app(replace(settings, trusted_proxy_hops=1), clock)
    client = app.test_client()
    for n in range(PER_ADDRESS):
        token = csrf(client)
        client.post(
            "/staff/login",
            data={"email": f"guess{n}@clinic.test", "password": "x", "csrf_token": token},
            headers={"X-Forwarded-For": "192.0.2.50"},
        )
    token = csrf(client)
    other_client = client.post(
        "/staff/login",
        data={"email": staff["desk"], "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-For": "192.0.2.51"},
    )
    assert other_client.status_code == 303


def https_login(client: FlaskClient, email: str) -> Any:
    page = client.get("/staff/login", base_url=HTTPS).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    form = {"email": email, "password": PASSWORD, "csrf_token": match.group(1)}
    return client.post("/staff/login", data=form, base_url=HTTPS)


def test_without_redis_production_refuses_sign_in_and_development_allows_it(
    settings: Settings, clock: FrozenClock, db: Database, staff: dict[str, str]
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    before = table_rows(db, StaffUser)
    production = create_app(
        replace(settings, environment="production", redis_url=dead, secret_key=LONG_KEY), clock
    )
    refused = https_login(production.test_client(), staff["desk"])
    assert refused.status_code == 503
    assert "Try again shortly." in refused.text and refused.headers["Retry-After"] == "30"
    assert table_rows(db, StaffUser) == before
    development = create_app(replace(settings, environment="development", redis_url=dead), clock)
    assert log_in(development.test_client(), staff["desk"]) == 303


def test_an_unknown_email_costs_the_same_single_scrypt_as_a_wrong_password(
    client: FlaskClient,
    staff: dict[str, str],
    redis_client: redis_lib.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[int, int, int]] = []
    real = hashlib.scrypt

    def counted(password: bytes, *, salt: bytes, n: int, r: int, p: int) -> bytes:
        calls.append((n, r, p))
        return real(password, salt=salt, n=n, r=r, p=p)

    monkeypatch.setattr(accounts.hashlib, "scrypt", counted)
    work = {}
    for email in (staff["desk"], "nobody@clinic.test"):
        calls.clear()
        assert attempt(client, email, "wrong password!!", "192.0.2.1").status_code == 401
        work[email] = list(calls)
    same = [(accounts.SCRYPT_N, accounts.SCRYPT_R, accounts.SCRYPT_P)]
    assert work == {staff["desk"]: same, "nobody@clinic.test": same}


# Passwords


@pytest.mark.parametrize("weak", ["password1234", "qwertyuiop123", "clinic12345678"])
def test_a_weak_password_is_refused_everywhere_with_its_reason(
    app: Flask, client: FlaskClient, db: Database, staff: dict[str, str], weak: str
) -> None:
    sign_in(client, staff["admin"])
    before = table_rows(db, StaffUser)
    token = csrf(client, "/staff")
    with db.session() as session:
        desk_id = session.scalars(select(StaffUser.id).where(StaffUser.email == staff["desk"]))
        user_id = desk_id.one()
    new = {"email": "new@clinic.test", "name": "New", "role": "front_desk", "password": weak}
    answers = [
        client.post("/staff/setup/accounts/new", data={**new, "csrf_token": token}),
        client.post(
            f"/staff/setup/accounts/{user_id}/password",
            data={"password": weak, "csrf_token": token},
        ),
        client.post(
            "/staff/password",
            data={"current_password": PASSWORD, "new_password": weak, "csrf_token": token},
        ),
    ]
    for answer in answers:
        assert answer.status_code == 422
        assert "This password is too easy to guess." in answer.text
    assert table_rows(db, StaffUser) == before


# Headers


def test_every_page_carries_the_security_headers(client: FlaskClient, token: str) -> None:
    for path in ("/", f"/m/{token}", "/staff/login", "/api/v1/services"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy, path
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy, path
        assert "object-src 'none'" in policy and "base-uri 'none'" in policy, path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path
        assert headers["X-Frame-Options"] == "DENY", path
        assert "Strict-Transport-Security" not in headers, path  # HTTPS is production's


def test_personal_staff_and_posted_answers_are_never_cached(
    client: FlaskClient, token: str
) -> None:
    private = [
        client.get(f"/m/{token}"),
        client.get(f"/api/v1/bookings/{token}"),
        client.get("/staff/login"),
        client.get("/staff"),
        client.post("/api/v1/bookings", json={}),
        client.post("/book", data={}),
    ]
    for response in private:
        assert response.headers["Cache-Control"] == "no-store", response.request.path
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")


def test_production_adds_hsts(settings: Settings, clock: FrozenClock) -> None:
    app = create_app(replace(settings, environment="production", secret_key=LONG_KEY), clock)
    headers = app.test_client().get("/", base_url=HTTPS).headers
    assert headers["Strict-Transport-Security"].startswith("max-age=63072000")


def test_the_calendar_gives_its_scripts_style_element_a_nonce_and_nothing_inline(
    client: FlaskClient, staff: dict[str, str]
) -> None:
    sign_in(client, staff["desk"])
    page = client.get("/staff/calendar?date=2026-03-04")
    nonce = re.search(r'<meta name="csp-nonce" content="([^"]+)">', page.text)
    assert nonce is not None
    assert f"style-src 'self' 'nonce-{nonce.group(1)}'" in page.headers["Content-Security-Policy"]
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None
    assert " style=" not in page.text and "<style" not in page.text
    again = client.get("/staff/calendar?date=2026-03-04")
    assert nonce.group(1) not in again.text  # a new one for every answer


# Tokens in logs and in front of staff


def test_the_access_log_masks_personal_tokens(
    client: FlaskClient, token: str, tmp_path: Any
) -> None:
    config = Config()
    config.set("logger_class", "ops.gunicorn_conf.RedactingLogger")
    config.set("accesslog", str(tmp_path / "access.log"))
    logger = config.logger_class(config)
    for path in (f"/m/{token}/diary", f"/api/v1/bookings/{token}", f"/feeds/{token}.ics"):
        response = client.get(path)
        environ = EnvironBuilder(path=path, headers={"Referer": f"{HTTPS}/m/{token}"})
        wsgi = {**environ.get_environ(), "RAW_URI": path, "SERVER_PROTOCOL": "HTTP/1.1"}
        answer = _Answer(response.status, list(response.headers.items()), len(response.data))
        logger.access(answer, wsgi, wsgi, timedelta(milliseconds=5))
    for handler in list(logger.access_log.handlers):
        logger.access_log.removeHandler(handler)
        handler.close()
    written = (tmp_path / "access.log").read_text()
    assert token not in written
    assert "GET /m/…/diary HTTP/1.1" in written and f'"{HTTPS}/m/…"' in written
    assert "GET /api/v1/bookings/… HTTP/1.1" in written and "GET /feeds/….ics" in written


class _Answer:
    """What gunicorn's access log reads of a response."""

    def __init__(self, status: str, headers: list[tuple[str, str]], sent: int) -> None:
        self.status, self.headers, self.sent = status, headers, sent


@pytest.fixture
def werkzeug_lines() -> Iterator[list[str]]:
    """What the development server logs while the test runs."""
    lines: list[str] = []
    handler = _Collect(lines)
    logger = logging.getLogger("werkzeug")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


class _Collect(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_development_servers_request_log_masks_personal_tokens(
    app: Flask, token: str, werkzeug_lines: list[str]
) -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        assert requests.get(f"{base}/m/{token}", timeout=10).status_code == 200
    finally:
        server.shutdown()
    logged = "\n".join(werkzeug_lines)
    assert "GET /m/… HTTP/1.1" in logged
    assert token not in logged


def test_the_console_sms_backend_masks_links(caplog: pytest.LogCaptureFixture) -> None:
    link = "https://book.example.test/m/Abcdefghijklmnopqrstuv"
    with caplog.at_level(logging.INFO, logger="clinic.sms.console"):
        ConsoleBackend().send(OutgoingSms(to="+447400123456", body=f"Manage: {link} Reply STOP"))
    assert "https://book.example.test/m/… Reply STOP" in caplog.text
    assert "Abcdefghijklmnopqrstuv" not in caplog.text and "+447400123456" not in caplog.text


def revoke(client: FlaskClient, patient_id: int, next_path: str = "/staff") -> Any:
    form = f"csrf_token={quote(csrf(client, '/staff'))}&next={next_path}"
    return client.post(
        f"/staff/patients/{patient_id}/links/revoke",
        data=form,
        content_type="application/x-www-form-urlencoded",
        follow_redirects=True,
    )


def test_revoking_a_link_texts_the_new_one_and_never_shows_it_to_staff(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock, staff: dict[str, str]
) -> None:
    booked = book(db, settings, clock.now(), WEDNESDAY_10AM)
    sign_in(client, staff["desk"])
    page = revoke(client, booked.patient.id)
    assert "1 old link no longer works. A new link was texted to the patient." in page.text
    with db.session() as session:
        (text,) = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == MessageKind.NEW_LINK)
        )
        assert text.to_phone == booked.patient.phone_e164 and text.due_at == clock.now()
    new_token = re.search(r"/m/([A-Za-z0-9_-]{20,})", text.body)
    assert new_token is not None
    for shown in (page.text, client.get(f"/staff/patients/{booked.patient.id}").text):
        assert new_token.group(1) not in shown and booked.manage_token not in shown
    thread = client.get(f"/api/v1/staff/patients/{booked.patient.id}/messages").get_json()
    (shown_text,) = [e["text"] for e in thread if e["kind"] == MessageKind.NEW_LINK.value]
    assert new_token.group(1) not in shown_text and "/m/… " in shown_text
    assert client.get(f"/m/{booked.manage_token}").status_code == 404
    assert client.get(f"/m/{new_token.group(1)}").status_code == 200


def test_a_patient_who_opted_out_gets_no_new_link_and_staff_are_told_why(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock, staff: dict[str, str]
) -> None:
    booked = book(db, settings, clock.now(), WEDNESDAY_10AM)
    with db.transaction() as session:
        session.get_one(Patient, booked.patient.id).sms_opted_out_at = clock.now()
    sign_in(client, staff["desk"])
    page = revoke(client, booked.patient.id)
    assert "No new link was texted: the patient has opted out of texts." in page.text
    with db.session() as session:
        kinds = session.scalars(select(OutboundMessage.kind)).all()
        assert MessageKind.NEW_LINK not in kinds
        live = select(func.count()).where(ManageToken.revoked_at.is_(None))
        assert session.scalar(live) == 0
    assert client.get(f"/m/{booked.manage_token}").status_code == 404


# A CRLF in "next" after an action was saved


@pytest.mark.parametrize(
    "hostile_next",
    ["/staff%0D%0ASet-Cookie:%20pwned=1", "/staff/today%0d%0aLocation:%20//evil.example/"],
)
def test_a_crlf_in_next_lands_on_the_fallback_once_the_action_is_saved(
    client: FlaskClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    staff: dict[str, str],
    hostile_next: str,
) -> None:
    booked = book(db, settings, clock.now(), WEDNESDAY_10AM)
    sign_in(client, staff["desk"])
    revoked = client.post(
        f"/staff/patients/{booked.patient.id}/links/revoke",
        data=f"csrf_token={quote(csrf(client, '/staff'))}&next={hostile_next}",
        content_type="application/x-www-form-urlencoded",
    )
    assert (revoked.status_code, revoked.headers["Location"]) == (303, "/staff")
    assert "pwned" not in str(revoked.headers)
    cancelled = client.post(
        f"/staff/visits/{booked.appointment.id}/cancel",
        data=f"csrf_token={quote(csrf(client, '/staff'))}&next={hostile_next}",
        content_type="application/x-www-form-urlencoded",
    )
    assert (cancelled.status_code, cancelled.headers["Location"]) == (303, "/staff/today")
    with db.session() as session:
        assert session.get_one(Appointment, booked.appointment.id).status.value == "cancelled"
