"""Every SMS fits one GSM-7 segment for ordinary names and says nothing clinical."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from scheduler.messaging.gsm import is_gsm7, segment_count
from scheduler.messaging.texts import (
    FORBIDDEN_WORDS,
    TEMPLATES,
    MessageContext,
    name_is_safe,
    render,
)
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


# Names a stranger might type to make the clinic's number send their link or their words.
HOSTILE_NAMES = [
    "evil.example/login",
    "evil.example",
    "Eve evil.example",
    "bit.ly",
    "EVIL.COM",
    "www",
    "wwwevil",
    "Eve www",
    "http",
    "https",
    "HTTPEve",
    "Eve/login",
    "Eve:8080",
    "eve@evil",
    "mailto:eve",
    "\uff25\uff56\uff49\uff4c\uff0e\uff43\uff4f\uff4d",  # full-width "Evil.com"
    "\uff57\uff57\uff57",  # full-width "www"
    "evil\uff0ecom",  # a full-width dot alone
    "evil\u3002com",  # an ideographic full stop, read as a dot in addresses
    "evil\u2024com",  # one dot leader
    "evil\u200b.com",  # a zero-width space hiding the dot's neighbour
    "e\u0301.com",  # a combining accent before the dot
    "Eve\u202egro.live",  # a right-to-left override
    "Call 07700900123",
    "Eve0800",
    "Eve<script>",
    "Eve\u00a0evil.example",  # a no-break space
    "Eve\tevil",
    "Youraccountislockedcallusnowplease",
    "A" * 31,
    "Eve-" + "x" * 40,
    "",
    "   ",
]
REAL_NAMES = [
    ("Eve", "Eve"),
    ("O'Brien", "O'Brien"),
    ("O\u2019Brien", "O\u2019Brien"),  # as phones type the apostrophe
    ("Anne-Marie", "Anne-Marie"),
    ("José", "José"),
    ("Nguyễn", "Nguyễn"),
    ("Ó Súilleabháin", "Ó"),  # the first word, as for any name
    ("Siobhán", "Siobhán"),
    ("Zoë", "Zoë"),
    ("Łukasz", "Łukasz"),
    ("Ἀλέξανδρος", "Ἀλέξανδρος"),
    ("Владимир", "Владимир"),
    ("李小龍", "李小龍"),
    ("محمد", "محمد"),
    ("\u02bbIolana", "\u02bbIolana"),  # with the Hawaiian okina
    ("J. R.", "J."),
    ("Mary Jane", "Mary"),
    ("  Ana  ", "Ana"),
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_name_that_could_read_as_a_link_or_a_message_gets_a_neutral_greeting(
    name: str,
) -> None:
    assert not name_is_safe(name)
    text = render(MessageKind.CONFIRMATION, context(name))
    assert text.startswith("Hi, booked: Clearwater Clinic, Wed 11 Mar at 10:15. Manage: ")
    assert text.replace(LONG_URL, "").count("/") == 0
    assert "evil" not in text.lower() and "www" not in text and "@" not in text


@pytest.mark.parametrize(("name", "shown"), REAL_NAMES)
def test_real_names_from_many_languages_greet_the_patient(name: str, shown: str) -> None:
    assert name_is_safe(name)
    assert render(MessageKind.REMINDER_48H, context(name)).startswith(f"Hi {shown}, a reminder")


@pytest.mark.parametrize("kind", [k for k in TEMPLATES if "{first_name}" in TEMPLATES[k]])
def test_every_text_with_a_name_reads_well_without_one(kind: MessageKind) -> None:
    ctx = replace(context("evil.example/login"), expires=datetime(2026, 3, 11, 8, 0, tzinfo=UTC))
    text = render(kind, ctx)
    assert text.startswith("Hi, ")
    assert "  " not in text and " ," not in text


def test_the_clinics_own_wording_closes_up_around_a_name_left_out() -> None:
    first = render(MessageKind.CONFIRMATION, context("www.evil"), "{first_name}, see you {when}")
    middle = render(MessageKind.CONFIRMATION, context("www.evil"), "Thank you {first_name} for")
    assert (first, middle) == ("See you Wed 11 Mar at 10:15", "Thank you for")
    assert render(MessageKind.CONFIRMATION, context("Eve"), "{first_name}, see you") == (
        "Eve, see you"
    )
