"""The whole system as deployed: gunicorn, a Celery worker and beat, Redis, a database, Twilio.

Books over HTTP like a patient's phone would and watches the confirmation reach (fake) Twilio.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
import requests

from ops.embedded_redis import free_port
from scheduler.db import Database
from tests.fakes.fake_twilio import FakeTwilio
from tests.support.factories import demo_clinic
from tests.support.processes import (
    BIN,
    ManagedProcess,
    celery_beat,
    celery_worker,
    wait_for_http,
    wait_until,
)
from tests.support.stack import next_weekday_at, process_env

CODE_TEXT = re.compile(r"your code is (\d{6})")


@pytest.fixture
def stack(
    db: Database,
    database_url: str,
    redis_url: str,
    redis_client: redis_lib.Redis,
    tmp_path: Path,
    fake_twilio: FakeTwilio,
) -> Iterator[str]:
    demo_clinic(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = process_env(
        database_url, redis_url, tmp_path / "instance", fake_twilio, PUBLIC_BASE_URL=base
    )
    web = ManagedProcess(
        "web",
        [
            str(BIN / "gunicorn"),
            *("--config", "python:ops.gunicorn_conf", "--bind", f"127.0.0.1:{port}"),
            *("--workers", "2", "web.wsgi:app"),
        ],
        env,
        tmp_path,
    ).start()
    processes = [web, celery_worker(env, tmp_path), celery_beat(env, tmp_path)]
    try:
        wait_for_http(f"{base}/healthz")
        yield base
    finally:
        for process in processes:
            process.stop()
        for process in processes:
            assert "Traceback" not in process.log(), process.log()
        # The access log shows every request, and never a personal token.
        assert '"GET /healthz HTTP/1.1" 200' in web.log()
        assert not re.search(r"/(m|api/v1/bookings)/[A-Za-z0-9_-]{16}", web.log())


def clear_screen(stack: str) -> dict[str, bool]:
    """The safety screen as a client answers it: every question it lists, answered no."""
    questions = requests.get(f"{stack}/api/v1/safety-questions", timeout=5).json()
    return {q["id"]: False for q in questions}


def prove_phone(stack: str, fake_twilio: FakeTwilio, phone: str = "07400 123456") -> str:
    """Prove the phone as a client does: ask for a code, read it in the text that reached
    (fake) Twilio through the worker, and check it; the proof to book with."""
    asked = requests.post(f"{stack}/api/v1/phone-verifications", json={"phone": phone}, timeout=5)
    assert asked.status_code == 202, asked.text

    def code_text() -> dict | None:
        return next((m for m in fake_twilio.messages if CODE_TEXT.search(m["body"])), None)

    text = wait_until(code_text, 30, 0.3, "the code's text")
    assert isinstance(text, dict)
    code = CODE_TEXT.search(text["body"])
    assert code is not None
    checked = requests.post(
        f"{stack}/api/v1/phone-verifications/{asked.json()['verification_id']}/check",
        json={"code": code.group(1)},
        timeout=5,
    )
    assert checked.status_code == 200, checked.text
    return str(checked.json()["phone_proof"])


def test_a_booking_made_over_http_gets_its_confirmation_sent_through_twilio(
    stack: str, fake_twilio: FakeTwilio
) -> None:
    services = requests.get(f"{stack}/api/v1/services", timeout=5).json()
    acupuncture = next(s for s in services if s["code"] == "acupuncture")
    day = next_weekday_at(10).date().isoformat()
    slots = requests.get(
        f"{stack}/api/v1/availability",
        params={"service_id": acupuncture["id"], "from": day, "to": day},
        timeout=5,
    ).json()["slots"]
    slot = slots[0]
    response = requests.post(
        f"{stack}/api/v1/bookings",
        json={
            "service_id": acupuncture["id"],
            "practitioner_id": slot["practitioner_id"],
            "start": slot["start"],
            "patient": {"first_name": "Ana", "last_name": "Silva", "phone": "07400 123456"},
            "consents": {"reminders": True, "diary_prompts": True},
            "screen": clear_screen(stack),
            "phone_proof": prove_phone(stack, fake_twilio),
        },
        timeout=5,
    )
    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["manage_url"].startswith(f"{stack}/m/")

    def confirmation() -> dict | None:
        view = requests.get(f"{stack}/api/v1/bookings/{booking['manage_token']}", timeout=5)
        return next(
            (m for m in view.json()["messages"] if m["kind"] == "confirmation" and m["sent_at"]),
            None,
        )

    sent = wait_until(confirmation, 30, 0.3, "the confirmation to show as sent")
    assert isinstance(sent, dict) and sent["status"] == "sent"
    (delivered,) = [m for m in fake_twilio.messages if not CODE_TEXT.search(m["body"])]
    assert delivered["to"] == "+447400123456"
    assert delivered["body"] == sent["text"]
    assert booking["manage_url"] in delivered["body"]
    (post,) = [
        r
        for r in fake_twilio.requests
        if r["method"] == "POST" and not CODE_TEXT.search(r["form"].get("Body", ""))
    ]
    assert post["form"]["StatusCallback"] == f"{stack}/webhooks/twilio/status"

    assert fake_twilio.deliver(delivered["sid"], "delivered") == 204
    view = requests.get(f"{stack}/api/v1/bookings/{booking['manage_token']}", timeout=5).json()
    assert next(m for m in view["messages"] if m["kind"] == "confirmation")["status"] == (
        "delivered"
    )

    health = wait_until(
        lambda: (h := requests.get(f"{stack}/healthz", timeout=5).json())["status"] == "ok" and h,
        20,
        0.5,
        "health to report the worker",
    )
    assert isinstance(health, dict)
    assert health["checks"]["worker"]["status"] == "ok"

    again = requests.post(
        f"{stack}/api/v1/bookings",
        json={
            "service_id": acupuncture["id"],
            "practitioner_id": slot["practitioner_id"],
            "start": slot["start"],
            "patient": {"first_name": "Bo", "last_name": "Lee", "phone": "07400 123457"},
            "consents": {"reminders": True, "diary_prompts": False},
            "screen": clear_screen(stack),
        },
        timeout=5,
    )
    assert again.status_code == 409
