"""The text that carries a phone code: plain, one segment, nothing but the clinic and the code,
and shown in full by the development backend so `make run` needs no phone."""

from __future__ import annotations

import logging

import pytest

from scheduler.messaging.gsm import is_gsm7, segment_count
from scheduler.messaging.sms.base import OutgoingSms
from scheduler.messaging.sms.console import ConsoleBackend
from scheduler.messaging.texts import forbidden_words_in, phone_code_text
from scheduler.patients.verification import wait_in_words, wrong_code_text


def test_the_code_text_is_one_plain_segment_naming_only_the_clinic_and_the_code() -> None:
    text = phone_code_text("Clearwater Clinic", "042917", 10)
    assert text == (
        "Clearwater Clinic: your code is 042917. It expires in 10 minutes. "
        "If you did not ask for it, ignore this text."
    )
    assert is_gsm7(text) and segment_count(text) == 1
    assert forbidden_words_in(text) == [] and "http" not in text


def test_the_development_backend_shows_the_code(caplog: pytest.LogCaptureFixture) -> None:
    text = phone_code_text("Clearwater Clinic", "042917", 10)
    with caplog.at_level(logging.INFO, logger="clinic.sms.console"):
        ConsoleBackend().send(OutgoingSms(to="+447400123456", body=text))
    assert "your code is 042917" in caplog.text
    assert "+447400123456" not in caplog.text  # the number is masked


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (45, "45 seconds"),
        (90, "90 seconds"),
        (91, "2 minutes"),
        (3600, "60 minutes"),
    ],
)
def test_a_wait_is_told_as_people_say_it(seconds: int, words: str) -> None:
    assert wait_in_words(seconds) == words


@pytest.mark.parametrize(
    ("left", "words"),
    [(4, "You have 4 tries left."), (1, "You have 1 try left."), (0, "Ask for a new code.")],
)
def test_a_wrong_code_is_told_the_tries_left(left: int, words: str) -> None:
    assert words in wrong_code_text(left)
