"""A time held from the waitlist, accepted on the personal page in Chromium at phone width."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import AppointmentStatus, OfferStatus, WaitlistOffer
from tests.browser.conftest import screenshot
from tests.support.factories import demo_clinic
from tests.support.offers import held_offer


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def test_a_patient_accepts_a_held_time_on_their_phone(
    phone_page: Any,
    live_server: str,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    request: pytest.FixtureRequest,
) -> None:
    offered = held_offer(db, settings, clock.now())
    page = phone_page
    page.goto(f"{live_server}/m/{offered.token}")
    offer = page.locator(".offer")
    assert "Held for you until 08:15." in offer.inner_text()
    assert "your visit on Wednesday 11 March, 10:00 is cancelled" in offer.inner_text()
    accept = page.get_by_role("button", name="Accept this time")
    box = accept.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390
    screenshot(page, f"{request.node.name}-offer")
    accept.click()
    page.locator(".flash.ok").wait_for()
    assert "You're booked for Wednesday 4 March at 10:00." in page.locator(".flash.ok").inner_text()
    visits = page.locator("li.visit")
    assert "booked" in visits.filter(has_text="Wednesday 4 March, 10:00").inner_text()
    assert "cancelled" in visits.filter(has_text="Wednesday 11 March, 10:00").inner_text()
    assert page.get_by_role("button", name="Accept this time").count() == 0
    with db.session() as session:
        answered = session.get_one(WaitlistOffer, offered.offer)
        assert (answered.status, answered.appointment.status) == (
            OfferStatus.ACCEPTED,
            AppointmentStatus.BOOKED,
        )
