"""Reading patients' replies: the keyword table, diary numbers, emergencies, and any text at all."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.messaging.replies import Intent, parse
from scheduler.messaging.texts import FORBIDDEN_WORDS, REPLIES, render_reply


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "CANCEL", "end", "QUIT", "revoke",
     "optout", "Stop."],
)  # fmt: skip
def test_every_carrier_opt_out_word_means_stop(text: str) -> None:
    assert parse(text).intent == Intent.STOP


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("START", Intent.START),
        ("unstop", Intent.START),
        ("HELP", Intent.HELP),
        ("info", Intent.HELP),
        ("C", Intent.YES),
        ("y", Intent.YES),
        ("Yes!", Intent.YES),
        ("R", Intent.RESCHEDULE),
        ("x", Intent.CANCEL),
        ("maybe", Intent.UNKNOWN),
        ("", Intent.UNKNOWN),
        ("11", Intent.UNKNOWN),
        ("7 30h", Intent.UNKNOWN),
        ("-1", Intent.UNKNOWN),
    ],
)
def test_keywords_are_read_whatever_their_case_and_spacing(text: str, intent: Intent) -> None:
    assert parse(text).intent == intent


@pytest.mark.parametrize(
    ("text", "pain", "hours", "medication"),
    [
        ("0", 0, None, False),
        ("7", 7, None, False),
        ("10", 10, None, False),
        ("7 3h M", 7, 3.0, True),
        ("7 3h m", 7, 3.0, True),
        ("5 2.5h", 5, 2.5, False),
        ("5 2,5 hrs", 5, 2.5, False),
        ("4 M", 4, None, True),
        ("6 12 hours med", 6, 12.0, True),
    ],
)
def test_diary_replies_give_pain_hours_and_medication(
    text: str, pain: int, hours: float | None, medication: bool
) -> None:
    reply = parse(text)
    assert (reply.intent, reply.pain, reply.hours, reply.medication) == (
        Intent.DIARY,
        pain,
        hours,
        medication,
    )


@pytest.mark.parametrize(
    "text",
    [
        "worst headache of my life",
        "I can't speak properly",
        "sudden weakness in my arm",
        "I feel faint",
        "my face is numb",
    ],
)
def test_words_suggesting_an_emergency_are_recognised(text: str) -> None:
    assert parse(text).intent == Intent.EMERGENCY


def test_an_opt_out_word_still_means_stop() -> None:
    assert parse("STOP").intent == Intent.STOP


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_at_all_is_read_without_an_error(text: str) -> None:
    reply = parse(text)
    assert reply.intent in Intent
    if reply.intent == Intent.DIARY:
        assert reply.pain is not None and 0 <= reply.pain <= 10


@pytest.mark.parametrize("name", list(REPLIES))
def test_each_reply_fits_one_segment_and_names_no_condition(name: str) -> None:
    values = {
        "clinic_name": "Clearwater Clinic",
        "clinic_phone": "+44 20 7946 0000",
        "emergency": "999",
        "when": "Wed 11 Mar at 10:15",
        "day": "Wed 11 Mar",
        "manage_url": "https://book.clearwaterclinic.co.uk/m/" + "A" * 22 + "/visits/123/move",
    }
    text = render_reply(name, **values)
    assert len(text) <= 160, (len(text), text)
    assert not any(word in text.lower() for word in FORBIDDEN_WORDS)
