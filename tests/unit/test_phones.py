"""Mobile numbers are normalised to E.164; anything that cannot take an SMS is refused."""

from __future__ import annotations

import pytest

from scheduler.phones import InvalidPhone, mask, to_e164


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("07400 123456", "+447400123456"),
        ("+44 7400 123456", "+447400123456"),
        ("0044 7400 123456", "+447400123456"),
        ("+1 201-555-0123", "+12015550123"),
    ],
)
def test_a_mobile_number_is_normalised_to_e164(typed: str, expected: str) -> None:
    assert to_e164(typed, "GB") == expected


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
