"""An outgoing email as a MIME message: text, HTML and calendar alternatives, attachments."""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.policy import SMTP, EmailPolicy
from email.utils import format_datetime, parseaddr
from typing import Any

from icalendar import Calendar

from scheduler.messaging.email.base import Attachment, OutgoingEmail

INVITE_METHODS = ("REQUEST", "CANCEL")
# Headers whose value is one long token (a URL): folding would break it into encoded words.
_UNFOLDED = frozenset({"list-unsubscribe"})
# RFC 5322's hard limit on a line, CRLF excluded.
_LONGEST_LINE = 998


class _MailPolicy(EmailPolicy):
    """``policy.SMTP`` (CRLF, non-ASCII headers as RFC 2047 encoded words) with 7-bit bodies
    (quoted-printable or base64, so no server needs 8BITMIME), and List-Unsubscribe kept on
    one line."""

    def fold(self, name: str, value: Any) -> str:
        if name.lower() in _UNFOLDED:
            return f"{name}: {value}{self.linesep}"
        return str(super().fold(name, value))

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() in _UNFOLDED:
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return bytes(super().fold_binary(name, value))


MAIL_POLICY = _MailPolicy(linesep=SMTP.linesep, cte_type="7bit")


def mailbox(value: str) -> Address:
    """``value`` (``Name <local@domain>`` or a bare address) as a header address: a non-ASCII
    domain in its IDNA (``xn--``) form.

    :raise ValueError: if it holds no address, or its local part is not ASCII (which only a
        server offering SMTPUTF8 could take).
    """
    name, addr_spec = parseaddr(value)
    local, at, domain = addr_spec.rpartition("@")
    if not at or not local or not domain or any(c in value for c in "\r\n"):
        raise ValueError(f"{value!r} is no email address")
    if not local.isascii():
        raise ValueError(f"{value!r} has a non-ASCII local part")
    if not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    return Address(display_name=name, username=local, domain=domain)


def invite_method(ics: str) -> str:
    """The METHOD of an iCalendar invite.

    :raise ValueError: if it is not one of ``INVITE_METHODS``.
    """
    method = str(Calendar.from_ical(ics).get("METHOD", "")).upper()
    if method not in INVITE_METHODS:
        raise ValueError(f"an invite's METHOD must be one of {', '.join(INVITE_METHODS)}")
    return method


def build_mime(
    email: OutgoingEmail, sender: str, *, sent_at: datetime | None = None
) -> EmailMessage:
    """The message as it goes over SMTP.

    multipart/mixed holding multipart/alternative (text/plain, text/html when there is HTML,
    and with an invite ``text/calendar; method=...``), then the invite again as an
    ``invite.ics`` attachment (application/ics) and any other attachments.

    :raise ValueError: if an address, the unsubscribe URL or the invite is malformed.
    """
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = mailbox(sender)
    message["To"] = mailbox(email.to)
    message["Subject"] = email.subject
    message["Date"] = format_datetime((sent_at or datetime.now(UTC)).astimezone(UTC))
    message["Message-ID"] = email.message_id
    if email.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{_checked_url(email.unsubscribe_url)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies

    message.set_content(email.text)
    if email.html is not None:
        message.add_alternative(email.html, subtype="html")
    attachments = list(email.attachments)
    if email.invite is not None:
        method = invite_method(email.invite)
        message.add_alternative(email.invite, subtype="calendar", params={"method": method})
        attachments.insert(0, Attachment("invite.ics", "application/ics", email.invite))
    message.make_mixed()
    for attachment in attachments:
        _attach(message, attachment)
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # only the top level carries it
    return message


def _checked_url(url: str) -> str:
    """:raise ValueError: unless ``url`` is an ASCII http(s) or mailto URL fit for one line."""
    if (
        not url.isascii()
        or not url.startswith(("https://", "http://", "mailto:"))
        or any(c.isspace() or c in "<>" for c in url)
        or len(url) > _LONGEST_LINE - len("List-Unsubscribe: <>")
    ):
        raise ValueError("the unsubscribe URL must be an ASCII URL without spaces or <>")
    return url


def _attach(message: EmailMessage, attachment: Attachment) -> None:
    holder = Message()
    holder["Content-Type"] = attachment.content_type
    maintype, subtype = holder.get_content_maintype(), holder.get_content_subtype()
    params = {key: value for key, value in (holder.get_params() or [])[1:] if key != "charset"}
    if maintype == "text":
        message.add_attachment(
            attachment.content, subtype=subtype, filename=attachment.filename, params=params
        )
    else:
        message.add_attachment(
            attachment.content.encode(),
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params,
        )
