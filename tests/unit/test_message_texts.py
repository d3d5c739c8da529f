"""Every SMS fits one GSM-7 segment for ordinary names and says nothing clinical."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scheduler.messaging.gsm import is_gsm7, segment_count
from scheduler.messaging.texts import FORBIDDEN_WORDS, TEMPLATES, MessageContext, render
from scheduler.models import MessageKind

LONG_URL = "https://book.clearwaterclinic.co.uk/m/" + "A" * 22


def context(first_name: str = "Alexandra") -> MessageContext:
    return MessageContext(
        first_name=first_name,
        local_start=datetime(2026, 3, 11, 10, 15, tzinfo=UTC),
        clinic_name="Clearwater Clinic",
        clinic_phone="+44 20 7946 0000",
        manage_url=LONG_URL,
    )


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_each_message_fits_one_gsm7_segment_for_an_ordinary_name(kind: MessageKind) -> None:
    text = render(kind, context())
    assert is_gsm7(text)
    assert len(text) <= 160, (len(text), text)
    assert segment_count(text) == 1


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_no_message_names_a_condition(kind: MessageKind) -> None:
    text = render(kind, context()).lower()
    assert not any(word in text for word in FORBIDDEN_WORDS)


def test_a_confirmation_carries_the_date_time_and_link() -> None:
    text = render(MessageKind.CONFIRMATION, context())
    assert "Wed 11 Mar at 10:15" in text
    assert LONG_URL in text


def test_segments_are_counted_for_gsm7_and_for_ucs2() -> None:
    assert segment_count("a" * 160) == 1
    assert segment_count("a" * 161) == 2
    assert segment_count("a" * 306) == 2
    assert segment_count("€" * 80) == 1  # extended characters take two units
    assert segment_count("€" * 81) == 2
    assert segment_count("Zoë Łukasz" + "a" * 60) == 1  # Ł is not GSM-7: UCS-2, 70 a segment
    assert segment_count("Zoë Łukasz" + "a" * 61) == 2
    assert segment_count("😀" * 35) == 1
    assert segment_count("😀" * 36) == 2


def test_a_long_first_name_is_cut_to_keep_the_message_short() -> None:
    text = render(MessageKind.REMINDER_48H, context("Anna-Maximiliana-Josefina Alexandrovna"))
    assert "Hi Anna-Maximiliana-Jos, a reminder" in text
    assert len(text) <= 160
