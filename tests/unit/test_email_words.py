"""What every kind of visit email says: the time in the clinic's words, the address, the
personal link and the phone, and never a condition, a treatment or a medication (DOMAIN.md
section 7) in the subject, the text or the HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.config import Settings
from scheduler.messaging.email_plans import DEFAULT_ROUTES, visit_email_words
from scheduler.messaging.texts import forbidden_words_in
from scheduler.models import Appointment, MessageKind, Patient

START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
LINK = "https://book.example.test/m/abc"


def visit(first_name: str = "Ana") -> Appointment:
    patient = Patient(first_name=first_name, last_name="Silva", phone_e164="+447400123456")
    return Appointment(
        starts_at=START, ends_at=START + timedelta(minutes=45), patient=patient, revision=0
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(environment="test", instance_path=tmp_path, secret_key="k")


@pytest.mark.parametrize("kind", list(DEFAULT_ROUTES))
def test_no_email_names_a_condition_treatment_or_medication(
    kind: MessageKind, settings: Settings
) -> None:
    words = visit_email_words(kind, visit(), settings, LINK, "1 Harley Street, London")
    everything = f"{words.subject}\n{words.text}\n{words.html}"
    assert forbidden_words_in(everything) == []
    assert words.text.startswith("Hello Ana,")
    assert LINK in words.text and f'<a href="{LINK}">' in words.html
    assert settings.clinic_phone in words.text


def test_the_confirmation_says_when_and_where() -> None:
    settings = Settings(environment="test", instance_path=Path("/tmp"), secret_key="k")
    words = visit_email_words(MessageKind.CONFIRMATION, visit(), settings, LINK, "1 High St")
    assert words.subject == f"Your visit to {settings.clinic_name} is booked: Wed 4 Mar at 10:00"
    assert "You are booked for Wednesday 4 March 2026 at 10:00." in words.text
    assert f"Where: {settings.clinic_name}, 1 High St." in words.text


def test_a_name_that_cannot_be_greeted_is_left_out_and_html_is_escaped(
    settings: Settings,
) -> None:
    words = visit_email_words(
        MessageKind.RESCHEDULED, visit("<b>1</b>"), settings, LINK, "<script>x</script>"
    )
    assert words.text.startswith("Hello,\n")
    assert "<script>" not in words.html and "&lt;script&gt;" in words.html
