"""The CSV export's rules: the date range, and cells a spreadsheet would run as formulas."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.calendar.export import parse_range, safe_cell
from scheduler.errors import ValidationFailed


@pytest.mark.parametrize("value", ["=1+1", "+447400123456", "-2", "@SUM(A1)", "\tx", "\r=1"])
def test_a_cell_that_would_start_a_formula_gets_a_leading_quote(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Ana", "a=b", "", None, 42, "'quoted"])
def test_other_cells_are_kept_as_they_are(value: object) -> None:
    assert safe_cell(value) == ("" if value is None else str(value))


def test_a_range_is_two_dates_both_included_at_most_366_days() -> None:
    assert parse_range("2026-01-01", "2026-12-31") == (date(2026, 1, 1), date(2026, 12, 31))
    assert parse_range("2024-01-01", "2024-12-31")[1] == date(2024, 12, 31)  # 366 days
    with pytest.raises(ValidationFailed) as too_long:
        parse_range("2025-01-01", "2026-01-02")  # 367 days
    assert list(too_long.value.fields) == ["to"]


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        (None, None, ["from", "to"]),
        ("2026-13-01", "2026-12-01", ["from"]),
        ("2026-03-01T00:00", "2026-03-02", ["from"]),
        ("2026-03-02", "2026-03-01", ["to"]),
    ],
)
def test_a_bad_range_names_each_wrong_field(
    start: str | None, end: str | None, fields: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as error:
        parse_range(start, end)
    assert sorted(error.value.fields) == fields
