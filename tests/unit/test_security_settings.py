"""Production refuses a short signing key; proxies are trusted only when configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.config import SHORTEST_SECRET_KEY, ConfigurationError, load_settings


def production(tmp_path: Path, **env: str) -> dict[str, str]:
    return {"APP_ENV": "production", "INSTANCE_PATH": str(tmp_path), **env}


def test_production_refuses_a_secret_key_shorter_than_32_characters(tmp_path: Path) -> None:
    short = "s" * (SHORTEST_SECRET_KEY - 1)
    with pytest.raises(ConfigurationError, match="at least 32 characters") as caught:
        load_settings(production(tmp_path, SECRET_KEY=short))
    assert short not in str(caught.value)  # the key itself is never shown
    key = "s" * SHORTEST_SECRET_KEY
    assert load_settings(production(tmp_path, SECRET_KEY=key)).secret_key == key


def test_development_takes_any_key(tmp_path: Path) -> None:
    settings = load_settings({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "dev"})
    assert settings.secret_key == "dev"


def test_no_proxy_is_trusted_unless_configured(tmp_path: Path) -> None:
    assert load_settings({"INSTANCE_PATH": str(tmp_path)}).trusted_proxy_hops == 0
    env = {"INSTANCE_PATH": str(tmp_path), "TRUSTED_PROXY_HOPS": "1"}
    assert load_settings(env).trusted_proxy_hops == 1


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_malformed_proxy_count_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXY_HOPS"):
        load_settings({"INSTANCE_PATH": str(tmp_path), "TRUSTED_PROXY_HOPS": value})
