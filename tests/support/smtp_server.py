"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), with scriptable refusals and hangs."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

__all__ = ["Received", "SmtpServer", "self_signed_certificate"]

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Received:
    """One message the server took: its envelope, and the message parsed."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes


@dataclass(frozen=True)
class _Hang:
    seconds: float
    keep: bool  # store the message before hanging (it was taken; the answer is what is lost)
    drop: bool  # close the connection instead of answering, after the wait


@dataclass
class _Script:
    mail: deque[str] = field(default_factory=deque)
    rcpt: deque[str] = field(default_factory=deque)
    rcpt_failing_for: float = 0.0
    rcpt_failing_until: float = 0.0
    rcpt_failing_reply: str = ""
    data: deque[str | _Hang] = field(default_factory=deque)


class _Handler:
    """aiosmtpd's hooks: each answers from the script first, else takes the command."""

    def __init__(self, owner: SmtpServer) -> None:
        self._owner = owner

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        scripted = self._owner._next_mail_reply()
        if scripted:
            return scripted
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        scripted = self._owner._next_rcpt_reply()
        if scripted:
            return scripted
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        scripted = self._owner._next_data_behaviour()
        if isinstance(scripted, str):
            return scripted
        if scripted is None or scripted.keep:
            self._owner._store(envelope)
        if scripted is not None:
            await asyncio.sleep(scripted.seconds)
            if scripted.drop and server.transport is not None:
                server.transport.close()
        return "250 2.0.0 OK: queued"


class _Controller(Controller):
    """aiosmtpd's threaded controller, on a port the system picks."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """A local SMTP server that stores every message it takes (envelope and parsed message).

    ``starttls`` (a server context) offers STARTTLS and requires it; ``implicit_tls`` speaks
    TLS from the first byte (``smtps://``); ``credentials`` require AUTH with that user and
    password. Behaviour is scripted as the fake Twilio's is:

    - `refuse_mail(*replies)`, `refuse_rcpt(*replies)`: the next MAIL/RCPT commands get these
      answers (``"451 4.3.0 Try again later"``, ``"550 5.1.1 No such user"``), one each;
    - `refuse_rcpt_for(seconds, reply)`: every RCPT gets ``reply`` for ``seconds`` from the
      next RCPT on;
    - `answer_content(*replies)`: the next messages' content gets these answers (``"554 5.7.1
      Rejected as spam"``), and is not stored;
    - `hang_after_content(seconds, keep=True, drop=False)`: the next message is stored (unless
      ``keep`` is false), then the server waits ``seconds`` before answering, or before
      closing the connection without an answer when ``drop`` is set.
    """

    def __init__(
        self,
        *,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._script = _Script()
        self._starttls = starttls
        self._implicit_tls = implicit_tls
        self._credentials = credentials
        self.logins: list[tuple[str, str]] = []
        self._controller: _Controller | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> SmtpServer:
        """Listen on 127.0.0.1 and a free port; returns self."""
        if self._controller is not None:
            raise RuntimeError("the SMTP server is already running")
        options: dict[str, Any] = {"server_hostname": "smtp.test", "ident": "Test SMTP"}
        if self._starttls is not None:
            options |= {"tls_context": self._starttls, "require_starttls": True}
        if self._credentials is not None:
            options |= {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": self._starttls is not None,
            }
        controller = _Controller(
            _Handler(self), hostname=HOST, port=0, ssl_context=self._implicit_tls, **options
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening; a hang still pending is cut short. Idempotent."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("the SMTP server is not running; call start() first")
        return int(self._controller.port)

    @property
    def url(self) -> str:
        """``smtp://127.0.0.1:<port>`` (``smtp+starttls://`` or ``smtps://`` with TLS)."""
        scheme = "smtps" if self._implicit_tls else "smtp+starttls" if self._starttls else "smtp"
        return f"{scheme}://{HOST}:{self.port}"

    # -- what it took ----------------------------------------------------------------------

    @property
    def received(self) -> list[Received]:
        """Every message taken, oldest first."""
        with self._lock:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The messages once there are ``count`` (a hang stores before it answers).

        :raise AssertionError: if they do not arrive within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.received
            if len(received) >= count:
                return received
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, the server has {len(self.received)}")

    # -- scripting -------------------------------------------------------------------------

    def refuse_mail(self, *replies: str) -> None:
        with self._lock:
            self._script.mail.extend(replies)

    def refuse_rcpt(self, *replies: str) -> None:
        with self._lock:
            self._script.rcpt.extend(replies)

    def refuse_rcpt_for(self, seconds: float, reply: str = "451 4.3.0 Try again later") -> None:
        """Refuse every RCPT with ``reply`` for ``seconds``, counted from the next RCPT."""
        with self._lock:
            self._script.rcpt_failing_for = seconds
            self._script.rcpt_failing_until = 0.0
            self._script.rcpt_failing_reply = reply

    def answer_content(self, *replies: str) -> None:
        with self._lock:
            self._script.data.extend(replies)

    def hang_after_content(self, seconds: float, *, keep: bool = True, drop: bool = False) -> None:
        with self._lock:
            self._script.data.append(_Hang(seconds, keep, drop))

    def reset(self) -> None:
        """Forget the messages taken, the logins and the script."""
        with self._lock:
            self._received.clear()
            self.logins.clear()
            self._script = _Script()

    # -- hooks' side -----------------------------------------------------------------------

    def _next_mail_reply(self) -> str | None:
        with self._lock:
            return self._script.mail.popleft() if self._script.mail else None

    def _next_rcpt_reply(self) -> str | None:
        with self._lock:
            script = self._script
            if script.rcpt:
                return script.rcpt.popleft()
            now = time.monotonic()
            if script.rcpt_failing_for:
                script.rcpt_failing_until = now + script.rcpt_failing_for
                script.rcpt_failing_for = 0.0
            if now < script.rcpt_failing_until:
                return script.rcpt_failing_reply
            return None

    def _next_data_behaviour(self) -> str | _Hang | None:
        with self._lock:
            return self._script.data.popleft() if self._script.data else None

    def _store(self, envelope: Envelope) -> None:
        raw = bytes(envelope.original_content or b"")
        parsed = message_from_bytes(raw, policy=email_policy.default)
        assert isinstance(parsed, EmailMessage)
        received = Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), parsed, raw)
        with self._lock:
            self._received.append(received)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = (data.login.decode(), data.password.decode())
        with self._lock:
            self.logins.append(login)
        # Not "handled": aiosmtpd answers a failure with 535 itself.
        return AuthResult(success=login == self._credentials, handled=False)


def self_signed_certificate(directory: Path) -> tuple[Path, Path] | None:
    """A certificate for 127.0.0.1 and localhost, and its key, made with the openssl
    command; None when there is no openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
