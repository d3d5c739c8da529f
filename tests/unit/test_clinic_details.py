"""Clinic details as patients read them: map links, prices as typed and as shown."""

from __future__ import annotations

import pytest

from scheduler.field_errors import FieldErrors
from scheduler.setup.clinic_details import Money, map_link, parse_price


@pytest.mark.parametrize(
    ("typed", "pence"), [("45", 4500), ("45.5", 4550), ("£45.50", 4550), (" 0 ", 0), ("", None)]
)
def test_a_price_is_read_in_pence_with_or_without_a_pound_sign(
    typed: str, pence: int | None
) -> None:
    errors = FieldErrors()
    assert parse_price(errors, "price", typed) == pence
    assert errors.fields == {}


@pytest.mark.parametrize("typed", ["-1", "4,5", "45.555", "1e3", "100000.01", "forty"])
def test_anything_else_typed_as_a_price_is_refused(typed: str) -> None:
    errors = FieldErrors()
    assert parse_price(errors, "price", typed) is None
    assert "price" in errors


def test_prices_read_as_the_clinics_locale_writes_them() -> None:
    assert Money("en_GB").text(5500) == "£55"
    assert Money("en_GB").text(123450) == "£1,234.50"
    assert Money("en_IE").text(5500) == "€55"


def test_the_map_link_is_the_clinics_own_else_a_search_for_the_address() -> None:
    own = "https://maps.example/clinic"
    assert map_link("1 High St, Leeds", own) == own
    assert map_link("1 High St, Leeds", "") == (
        "https://www.openstreetmap.org/search?query=1+High+St%2C+Leeds"
    )
    assert map_link("", "") == ""
