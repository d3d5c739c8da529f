"""Staff passwords: long enough, not too long, and hard to guess, with the reason when not."""

from __future__ import annotations

import pytest

from scheduler.staff.accounts import DUMMY_HASH, password_errors, verify_password

ACCOUNT = ("mei.lin@clinic.test", "Mei Lin")


@pytest.mark.parametrize(
    "weak",
    ["password1234", "qwertyuiop123", "abcdefghijkl1", "111111111111", "mei.lin@clinic.test1"],
)
def test_an_easily_guessed_password_is_refused_with_the_reason(weak: str) -> None:
    (problem,) = password_errors(weak, ACCOUNT)
    assert problem.startswith("This password is too easy to guess. ")
    assert len(problem) > len("This password is too easy to guess. ")


@pytest.mark.parametrize(
    "strong", ["correct horse battery", "a much longer passphrase", "Tr0ub4dor&3 tide pool"]
)
def test_a_long_unusual_password_is_accepted(strong: str) -> None:
    assert password_errors(strong, ACCOUNT) == []


def test_length_is_checked_first() -> None:
    assert password_errors("short", ACCOUNT) == ["Use at least 12 characters."]
    assert password_errors("x" * 201, ACCOUNT) == ["Use at most 200 characters."]


def test_the_dummy_hash_opens_nothing() -> None:
    assert not verify_password(DUMMY_HASH, "")
    assert not verify_password(DUMMY_HASH, "password1234")
