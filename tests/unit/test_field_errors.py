"""Per-field messages are collected in order and raised together, or not at all."""

from __future__ import annotations

import pytest

from scheduler.errors import ValidationFailed
from scheduler.field_errors import FieldErrors


def test_messages_are_kept_per_field_in_the_order_they_were_added() -> None:
    errors = FieldErrors()
    errors.add("first_name", "Enter a name.")
    errors.add("phone", "Enter a mobile number.")
    errors.add("first_name", "Use at most 100 characters.")
    assert errors.fields == {
        "first_name": ["Enter a name.", "Use at most 100 characters."],
        "phone": ["Enter a mobile number."],
    }
    assert "phone" in errors
    assert "day" not in errors


def test_every_collected_message_is_raised_together() -> None:
    errors = FieldErrors()
    errors.add("day", "Choose a day.")
    errors.add("worst_pain", "Choose your worst pain.")
    with pytest.raises(ValidationFailed) as raised:
        errors.raise_if_any()
    assert raised.value.fields == {
        "day": ["Choose a day."],
        "worst_pain": ["Choose your worst pain."],
    }


def test_nothing_is_raised_when_no_message_was_added() -> None:
    FieldErrors().raise_if_any()
