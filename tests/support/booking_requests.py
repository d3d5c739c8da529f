"""What a booking presents besides its details: the proof of the phone (a texted code read back
from the outbox, as the patient reads it from their phone)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import MessageKind, OutboundMessage
from scheduler.patients.verification import check_code, send_code
from scheduler.phones import to_e164

PHONE = "+447400123456"
TEST_ADDRESS = "203.0.113.10"
CODE_IN_TEXT = re.compile(r"your code is (\d{6})")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def texted_code(db: Database, phone: str = PHONE) -> str:
    """The code in the latest code text to ``phone`` (national or E.164)."""
    e164 = to_e164(phone)
    with db.session() as session:
        body = session.scalars(
            select(OutboundMessage.body)
            .where(
                OutboundMessage.kind == MessageKind.PHONE_CODE,
                OutboundMessage.to_phone == e164,
            )
            .order_by(OutboundMessage.id.desc())
        ).first()
    assert body is not None, f"no code was texted to {e164}"
    found = CODE_IN_TEXT.search(body)
    assert found, body
    return found.group(1)


def prove_phone(db: Database, settings: Settings, now: datetime, phone: str = PHONE) -> str:
    """A proof for ``phone``, as a booker gets it: a code texted (the per-number and
    per-address limits aside, so a test may book twice in the same second), read from its
    text and answered."""
    e164 = to_e164(phone)
    with db.transaction() as session:
        sent = send_code(session, e164, TEST_ADDRESS, settings, now)
    code = texted_code(db, e164)
    with db.transaction() as session:
        answer = check_code(session, sent.verification_id, code, settings, now)
    assert answer.right
    return answer.proof


def enter_code(
    client: FlaskClient, db: Database, answer: TestResponse, phone: str = PHONE
) -> TestResponse:
    """Finish a booking made on the pages: ``answer`` (to the booking form) leads to the code
    step; the code texted to ``phone`` is entered there. The answer to the code."""
    location = answer.headers.get("Location", "")
    assert answer.status_code == 303 and location.endswith("/code"), (answer.status_code, location)
    page = client.get(location)
    token = CSRF.search(page.text)
    assert page.status_code == 200 and token, page.text
    return client.post(
        location, data={"csrf_token": token.group(1), "code": texted_code(db, phone)}
    )


def with_proof(
    body: dict[str, Any], db: Database, settings: Settings, now: datetime
) -> dict[str, Any]:
    """An API booking or course body with a proof for its patient's phone, as a client sends
    it after checking the code (``prove_phone``)."""
    phone = body["patient"]["phone"]
    return {**body, "phone_proof": prove_phone(db, settings, now, phone)}


def proven(app: Flask | FlaskClient, db: Database, body: dict[str, Any]) -> dict[str, Any]:
    """``with_proof`` for the app (or a client of it) under test: its settings and its clock."""
    flask_app = app.application if isinstance(app, FlaskClient) else app
    settings = flask_app.extensions["clinic.settings"]
    now = flask_app.extensions["clinic.clock"].now()
    return with_proof(body, db, settings, now)


def proof_over_http(base_url: str, db: Database, phone: str = "07400 123456") -> str:
    """A proof got as an API client gets it from the server at ``base_url``: a code asked for,
    read from its text (in the outbox of ``db``, the server's database) and checked."""
    asked = requests.post(
        f"{base_url}/api/v1/phone-verifications", json={"phone": phone}, timeout=5
    )
    assert asked.status_code == 202, asked.text
    ref = asked.json()["verification_id"]
    checked = requests.post(
        f"{base_url}/api/v1/phone-verifications/{ref}/check",
        json={"code": texted_code(db, phone)},
        timeout=5,
    )
    assert checked.status_code == 200, checked.text
    return str(checked.json()["phone_proof"])
