"""Email over SMTP (plain, STARTTLS or implicit TLS), each failure mapped to what it means."""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
import time

from scheduler.config import ConfigurationError, SmtpEndpoint, parse_smtp_url
from scheduler.messaging.email.base import OutgoingEmail, receipt_id
from scheduler.messaging.email.mime import build_mime, mailbox
from scheduler.messaging.provider import FailureKind, ProviderReceipt, SendFailure

_CRLF = b"\r\n"
_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def _reply_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _refused(stage: str, code: int, reply: bytes | str, *, on_5xx: FailureKind) -> SendFailure:
    """An answer other than success: a 4xx (or anything but a 5xx) is worth a retry, a 5xx
    means ``on_5xx``."""
    kind = on_5xx if 500 <= code < 600 else FailureKind.RETRY_LATER
    return SendFailure(kind, code=str(code), detail=f"{stage}: {_reply_text(reply)}")


def _timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised for, a socket timeout (smtplib turns one while
    reading a reply into SMTPServerDisconnected)."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def _wire_content(message: bytes) -> bytes:
    """The DATA content as sent: CRLF line ends, leading dots doubled, the final dot line."""
    content = _LEADING_DOT.sub(b"..", _LINE_END.sub(_CRLF, message))
    if not content.endswith(_CRLF):
        content += _CRLF
    return content + b"." + _CRLF


class SmtpBackend:
    """Hands each email to one SMTP server, driving the dialogue a step at a time so that a
    failure says whether the message may have been taken:

    - before the content is sent (refused connection, connect timeout, TLS or login failure,
      4xx or 421 at MAIL/RCPT/DATA): ``RETRY_LATER``, nothing was sent;
    - 5xx at RCPT (550 no such user, 553, ...): ``PERMANENT``;
    - 5xx at MAIL or to the DATA command: the server refuses the clinic's sender or this
      session, not the recipient: ``RETRY_LATER`` (a 552 at MAIL, too big: ``CONTENT``);
    - 5xx answering the content (554 spam or policy): ``CONTENT``; 4xx there: ``RETRY_LATER``;
    - a timeout or dropped connection once the content started going: ``UNKNOWN``, the server
      may have taken it, so it is never resent blindly.

    One connection per email: simple, and each send is independent of how the last one ended
    (a pool could come if the volume ever asks for it). Safe to share between threads.
    """

    name = "smtp"

    def __init__(
        self,
        endpoint: SmtpEndpoint,
        sender: str,
        *,
        timeout_s: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
        helo_name: str | None = None,
    ) -> None:
        """``ssl_context`` defaults to the system's trusted CAs with host names checked.

        :raise ConfigurationError: if ``sender`` is no address SMTP can carry.
        """
        self._endpoint = endpoint
        self._sender = sender
        try:
            self._envelope_from = mailbox(sender).addr_spec
        except ValueError as exc:
            raise ConfigurationError(f"EMAIL_FROM: {exc}") from exc
        self._timeout_s = timeout_s
        # smtplib's own default context checks no certificate: always pass one.
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._helo_name = helo_name

    @classmethod
    def from_url(
        cls,
        url: str,
        sender: str,
        *,
        timeout_s: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> SmtpBackend:
        """A backend for an SMTP_URL (see ``scheduler.config.parse_smtp_url``).

        :raise ConfigurationError: if the URL or the sender is malformed.
        """
        return cls(parse_smtp_url(url), sender, timeout_s=timeout_s, ssl_context=ssl_context)

    def send(self, email: OutgoingEmail) -> ProviderReceipt:
        """Send ``email``; its receipt's id is the Message-ID without angle brackets.

        :raise SendFailure: see the class's description of each kind.
        """
        try:
            recipient = mailbox(email.to).addr_spec
        except ValueError as exc:
            raise SendFailure(FailureKind.PERMANENT, code="address", detail=str(exc)) from exc
        try:
            content = _wire_content(build_mime(email, self._sender).as_bytes())
        except ValueError as exc:
            raise SendFailure(FailureKind.CONTENT, code="malformed", detail=str(exc)) from exc
        deadline = time.monotonic() + self._timeout_s
        connection = self._connect(deadline)
        try:
            self._hand_over(connection, recipient, content, deadline)
        finally:
            connection.close()
        return ProviderReceipt(sid=receipt_id(email.message_id), status="sent")

    def _connect(self, deadline: float) -> smtplib.SMTP:
        """A connection past its greeting, EHLO, STARTTLS and login, each step waiting only
        for what is left until ``deadline``.

        :raise SendFailure: ``RETRY_LATER``, whatever went wrong: nothing was sent.
        """
        endpoint = self._endpoint
        try:
            if endpoint.security == "tls":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    endpoint.host,
                    endpoint.port,
                    local_hostname=self._helo_name,
                    timeout=self._timeout_s,
                    context=self._ssl_context,
                )
            else:
                connection = smtplib.SMTP(
                    endpoint.host,
                    endpoint.port,
                    local_hostname=self._helo_name,
                    timeout=self._timeout_s,
                )
        except (OSError, smtplib.SMTPException) as exc:
            raise self._not_connected(exc) from exc
        try:
            _wait_at_most(connection, deadline)
            connection.ehlo_or_helo_if_needed()
            if endpoint.security == "starttls":
                _wait_at_most(connection, deadline)
                connection.starttls(context=self._ssl_context)
                connection.ehlo()
            if endpoint.username:
                _wait_at_most(connection, deadline)
                connection.login(endpoint.username, endpoint.password)
        except (OSError, smtplib.SMTPException) as exc:
            connection.close()
            raise self._not_connected(exc) from exc
        return connection

    @staticmethod
    def _not_connected(exc: Exception) -> SendFailure:
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            code = "auth"
        elif isinstance(exc, smtplib.SMTPNotSupportedError):
            code = "unsupported"  # no STARTTLS or no AUTH offered: the URL asks for them
        elif isinstance(exc, smtplib.SMTPResponseException):
            code = str(exc.smtp_code)
        elif isinstance(exc, ssl.SSLError | ssl.CertificateError):
            code = "tls"
        elif _timed_out(exc):
            code = "timeout"
        else:
            code = "connection"
        return SendFailure(
            FailureKind.RETRY_LATER, code=code, detail=f"{type(exc).__name__}: {exc}"
        )

    def _hand_over(
        self, connection: smtplib.SMTP, recipient: str, content: bytes, deadline: float
    ) -> None:
        """MAIL, RCPT, DATA and the content, then QUIT; the whole send, from the connection
        on, takes no longer than the timeout (each step waits only for what is left), so no
        call is still on its way once reconciliation may look at the row.

        :raise SendFailure: as the class describes.
        """
        try:
            _wait_at_most(connection, deadline)
            code, reply = connection.mail(self._envelope_from)
            if not 200 <= code < 300:
                raise _refused("MAIL", code, reply, on_5xx=_mail_refused(code))
            code, reply = connection.rcpt(recipient)
            if not 200 <= code < 300:
                raise _refused("RCPT", code, reply, on_5xx=FailureKind.PERMANENT)
            connection.putcmd("data")
            code, reply = connection.getreply()
            if code != 354:
                raise _refused("DATA", code, reply, on_5xx=FailureKind.RETRY_LATER)
            _wait_at_most(connection, deadline)
        except (OSError, smtplib.SMTPException) as exc:
            code_text = "timeout" if _timed_out(exc) else "connection"
            raise SendFailure(
                FailureKind.RETRY_LATER, code=code_text, detail=f"{type(exc).__name__}: {exc}"
            ) from exc
        try:
            # From here the server may have the whole message even if no answer comes back.
            connection.send(content)
            code, reply = connection.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            code_text = "timeout" if _timed_out(exc) else "disconnected"
            raise SendFailure(
                FailureKind.UNKNOWN, code=code_text, detail=f"{type(exc).__name__}: {exc}"
            ) from exc
        if not 200 <= code < 300:
            raise _refused("content", code, reply, on_5xx=FailureKind.CONTENT)
        # The message was taken: how the goodbye goes does not matter.
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.quit()


def _wait_at_most(connection: smtplib.SMTP, deadline: float) -> None:
    """Let the connection's next steps wait only for what is left until ``deadline``.

    :raise TimeoutError: when nothing is left (before the content goes, nothing was sent).
    """
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the send's time ran out before the message went")
    if connection.sock is not None:
        connection.sock.settimeout(left)


def _mail_refused(code: int) -> FailureKind:
    """What a 5xx to MAIL FROM means: 552 is a message too big (staff must look at it); any
    other is the server refusing the clinic's sender, which no recipient can be blamed for:
    nothing was sent, and once the configuration is put right a retry goes through."""
    return FailureKind.CONTENT if code == 552 else FailureKind.RETRY_LATER
