"""Email settings: the backend, SMTP_URL taken apart, the sender; the console backend."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from scheduler.config import (
    ConfigurationError,
    Settings,
    SmtpEndpoint,
    load_settings,
    parse_smtp_url,
)
from scheduler.messaging.email import email_backend_from_settings
from scheduler.messaging.email.base import OutgoingEmail
from scheduler.messaging.email.console import ConsoleEmailBackend
from scheduler.messaging.email.smtp import SmtpBackend


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:2525", SmtpEndpoint("plain", "127.0.0.1", 2525)),
        ("smtp://relay.internal", SmtpEndpoint("plain", "relay.internal", 25)),
        (
            "smtp+starttls://apikey:s%40cr%3At%2Fpw@smtp.example.com",
            SmtpEndpoint("starttls", "smtp.example.com", 587, "apikey", "s@cr:t/pw"),
        ),
        (
            "smtps://clinic%40example.com:pw@mail.example.com:2465",
            SmtpEndpoint("tls", "mail.example.com", 2465, "clinic@example.com", "pw"),
        ),
        ("SMTPS://Mail.Example.com", SmtpEndpoint("tls", "mail.example.com", 465)),
    ],
)
def test_smtp_urls_are_taken_apart(url: str, expected: SmtpEndpoint) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.com", "must start with smtp://, smtp\\+starttls://, smtps://"),
        ("mail.example.com:25", "must start with"),
        ("smtp://", "names no host"),
        ("smtps://user:pw@:465", "names no host"),
        ("smtp://mail.example.com:port", "port"),
        ("smtp://mail.example.com:99999", "port"),
    ],
)
def test_malformed_smtp_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_smtp_url(url)


def test_an_error_never_shows_the_password() -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_smtp_url("smtp://user:hunter2secret@mail.example.com:notaport")
    assert "hunter2secret" not in str(caught.value)
    assert "hunter2secret" not in repr(parse_smtp_url("smtp://u:hunter2secret@h"))


def test_email_defaults_log_to_the_console_from_the_clinic(tmp_path: Path) -> None:
    settings = load_settings({"INSTANCE_PATH": str(tmp_path), "CLINIC_NAME": "St. Anne's, East"})
    assert settings.email_backend == "console"
    assert settings.smtp_url == ""
    assert settings.email_from == '"St. Anne\'s, East" <bookings@localhost>'
    assert settings.smtp_timeout_s == 10.0
    assert isinstance(email_backend_from_settings(settings), ConsoleEmailBackend)


def test_email_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "INSTANCE_PATH": str(tmp_path),
            "EMAIL_BACKEND": "smtp",
            "SMTP_URL": "smtps://u:p@mail.example.com",
            "EMAIL_FROM": "Clinic <hello@clinic.example>",
            "SMTP_TIMEOUT": "4.5",
        }
    )
    assert (settings.email_backend, settings.smtp_url) == ("smtp", "smtps://u:p@mail.example.com")
    assert settings.email_from == "Clinic <hello@clinic.example>"
    assert settings.smtp_timeout_s == 4.5
    assert "u:p@" not in repr(settings)
    assert isinstance(email_backend_from_settings(settings), SmtpBackend)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EMAIL_BACKEND": "pigeon"}, "EMAIL_BACKEND"),
        ({"EMAIL_BACKEND": "smtp"}, "EMAIL_BACKEND=smtp needs SMTP_URL"),
        ({"EMAIL_BACKEND": "smtp", "SMTP_URL": "https://mail.example.com"}, "SMTP_URL must"),
        ({"SMTP_URL": "smtp://:25"}, "names no host"),
        ({"EMAIL_FROM": "the clinic"}, "EMAIL_FROM"),
        ({"SMTP_TIMEOUT": "0"}, "SMTP_TIMEOUT"),
        ({"SMTP_TIMEOUT": "soon"}, "SMTP_TIMEOUT"),
    ],
)
def test_malformed_email_settings_are_refused(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_settings({"INSTANCE_PATH": str(tmp_path), **env})


def test_a_sender_smtp_cannot_carry_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="EMAIL_FROM"):
        SmtpBackend.from_url("smtp://127.0.0.1", "Clinic <réception@clinic.example>")


def test_settings_made_in_code_get_a_sender_from_their_clinic_name() -> None:
    assert Settings(clinic_name="Harbour Physio").email_from == (
        "Harbour Physio <bookings@localhost>"
    )
    assert Settings(email_from="a <a@b.example>").email_from == "a <a@b.example>"


def test_the_console_backend_logs_one_line_without_the_address_or_tokens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    email = OutgoingEmail(
        to="José <jose.nunez@example.com>",
        subject="Your visit on Monday",
        text="See you at 09:00. Change it: https://book.example.test/m/SeCrEtToKeN42",
        html=None,
        message_id="<1@h>",
        unsubscribe_url=None,
    )
    with caplog.at_level(logging.INFO, logger="clinic.email.console"):
        first = ConsoleEmailBackend().send(email)
        second = ConsoleEmailBackend().send(email)

    assert first.status == "sent"
    assert first.sid != second.sid
    records = [r for r in caplog.records if r.name == "clinic.email.console"]
    assert len(records) == 2
    line = records[0].getMessage()
    assert records[0].levelno == logging.INFO
    assert first.sid in line
    assert "j***@example.com" in line
    assert "jose.nunez" not in line
    assert "Your visit on Monday" in line
    assert "See you at 09:00" in line
    assert "SeCrEtToKeN42" not in line
