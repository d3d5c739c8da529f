"""Mobile numbers: parsing what a patient typed into E.164, only for the countries the clinic
texts, and masking numbers for logs."""

from __future__ import annotations

from collections.abc import Collection

import phonenumbers
from babel import Locale
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumber, PhoneNumberType
from phonenumbers.phonenumberutil import _number_type_helper

# FIXED_LINE_OR_MOBILE: the numbering plan cannot tell (the US, Canada); the provider refuses a
# landline at send time.
SMS_CAPABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}

# Country names that read with "the" in a sentence ("in the United Kingdom").
NAMES_WITH_THE = frozenset(
    {
        "United Kingdom",
        "United States",
        "United Arab Emirates",
        "Netherlands",
        "Philippines",
        "Bahamas",
        "Gambia",
        "Maldives",
        "Dominican Republic",
        "Central African Republic",
        "Solomon Islands",
        "Marshall Islands",
        "Cayman Islands",
        "Faroe Islands",
        "Falkland Islands",
        "Cook Islands",
        "Cocos (Keeling) Islands",
        "Turks & Caicos Islands",
        "British Virgin Islands",
        "U.S. Virgin Islands",
        "Northern Mariana Islands",
        "Caribbean Netherlands",
        "Palestinian Territories",
    }
)


class InvalidPhone(ValueError):
    """The text is not a mobile number that can receive SMS."""


def to_e164(raw: str, default_region: str = "GB", served: Collection[str] | None = None) -> str:
    """The E.164 form of a mobile number typed in national or international format.

    ``served``: the regions the clinic texts (ISO codes; by default ``default_region`` alone).

    :raise InvalidPhone: if it is not a valid number, not in a served region (the message names
        those served), or not one that can receive SMS.
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
    regions = tuple(served) if served else (default_region,)
    if phonenumbers.region_code_for_number(number) not in regions:
        raise InvalidPhone(f"We can only text mobile numbers in {served_countries(regions)}.")
    if phonenumbers.number_type(number) not in SMS_CAPABLE:
        raise InvalidPhone("That number cannot receive text messages; give a mobile number.")
    return _e164(number)


def refusal(e164: str, served: Collection[str]) -> str | None:
    """Why a stored number must not be texted (not valid, not in a served region, not a
    mobile), or None if it may. For the check at send time: the rules may have changed since
    the number was taken, or it came in some other way."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return "not a phone number"
    # Valid means the number has a region and its region's plan gives it a type: each worked
    # out once (``is_valid_number`` and ``number_type`` would each work the region out again).
    region = phonenumbers.region_code_for_number(number)
    kind = _number_type(number, region)
    if region is None or kind == PhoneNumberType.UNKNOWN:
        return "not a valid phone number"
    if region not in served:
        return f"{region} is not a country the clinic texts"
    if kind not in SMS_CAPABLE:
        return "not a mobile number"
    return None


def _number_type(number: PhoneNumber, region: str | None) -> int:
    """``phonenumbers.number_type`` for a number whose region is already known."""
    if region is None or number.country_code is None:
        return PhoneNumberType.UNKNOWN
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(number.country_code, region)
    if metadata is None:
        return PhoneNumberType.UNKNOWN
    return _number_type_helper(phonenumbers.national_significant_number(number), metadata)


def normalised(raw: str, default_region: str = "GB") -> str | None:
    """The E.164 form of any valid number, wherever it is and whatever its kind, or None: for
    counting requests by number, never for deciding where a text may go."""
    text = (raw or "").strip()
    if not text or len(text) > 32:
        return None
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException:
        return None
    return _e164(number) if phonenumbers.is_valid_number(number) else None


def served_countries(regions: Collection[str]) -> str:
    """The countries' names in a sentence: "the United Kingdom", "Ireland or Jersey"."""
    names = [_country_name(region) for region in regions]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _country_name(region: str) -> str:
    """The English name of an ISO region ("the United Kingdom"), or the code if unknown.

    From Babel's CLDR names (loaded on first use), not the phonenumbers library's geodata,
    whose import alone costs a process about 100 MB."""
    name = Locale("en").territories.get(region, "")
    if not name:
        return region
    return f"the {name}" if name in NAMES_WITH_THE else name


def _e164(number: PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """A number fit for logs: the country code and the last three digits."""
    if len(e164) <= 6:
        return "***"
    return f"{e164[:3]}***{e164[-3:]}"
