"""A clinic the API fuzzers can succeed in: valid personal links and visits, a held offer, a
signed-in front desk, fresh valid bodies for every example, and a fingerprint of every table to
show that a refused request wrote nothing."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import MessageKind, MessageStatus, OutboundMessage, Patient
from scheduler.models.base import Base
from scheduler.visits.waitlist import join_waitlist
from tests.conftest import clear_limits
from tests.support.booking_requests import prove_phone, texted_code
from tests.support.factories import api_booking, book, ids, screen
from tests.support.offers import held_offer
from tests.support.staff import create_accounts, csrf, sign_in

WEEK_AHEAD = timedelta(days=7)
AGENT = "clinic-api-fuzzer"


def fingerprint(db: Database) -> dict[str, str]:
    """Every table's rows, hashed: two fingerprints differ when anything was written."""
    prints: dict[str, str] = {}
    with db.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
            prints[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return prints


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before if before[name] != after[name])


# A booking the safety screen stopped keeps, by design, what staff need to call the person
# back: their contact details and consents, the answers, an alert, and the audit's lines
# (scheduler/visits/intake.py, ``record_stopped``).
STOPPED_SCREEN_KEEPS = {"patients", "consents", "safety_screens", "staff_alerts", "audit_events"}


def allowed_writes(status: int, answer: str) -> set[str]:
    """What a refusal may write: only what a stopped safety screen keeps for staff; every
    other refusal writes nothing."""
    try:
        errors = json.loads(answer).get("errors", {}).get("json", {})
    except (ValueError, AttributeError):
        return set()
    if status == 422 and isinstance(errors, dict) and "screen" in errors:
        return STOPPED_SCREEN_KEEPS
    return set()


@dataclass
class Tally:
    """What each operation answered, and every breach found: a 5xx, or a refusal that wrote."""

    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    breaches: list[str] = field(default_factory=list)

    def record(self, label: str, status: int, wrote: list[str], answer: str) -> None:
        self.statuses[label][status] += 1
        if status >= 500:
            self.breaches.append(f"{label}: {status} {answer[:200]}")
        elif 400 <= status < 500 and set(wrote) - allowed_writes(status, answer):
            self.breaches.append(f"{label}: refused with {status} but wrote {wrote}")

    def succeeded(self) -> set[str]:
        return {label for label, seen in self.statuses.items() if any(s < 300 for s in seen)}

    def mix(self) -> Counter[int]:
        total: Counter[int] = Counter()
        for seen in self.statuses.values():
            total.update(seen)
        return total


@dataclass
class ApiWorld:
    """The clinic, and what a valid request to each operation needs."""

    app: Flask
    db: Database
    settings: Settings
    clock: FrozenClock
    redis_url: str
    client: FlaskClient
    token: str
    visits: dict[str, tuple[str, int]]
    offer: int
    offer_token: str
    waitlist_entry: int
    patient_id: int
    failed_message: int
    staff_headers: dict[str, str]
    staff_cookies: dict[str, str]
    phones: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    code_phone: str = ""

    def path_parameters(self, path: str) -> dict[str, Any]:
        """Valid values for the path parameters of ``path``: each operation on a visit of
        its own, so that one cancelled does not stop the others from succeeding."""
        values: dict[str, Any] = {}
        if "{token}" in path:
            values["token"] = self.offer_token if "/offers/" in path else self.token
        if "{appointment_id}" in path:
            values["token"], values["appointment_id"] = self.visits[path.rsplit("/", 1)[-1]]
        if "{offer_id}" in path:
            values |= {"offer_id": self.offer, "answer": "accept"}
        if "{entry_id}" in path:
            values["entry_id"] = self.waitlist_entry
        if "{patient_id}" in path:
            values["patient_id"] = self.patient_id
        if "{message_id}" in path:
            values["message_id"] = self.failed_message
        if "{verification_id}" in path:
            values["verification_id"] = self.verification()
        return values

    def headers(self, path: str) -> dict[str, str]:
        return dict(self.staff_headers) if path.startswith("/api/v1/staff/") else {}

    def query(self, path: str) -> dict[str, Any]:
        """A valid query for the operations that read a window of days."""
        days = self.window()
        if path == "/api/v1/availability":
            service_id, practitioner_id = ids(self.db)
            return {**days, "service_id": service_id, "practitioner_id": practitioner_id}
        return days if path.endswith("/alternatives") else {}

    def window(self) -> dict[str, str]:
        """Three weeks from the day after tomorrow, as ``from`` and ``to`` dates."""
        first = (self.clock.now() + timedelta(days=2)).date()
        return {"from": first.isoformat(), "to": (first + WEEK_AHEAD * 3).isoformat()}

    def cookies(self, path: str) -> dict[str, str]:
        return dict(self.staff_cookies) if path.startswith("/api/v1/staff/") else {}

    def before_each(self) -> None:
        """What every example starts from: the whole allowance of each limit, and a failed
        message for staff to retry."""
        clear_limits(self.redis_url)
        with self.db.transaction() as session:
            session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id == self.failed_message)
                .values(status=MessageStatus.FAILED)
            )

    def next_phone(self) -> str:
        return f"07400 2{next(self.phones):05d}"

    def verification(self) -> str:
        """A code just texted to a new number, asked for as a client asks: the reference a
        check is made against."""
        self.code_phone = self.next_phone()
        asked = self.client.post("/api/v1/phone-verifications", json={"phone": self.code_phone})
        assert asked.status_code == 202, asked.get_data(as_text=True)
        return str(asked.get_json()["verification_id"])

    def free_start(self, service_id: int, practitioner_id: int) -> str:
        """A time the practitioner is free for the service, as a client finds it."""
        answer = self.client.get(
            "/api/v1/availability",
            query_string={
                "service_id": service_id,
                "practitioner_id": practitioner_id,
                **self.window(),
            },
        ).get_json()
        slots = answer["slots"]
        assert slots, answer
        return str(slots[len(slots) // 2]["start"])

    def valid_body(
        self, method: str, path: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """A body the operation accepts as it is now (for the visit in ``params`` when given),
        or None when it takes no body."""
        if (method, path) == ("POST", "/api/v1/bookings"):
            service_id, practitioner_id = ids(self.db)
            body = api_booking(service_id, practitioner_id, self.free_start(*ids(self.db)))
            return self._proven(body)
        if path in ("/api/v1/courses", "/api/v1/courses/preview"):
            return self._proven(self._course())
        if path == "/api/v1/phone-verifications":
            return {"phone": self.next_phone()}
        if path.endswith("/check"):
            return {"code": texted_code(self.db, self.code_phone)}
        if path.endswith("/reschedule"):
            token, visit = self.visits["reschedule"]
            if params and "appointment_id" in params:
                token, visit = params["token"], params["appointment_id"]
            moves = self.client.get(
                f"/api/v1/bookings/{token}/appointments/{visit}/alternatives",
                query_string=self.window(),
            ).get_json()
            return {"start": moves["slots"][0]["start"]} if moves.get("slots") else None
        if path.endswith("/waitlist") and method == "POST":
            service_id, _ = ids(self.db)
            now = self.clock.now()
            return {
                "service_id": service_id,
                "earliest": (now + timedelta(days=1)).isoformat(),
                "latest": (now + WEEK_AHEAD * 2).isoformat(),
            }
        return None

    def _course(self) -> dict[str, Any]:
        templates = self.client.get("/api/v1/course-templates").get_json()
        migraine = next(t for t in templates if t["code"] == "migraine")
        service_id, practitioner_id = ids(self.db, "initial")
        return {
            "template_id": migraine["id"],
            "practitioner_id": practitioner_id,
            "start": self.free_start(service_id, practitioner_id),
            "patient": {"first_name": "Ana", "last_name": "Silva", "phone": "07400 123456"},
            "consents": {"reminders": True, "diary_prompts": True},
            "screen": screen(),
        }

    def _proven(self, body: dict[str, Any]) -> dict[str, Any]:
        phone = self.next_phone()
        body["patient"] = {**body["patient"], "phone": phone}
        return {
            **body,
            "phone_proof": prove_phone(self.db, self.settings, self.clock.now(), phone),
        }


def build_world(
    app: Flask, db: Database, settings: Settings, clock: FrozenClock, redis_url: str
) -> ApiWorld:
    """The demo clinic with staff, a patient with a visit for each operation on a visit, a
    place on the waitlist, a held offer for another patient, and a failed text."""
    accounts = create_accounts(db, clock)
    now = clock.now()
    offered = held_offer(db, settings, now)
    start = now + timedelta(days=14, hours=2)
    first = book(db, settings, now, start, phone="07400 300001")
    visits = {"cancel": (first.manage_token, first.appointment.id)}
    for n, action in enumerate(("reschedule", "alternatives"), start=1):
        booked = book(db, settings, now, start + timedelta(days=n), phone=f"07400 30000{n + 1}")
        visits[action] = (booked.manage_token, booked.appointment.id)
    with db.transaction() as session:
        patient = session.get_one(Patient, first.patient.id)
        entry = join_waitlist(
            session,
            patient,
            service_id=first.appointment.service_id,
            earliest=now,
            latest=start,
            now=now,
        )
        failed = OutboundMessage(
            patient_id=patient.id,
            kind=MessageKind.CONFIRMATION,
            dedupe_key="fuzz:failed",
            to_phone=patient.phone_e164,
            body="A text that failed",
            due_at=now,
            status=MessageStatus.FAILED,
            error_code="30003",
            created_at=now,
            updated_at=now,
        )
        session.add(failed)
        session.flush()
        entry_id, failed_id = entry.id, failed.id
    client = app.test_client()
    # Signed-in sessions are bound to the browser that signed in (Flask-Login's strong
    # session protection): the fuzzer's requests present the same one.
    client.environ_base["HTTP_USER_AGENT"] = AGENT
    sign_in(client, accounts["admin"])
    staff_headers = {"X-CSRFToken": csrf(client), "User-Agent": AGENT}
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    return ApiWorld(
        app=app,
        db=db,
        settings=settings,
        clock=clock,
        redis_url=redis_url,
        client=app.test_client(),
        token=first.manage_token,
        visits=visits,
        offer=offered.offer,
        offer_token=offered.token,
        waitlist_entry=entry_id,
        patient_id=first.patient.id,
        failed_message=failed_id,
        staff_headers=staff_headers,
        staff_cookies={cookie.key: cookie.value},
    )
