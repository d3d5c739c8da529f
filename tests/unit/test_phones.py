"""Mobile numbers are normalised to E.164; anything that cannot take an SMS is refused."""

from __future__ import annotations

import random
import subprocess
import sys

import phonenumbers
import pytest

from scheduler.phones import (
    SMS_CAPABLE,
    InvalidPhone,
    mask,
    normalised,
    refusal,
    served_countries,
    to_e164,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("07400 123456", "+447400123456"),
        ("+44 7400 123456", "+447400123456"),
        ("0044 7400 123456", "+447400123456"),
    ],
)
def test_a_mobile_number_is_normalised_to_e164(typed: str, expected: str) -> None:
    assert to_e164(typed, "GB") == expected


def test_a_number_in_another_country_the_clinic_serves_is_taken() -> None:
    assert to_e164("+1 201-555-0123", "GB", ("GB", "US")) == "+12015550123"
    assert to_e164("087 123 4567", "IE", ("GB", "IE")) == "+353871234567"


@pytest.mark.parametrize(
    "typed",
    [
        "+881631234567",  # Iridium satellite
        "+998901234567",  # Uzbekistan
        "+996700123456",  # Kyrgyzstan
        "+234 803 123 4567",  # Nigeria
        "+7 916 123-45-67",  # Russia
        "+850 191 234 5678",  # North Korea
        "+1 201-555-0123",  # the United States
        "+44 7624 123456",  # the Isle of Man: its own region, unless the clinic adds IM
    ],
)
def test_a_mobile_in_a_country_the_clinic_does_not_serve_is_refused_naming_those_it_does(
    typed: str,
) -> None:
    with pytest.raises(
        InvalidPhone, match=r"^We can only text mobile numbers in the United Kingdom\.$"
    ):
        to_e164(typed, "GB")
    with pytest.raises(InvalidPhone, match="in the United Kingdom or Ireland"):
        to_e164(typed, "GB", ("GB", "IE"))


def test_countries_are_named_as_a_sentence_says_them() -> None:
    assert served_countries(["GB"]) == "the United Kingdom"
    assert served_countries(["GB", "IE", "JE"]) == "the United Kingdom, Ireland or Jersey"
    assert served_countries(["NL", "US"]) == "the Netherlands or the United States"


@pytest.mark.parametrize(
    ("stored", "served", "why"),
    [
        ("+447400123456", ("GB",), None),
        ("+79161234567", ("GB",), "RU is not a country the clinic texts"),
        ("+79161234567", ("GB", "RU"), None),
        ("+442079460000", ("GB",), "not a mobile number"),
        ("+4474001", ("GB",), "not a valid phone number"),
        ("junk", ("GB",), "not a phone number"),
    ],
)
def test_a_stored_number_is_checked_again_before_a_text_goes(
    stored: str, served: tuple[str, ...], why: str | None
) -> None:
    assert refusal(stored, served) == why


def test_the_check_at_send_time_agrees_with_the_library_on_any_number() -> None:
    """Validity, region and type worked out once each give what the library's own
    ``is_valid_number``, ``region_code_for_number`` and ``number_type`` give."""

    def by_the_library(e164: str, served: tuple[str, ...]) -> str | None:
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            return "not a phone number"
        if not phonenumbers.is_valid_number(number):
            return "not a valid phone number"
        region = phonenumbers.region_code_for_number(number)
        if region not in served:
            return f"{region} is not a country the clinic texts"
        if phonenumbers.number_type(number) not in SMS_CAPABLE:
            return "not a mobile number"
        return None

    chance = random.Random(7)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    numbers = [f"+{chance.choice(codes)}{chance.randint(10**5, 10**12)}" for _ in range(5000)]
    numbers += ["+447400123456", "+447624123456", "+447781123456", "+12015550123", "+80012345678"]
    for served in (("GB",), ("GB", "GG", "IM", "JE"), ("US", "CA"), ("001", "GB")):
        for number in numbers:
            assert refusal(number, served) == by_the_library(number, served), (number, served)


def test_any_valid_number_is_normalised_for_counting_requests_by_number() -> None:
    assert normalised("07400 123456") == normalised("+44 7400 123456") == "+447400123456"
    assert normalised("+7 916 123 4567") == "+79161234567"
    assert normalised("020 7946 0000") == "+442079460000"
    assert normalised("hello") is None
    assert normalised("") is None


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("", "Enter a mobile number"),
        ("hello", "Enter a mobile number"),
        ("123", "not a valid"),
        ("020 7946 0000", "cannot receive text messages"),
        ("+44 7400 123456" * 3, "too long"),
    ],
)
def test_a_number_that_cannot_take_sms_is_refused_with_a_reason(typed: str, why: str) -> None:
    with pytest.raises(InvalidPhone, match=why):
        to_e164(typed, "GB")


def test_a_masked_number_keeps_only_the_country_code_and_last_digits() -> None:
    assert mask("+447400123456") == "+44***456"
    assert "7400123" not in mask("+447400123456")


def test_the_workers_never_load_the_phone_librarys_geodata() -> None:
    """About 100 MB a process (the workers and the web each hold one per process)."""
    code = (
        "import sys, workers.tasks, scheduler.phones as p; "
        "assert p.served_countries(['GB', 'CZ']) == 'the United Kingdom or Czechia'; "
        "print(sorted(m for m in sys.modules if m.startswith('phonenumbers.geodata')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
