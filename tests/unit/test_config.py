"""Settings come from the environment once, with safe development defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.config import ConfigurationError, load_settings


def test_defaults_need_nothing_but_an_instance_folder(tmp_path: Path) -> None:
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'clinic.db'}"
    assert settings.redis_url == ""
    assert settings.uses_embedded_redis
    assert settings.sms_backend == "console"
    assert settings.clinic_timezone == "Europe/London"


def test_a_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"INSTANCE_PATH": str(tmp_path)}).secret_key
    second = load_settings({"INSTANCE_PATH": str(tmp_path)}).secret_key
    assert len(first) >= 40
    assert first == second
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_settings({"APP_ENV": "production", "INSTANCE_PATH": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()


def test_the_twilio_backend_needs_its_credentials(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="TWILIO_ACCOUNT_SID"):
        load_settings({"SMS_BACKEND": "twilio", "INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SMS_BACKEND", "pigeon", "SMS_BACKEND"),
        ("CLINIC_TIMEZONE", "Mars/Olympus", "CLINIC_TIMEZONE"),
        ("APP_ENV", "staging-ish", "APP_ENV"),
        ("DISPATCH_INTERVAL_SECONDS", "soon", "DISPATCH_INTERVAL_SECONDS"),
        ("DISPATCH_BATCH_SIZE", "0", "DISPATCH_BATCH_SIZE"),
    ],
)
def test_a_malformed_value_is_refused_with_its_name(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings({name: value, "INSTANCE_PATH": str(tmp_path)})


def test_values_are_read_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": "postgresql://u:p@db/clinic",
            "REDIS_URL": "redis://cache:6379/1",
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": "AC123",
            "TWILIO_AUTH_TOKEN": "tok",
            "TWILIO_MESSAGING_SERVICE_SID": "MG123",
            "TWILIO_REQUEST_TIMEOUT": "4.5",
            "CLINIC_TIMEZONE": "America/New_York",
            "PUBLIC_BASE_URL": "https://book.example.org/",
            "SECRET_KEY": "s3cret",
        }
    )
    assert settings.redis_url == "redis://cache:6379/1"
    assert settings.twilio.request_timeout_s == 4.5
    assert settings.twilio.messaging_service_sid == "MG123"
    assert settings.manage_url("abc") == "https://book.example.org/m/abc"
    assert settings.status_callback_url == "https://book.example.org/webhooks/twilio/status"
    assert settings.secret_key == "s3cret"


def test_texts_go_to_the_clinics_own_region_unless_more_countries_are_named(
    tmp_path: Path,
) -> None:
    plain = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert plain.sms_regions == ("GB",)
    assert load_settings(
        {"INSTANCE_PATH": str(tmp_path), "DEFAULT_PHONE_REGION": "ie"}
    ).sms_regions == ("IE",)
    named = load_settings({"INSTANCE_PATH": str(tmp_path), "SMS_ALLOWED_COUNTRIES": " gb, IE ,JE"})
    assert named.sms_regions == ("GB", "IE", "JE")


def test_the_limits_on_anonymous_work_are_on_with_sensible_defaults(tmp_path: Path) -> None:
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert settings.rate_limits_enabled
    assert (settings.held_visits_per_patient, settings.held_visits_per_address) == (40, 60)
    assert settings.new_numbers_per_hour == 50
    changed = load_settings(
        {
            "INSTANCE_PATH": str(tmp_path),
            "RATE_LIMITS_ENABLED": "off",
            "HELD_VISITS_PER_PATIENT": "20",
            "HELD_VISITS_PER_ADDRESS": "30",
            "NEW_NUMBERS_PER_HOUR": "0",
        }
    )
    assert not changed.rate_limits_enabled
    assert (changed.held_visits_per_patient, changed.held_visits_per_address) == (20, 30)
    assert changed.new_numbers_per_hour == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMS_ALLOWED_COUNTRIES", "GB,Narnia"),
        ("SMS_ALLOWED_COUNTRIES", "XX"),
        ("RATE_LIMITS_ENABLED", "maybe"),
        ("HELD_VISITS_PER_PATIENT", "0"),
        ("HELD_VISITS_PER_ADDRESS", "lots"),
        ("NEW_NUMBERS_PER_HOUR", "-1"),
    ],
)
def test_a_malformed_limit_setting_is_refused_with_its_name(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(ConfigurationError, match=name):
        load_settings({name: value, "INSTANCE_PATH": str(tmp_path)})
