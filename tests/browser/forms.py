"""Filling the booking forms in the browser: the safety screen, the patient's details and the
code texted to their phone."""

from __future__ import annotations

from typing import Any

from scheduler.clinical.safety import QUESTIONS
from scheduler.db import Database
from tests.support.booking_requests import texted_code


def answer_safety(page: Any, yes: tuple[str, ...] = ()) -> None:
    """Answer every safety question: yes to the codes in ``yes``, no to the rest."""
    for question in QUESTIONS:
        value = "yes" if question.code in yes else "no"
        page.locator(f"input[name=safety_{question.code}][value={value}]").check()


def give_details(page: Any, phone: str = "07400 123456") -> None:
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Silva")
    page.get_by_label("Mobile number").fill(phone)
    page.locator("input[name=consent_reminders][value=yes]").check()
    page.locator("input[name=consent_diary_prompts][value=yes]").check()


def enter_texted_code(page: Any, db: Database, phone: str = "07400 123456") -> None:
    """The code step: read the code texted to ``phone`` (from the outbox, as the patient reads
    it on their phone), enter it and book."""
    page.wait_for_url("**/code")
    page.get_by_label("Code").fill(texted_code(db, phone))
    page.get_by_role("button", name="Confirm and book").click()
