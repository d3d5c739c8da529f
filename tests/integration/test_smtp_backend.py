"""Email over a real local SMTP server: what arrives, and what each refusal or hang means."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from scheduler.calendar.invites import invite
from scheduler.config import Settings
from scheduler.messaging.email import email_backend_from_settings
from scheduler.messaging.email.base import OutgoingEmail, new_message_id
from scheduler.messaging.email.smtp import SmtpBackend
from scheduler.messaging.provider import FailureKind, SendFailure
from tests.support.smtp_server import SmtpServer, self_signed_certificate

SENDER = "Clínica Norte <bookings@clinic.example>"
STARTS = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TIMEOUT_S = 1.0


def _ics(method: str = "REQUEST", sequence: int = 0) -> str:
    return invite(
        "visit-7@book.example.test",
        sequence,
        method,
        STARTS,
        STARTS + timedelta(minutes=30),
        "Physiotherapy",
        "Room 2",
        "bookings@clinic.example",
        "Clínica Norte",
        "jose@example.com",
        "José Ñúñez",
        "See you soon.",
        STARTS - timedelta(days=1),
    )


def _email(**changes: Any) -> OutgoingEmail:
    values: dict[str, Any] = {
        "to": "José Ñúñez <jose@example.com>",
        "subject": "Séance confirmée: lundi 2 mars, 09:00",
        "text": "Bonjour José,\n.\n..a line that starts with dots\nÀ bientôt.\n",
        "html": "<p>Bonjour José</p>",
        "message_id": new_message_id("book.example.test"),
        "unsubscribe_url": "https://book.example.test/email/unsubscribe/tok123",
        "invite": _ics(),
    }
    values.update(changes)
    return OutgoingEmail(**values)


def _backend(url: str, ssl_context: ssl.SSLContext | None = None) -> SmtpBackend:
    return SmtpBackend.from_url(url, SENDER, timeout_s=TIMEOUT_S, ssl_context=ssl_context)


def _failure(backend: SmtpBackend, email: OutgoingEmail | None = None) -> SendFailure:
    with pytest.raises(SendFailure) as caught:
        backend.send(email or _email())
    return caught.value


def test_an_invite_email_arrives_whole(smtp_server: SmtpServer) -> None:
    email = _email()
    receipt = _backend(smtp_server.url).send(email)

    assert receipt.sid == email.message_id[1:-1]
    assert receipt.status == "sent"
    (received,) = smtp_server.received
    assert received.mail_from == "bookings@clinic.example"
    assert received.rcpt_tos == ("jose@example.com",)
    message = received.message
    assert message["Message-ID"] == email.message_id
    assert message["Subject"] == "Séance confirmée: lundi 2 mars, 09:00"
    assert str(message["To"]) == "José Ñúñez <jose@example.com>"
    assert message["From"].addresses[0].display_name == "Clínica Norte"
    assert message["List-Unsubscribe"] == "<https://book.example.test/email/unsubscribe/tok123>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert abs(message["Date"].datetime - datetime.now(UTC)) < timedelta(minutes=1)
    assert message.get_content_type() == "multipart/mixed"

    plain = message.get_body(("plain",))
    assert plain is not None
    assert plain.get_content().replace("\r\n", "\n") == email.text
    calendar_part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(calendar_part.get_content())
    event = calendar.walk("VEVENT")[0]
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "visit-7@book.example.test"
    assert int(str(event["SEQUENCE"])) == 0
    assert event.decoded("DTSTART") == STARTS
    assert event.decoded("DTEND") == STARTS + timedelta(minutes=30)
    (attached,) = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    assert attached.get_content_type() == "application/ics"
    assert Calendar.from_ical(attached.get_content())["METHOD"] == "REQUEST"


def test_a_cancel_invite_arrives_as_a_cancel(smtp_server: SmtpServer) -> None:
    _backend(smtp_server.url).send(_email(invite=_ics("CANCEL", 2)))

    message = smtp_server.received[0].message
    calendar_part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "CANCEL"
    event = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")[0]
    assert (str(event["STATUS"]), int(str(event["SEQUENCE"]))) == ("CANCELLED", 2)
    assert str(event["UID"]) == "visit-7@book.example.test"


def test_an_international_domain_is_sent_to_in_its_ascii_form(smtp_server: SmtpServer) -> None:
    _backend(smtp_server.url).send(_email(to="Zoë <zoe@bücher.example>"))
    assert smtp_server.received[0].rcpt_tos == ("zoe@xn--bcher-kva.example",)


def test_a_recipient_without_an_ascii_mailbox_is_permanent(smtp_server: SmtpServer) -> None:
    failure = _failure(_backend(smtp_server.url), _email(to="josé@example.com"))
    assert (failure.kind, failure.code) == (FailureKind.PERMANENT, "address")
    assert smtp_server.received == []


def test_a_refused_connection_is_retried_later() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port once the probe is closed.
    failure = _failure(_backend(f"smtp://127.0.0.1:{port}"))
    assert (failure.kind, failure.code) == (FailureKind.RETRY_LATER, "connection")


def test_a_server_that_never_greets_is_retried_later() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections complete, but nothing ever answers
        started = time.monotonic()
        failure = _failure(_backend(f"smtp://127.0.0.1:{silent.getsockname()[1]}"))
    assert (failure.kind, failure.code) == (FailureKind.RETRY_LATER, "timeout")
    assert time.monotonic() - started < TIMEOUT_S + 2


@pytest.mark.parametrize("reply", ["451 4.3.0 Try again later", "421 4.3.2 Shutting down"])
def test_a_4xx_or_421_at_mail_is_retried_later(smtp_server: SmtpServer, reply: str) -> None:
    smtp_server.refuse_mail(reply)
    failure = _failure(_backend(smtp_server.url))
    assert (failure.kind, failure.code) == (FailureKind.RETRY_LATER, reply[:3])
    assert "MAIL" in failure.detail
    assert smtp_server.received == []


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        ("550 5.7.1 Sender address rejected", FailureKind.RETRY_LATER),
        ("552 5.3.4 Message size exceeds fixed limit", FailureKind.CONTENT),
    ],
)
def test_a_5xx_at_mail_blames_the_sender_or_the_size_not_the_recipient(
    smtp_server: SmtpServer, reply: str, kind: FailureKind
) -> None:
    smtp_server.refuse_mail(reply)
    failure = _failure(_backend(smtp_server.url))
    assert (failure.kind, failure.code) == (kind, reply[:3])
    assert smtp_server.received == []


def test_a_url_asking_for_starttls_from_a_server_without_it_sends_nothing(
    smtp_server: SmtpServer,
) -> None:
    url = smtp_server.url.replace("smtp://", "smtp+starttls://")
    failure = _failure(_backend(url))
    assert (failure.kind, failure.code) == (FailureKind.RETRY_LATER, "unsupported")
    assert smtp_server.received == []


def test_a_4xx_at_rcpt_is_retried_later_and_the_retry_goes_through(
    smtp_server: SmtpServer,
) -> None:
    backend = _backend(smtp_server.url)
    smtp_server.refuse_rcpt_for(0.5, "451 4.7.1 Greylisted, try again later")
    failure = _failure(backend)
    assert (failure.kind, failure.code) == (FailureKind.RETRY_LATER, "451")
    assert failure.detail == "RCPT: 4.7.1 Greylisted, try again later"
    assert smtp_server.received == []

    time.sleep(0.6)
    backend.send(_email())
    assert len(smtp_server.received) == 1


@pytest.mark.parametrize(
    "reply", ["550 5.1.1 No such user here", "553 5.1.3 Bad recipient address syntax"]
)
def test_a_5xx_at_rcpt_is_permanent(smtp_server: SmtpServer, reply: str) -> None:
    smtp_server.refuse_rcpt(reply)
    failure = _failure(_backend(smtp_server.url))
    assert (failure.kind, failure.code) == (FailureKind.PERMANENT, reply[:3])
    assert smtp_server.received == []


def test_a_5xx_to_the_content_is_for_staff_to_look_at(smtp_server: SmtpServer) -> None:
    smtp_server.answer_content("554 5.7.1 Message rejected as spam")
    failure = _failure(_backend(smtp_server.url))
    assert (failure.kind, failure.code) == (FailureKind.CONTENT, "554")
    assert "rejected as spam" in failure.detail
    assert smtp_server.received == []


def test_a_4xx_to_the_content_is_retried_later(smtp_server: SmtpServer) -> None:
    smtp_server.answer_content("452 4.3.1 Insufficient system storage")
    failure = _failure(_backend(smtp_server.url))
    assert (failure.kind, failure.code) == (FailureKind.RETRY_LATER, "452")


def test_no_answer_after_the_content_is_unknown_though_the_server_has_it(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.hang_after_content(TIMEOUT_S + 2)
    started = time.monotonic()
    failure = _failure(_backend(smtp_server.url))
    assert (failure.kind, failure.code) == (FailureKind.UNKNOWN, "timeout")
    assert time.monotonic() - started < TIMEOUT_S + 1.5
    # The server did take it: resending now would give the patient two emails.
    assert len(smtp_server.received) == 1


def test_a_connection_dropped_after_the_content_is_unknown(smtp_server: SmtpServer) -> None:
    smtp_server.hang_after_content(0.1, drop=True)
    failure = _failure(_backend(smtp_server.url))
    assert (failure.kind, failure.code) == (FailureKind.UNKNOWN, "disconnected")


def test_the_settings_backend_sends_to_the_configured_server(smtp_server: SmtpServer) -> None:
    settings = Settings(
        email_backend="smtp",
        smtp_url=smtp_server.url,
        email_from="Harbour Physio <hello@harbour.example>",
        smtp_timeout_s=TIMEOUT_S,
    )
    email_backend_from_settings(settings).send(_email(invite=None))
    (received,) = smtp_server.received
    assert received.mail_from == "hello@harbour.example"
    assert not any(p.get_content_type() == "text/calendar" for p in received.message.walk())


# -- TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    made = self_signed_certificate(tmp_path_factory.mktemp("smtp-tls"))
    if made is None:
        pytest.skip("no openssl command to make a test certificate with")
    return made


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    with SmtpServer(
        starttls=_server_context(certificate), credentials=("clinic@example.com", "p@ss:w/rd")
    ) as server:
        yield server


def _with_login(
    url: str, user: str = "clinic%40example.com", password: str = "p%40ss%3Aw%2Frd"
) -> str:
    scheme, rest = url.split("://")
    return f"{scheme}://{user}:{password}@{rest}"


def test_starttls_and_login_with_encoded_credentials(
    starttls_server: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    assert starttls_server.url.startswith("smtp+starttls://")
    backend = _backend(_with_login(starttls_server.url), _trusting(certificate))
    backend.send(_email())

    assert starttls_server.logins == [("clinic@example.com", "p@ss:w/rd")]
    assert len(starttls_server.received) == 1


def test_an_untrusted_certificate_stops_before_anything_is_sent(
    starttls_server: SmtpServer,
) -> None:
    # The system's CAs do not know the test certificate.
    failure = _failure(_backend(_with_login(starttls_server.url)))
    assert (failure.kind, failure.code) == (FailureKind.RETRY_LATER, "tls")
    assert starttls_server.logins == []
    assert starttls_server.received == []


def test_a_wrong_password_is_retried_later_and_sends_nothing(
    starttls_server: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    url = _with_login(starttls_server.url, password="wrong")
    failure = _failure(_backend(url, _trusting(certificate)))
    assert (failure.kind, failure.code) == (FailureKind.RETRY_LATER, "auth")
    assert starttls_server.received == []


def test_a_server_demanding_starttls_refuses_a_plain_send(starttls_server: SmtpServer) -> None:
    plain_url = starttls_server.url.replace("smtp+starttls://", "smtp://")
    failure = _failure(_backend(plain_url))
    assert failure.kind == FailureKind.RETRY_LATER
    assert failure.code == "530"
    assert starttls_server.received == []


def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    with SmtpServer(implicit_tls=_server_context(certificate)) as server:
        assert server.url.startswith("smtps://")
        _backend(server.url, _trusting(certificate)).send(_email())
        assert len(server.received) == 1
