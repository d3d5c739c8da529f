"""Mobile numbers: parsing what a patient typed into E.164, and masking numbers for logs."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

SMS_CAPABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhone(ValueError):
    """The text is not a mobile number that can receive SMS."""


def to_e164(raw: str, default_region: str = "GB") -> str:
    """The E.164 form of a mobile number typed in national or international format.

    :raise InvalidPhone: if it is not a valid number, or not one that can receive SMS.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone("Enter a mobile number.")
    if len(text) > 32:
        raise InvalidPhone("That is too long to be a phone number.")
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException as exc:
        raise InvalidPhone("Enter a mobile number, like 07700 900123 or +44 7700 900123.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("That is not a valid phone number.")
    if phonenumbers.number_type(number) not in SMS_CAPABLE:
        raise InvalidPhone("That number cannot receive text messages; give a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """A number fit for logs: the country code and the last three digits."""
    if len(e164) <= 6:
        return "***"
    return f"{e164[:3]}***{e164[-3:]}"
