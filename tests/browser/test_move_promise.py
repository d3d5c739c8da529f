"""A patient who moves a visit at phone width is promised a text only when one will go."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from scheduler.db import Database
from scheduler.models import MessageKind, OutboundMessage
from tests.support.booking_requests import proof_over_http
from tests.support.factories import api_booking, demo_clinic, ids


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def move_to_thursday_11(page: Any, live_server: str, db: Database, reminders: bool) -> str:
    """Book over the API with or without visit texts, move the visit on the page, and return
    the confirmation the page shows."""
    service_id, practitioner_id = ids(db)
    created = requests.post(
        f"{live_server}/api/v1/bookings",
        json=api_booking(
            service_id,
            practitioner_id,
            "2026-03-04T10:00:00+00:00",
            consents={"reminders": reminders, "diary_prompts": False},
            phone_proof=proof_over_http(live_server, db),
        ),
        timeout=5,
    ).json()
    page.goto(created["manage_url"].replace("https://book.example.test", live_server))
    page.get_by_role("link", name="Move").click()
    page.get_by_role("region", name="Thursday 5 March").get_by_role("button", name="11:00").click()
    page.locator(".flash.ok").wait_for()
    assert "Thursday 5 March, 11:00" in page.locator("li.visit").inner_text()
    return str(page.locator(".flash.ok").inner_text())


def moved_texts(db: Database) -> int:
    with db.session() as session:
        query = select(func.count()).where(OutboundMessage.kind == MessageKind.RESCHEDULED)
        return int(session.scalar(query.select_from(OutboundMessage)) or 0)


def test_a_patient_who_gets_visit_texts_is_told_a_text_about_the_move_will_come(
    phone_page: Any, live_server: str, db: Database
) -> None:
    shown = move_to_thursday_11(phone_page, live_server, db, reminders=True)
    assert shown.strip() == "Your visit is moved. We will text you about the new time."
    assert moved_texts(db) == 1


def test_a_patient_who_said_no_to_visit_texts_is_promised_none(
    phone_page: Any, live_server: str, db: Database
) -> None:
    shown = move_to_thursday_11(phone_page, live_server, db, reminders=False)
    assert shown.strip() == "Your visit is moved."
    assert "text" not in shown
