"""Whose bank holidays the clinic keeps: CLINIC_COUNTRY and CLINIC_SUBDIVISION."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.config import ConfigurationError, load_settings


def test_the_clinic_keeps_the_bank_holidays_of_all_great_britain_by_default(
    tmp_path: Path,
) -> None:
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert (settings.clinic_country, settings.clinic_subdivision) == ("GB", "")


def test_a_country_and_region_are_read_and_spelt_as_the_holidays_library_spells_them(
    tmp_path: Path,
) -> None:
    env = {"INSTANCE_PATH": str(tmp_path), "CLINIC_COUNTRY": " gb ", "CLINIC_SUBDIVISION": "sct"}
    settings = load_settings(env)
    assert (settings.clinic_country, settings.clinic_subdivision) == ("GB", "SCT")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CLINIC_COUNTRY": "XX"}, "CLINIC_COUNTRY 'XX' is not a country code like GB or IE"),
        (
            {"CLINIC_SUBDIVISION": "Yorkshire"},
            r"CLINIC_SUBDIVISION 'Yorkshire' is not a region of GB \(ENG, NIR, SCT, WLS\)",
        ),
        ({"CLINIC_COUNTRY": "IE", "CLINIC_SUBDIVISION": "ENG"}, "is not a region of IE"),
    ],
)
def test_an_unknown_country_or_region_stops_start_up_with_its_name(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings({**env, "INSTANCE_PATH": str(tmp_path)})
