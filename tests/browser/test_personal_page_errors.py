"""The personal page's own forms, refused in Chromium at phone width: asking for an earlier time
for a visit cancelled meanwhile, and text choices sent without an answer. The error summary at
the top takes the focus and its link leads to the place; nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.models import Appointment, Consent, WaitlistEntry
from scheduler.visits.cancellation import cancel_visit
from tests.browser.conftest import screenshot
from tests.browser.test_error_summary import follow, no_sideways_scroll, personal_page, summary_says
from tests.support.factories import demo_clinic

NOT_BOOKED = "This visit is no longer booked, so there is no earlier time to ask for."


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_asking_earlier_for_a_visit_cancelled_meanwhile(  # type: ignore[no-untyped-def]
    phone_page, live_server: str, db: Database, clock: FrozenClock
) -> None:
    page: Any = phone_page
    page.goto(personal_page(live_server, db))
    with db.transaction() as session:  # cancelled by phone while the page is open
        visit_id = session.scalars(select(Appointment.id)).one()
        cancel_visit(session, visit_id, clock.now())
    page.get_by_role("button", name="Ask for an earlier time").click()
    links = summary_says(page, NOT_BOOKED)
    assert links == [f"#visit-{visit_id}"]
    no_sideways_scroll(page)
    screenshot(page, "error-summary-ask-earlier")
    follow(page, NOT_BOOKED, f"#visit-{visit_id}")
    assert count(db, WaitlistEntry) == 0


def test_text_choices_sent_without_an_answer(phone_page, live_server: str, db: Database) -> None:  # type: ignore[no-untyped-def]
    page: Any = phone_page
    page.goto(personal_page(live_server, db))
    consents = count(db, Consent)
    page.evaluate("document.querySelectorAll('input[name=reminders]').forEach(r => r.checked = 0)")
    page.get_by_role("button", name="Save my choices").click()
    links = summary_says(page, "Choose yes or no for appointment texts.")
    assert links == ["#reminders"]
    no_sideways_scroll(page)
    screenshot(page, "error-summary-text-choices")
    follow(page, "appointment texts", "#reminders")
    assert page.locator("#reminders-error").is_visible()
    assert count(db, Consent) == consents
