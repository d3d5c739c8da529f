"""The one rule for a patient's email address: trimmed, short enough, well formed."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from scheduler.field_errors import FieldErrors

EMAIL_FIELD = "email"
EMAIL_MAX = 254  # the longest address mail servers carry (RFC 5321 with RFC 3696's erratum)
TOO_LONG = f"Use at most {EMAIL_MAX} characters."
NOT_AN_ADDRESS = "Enter an email address like name@example.com, or leave it empty."


class InvalidEmail(ValueError):
    """The text is not an email address we can write to; its message says why, in plain words."""


def normalise_email(raw: str) -> str:
    """The address as it is kept: trimmed, its domain lower-cased (and in Unicode NFC form).

    Whether the domain receives mail is not checked here (no network look-up).

    :raise InvalidEmail: if it is empty, longer than ``EMAIL_MAX`` or not a valid address.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidEmail(NOT_AN_ADDRESS)
    if len(text) > EMAIL_MAX:
        raise InvalidEmail(TOO_LONG)
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(NOT_AN_ADDRESS) from exc
    local, _, domain = checked.normalized.rpartition("@")
    address = f"{local}@{domain.lower()}"
    if len(address) > EMAIL_MAX:
        raise InvalidEmail(TOO_LONG)
    return address


def optional_email(raw: str | None) -> str | None:
    """``normalise_email`` of an answer that may be left empty: None when it is.

    :raise InvalidEmail: if something was typed that is not a valid address.
    """
    if raw is None or not raw.strip():
        return None
    return normalise_email(raw)


def check_email(raw: str | None, errors: FieldErrors, field: str = EMAIL_FIELD) -> str | None:
    """``optional_email``, a wrong address added to ``errors`` under ``field`` (None then)."""
    try:
        return optional_email(raw)
    except InvalidEmail as exc:
        errors.add(field, str(exc))
        return None
