"""What an email backend is given, and the interface every email backend offers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from scheduler.messaging.provider import FailureKind, ProviderReceipt, SendFailure

__all__ = [
    "Attachment",
    "EmailBackend",
    "FailureKind",
    "OutgoingEmail",
    "ProviderReceipt",
    "SendFailure",
    "new_message_id",
]

# The longest provider id the outbox keeps; a Message-ID made by `new_message_id` for a domain
# of up to 31 characters fits whole.
MAX_SID_LENGTH = 64


@dataclass(frozen=True)
class Attachment:
    """A file sent with the email. ``content_type`` may carry parameters, as a calendar
    invite does: ``text/calendar; method=REQUEST``."""

    filename: str
    content_type: str
    content: str


@dataclass(frozen=True)
class OutgoingEmail:
    """One email to one recipient.

    ``to`` is an address, with or without a display name (``José <jose@example.com>``);
    ``message_id`` is the whole Message-ID header, angle brackets included, chosen by the
    caller so that a resend of the same email carries the same id; ``invite`` is iCalendar
    text (``scheduler.calendar.invites.invite``) sent as the calendar part of the email.
    """

    to: str
    subject: str
    text: str
    html: str | None
    message_id: str
    unsubscribe_url: str | None
    attachments: tuple[Attachment, ...] = ()
    invite: str | None = None


class EmailBackend(Protocol):
    name: str

    def send(self, email: OutgoingEmail) -> ProviderReceipt:
        """Hand one email over for delivery.

        :raise SendFailure: if it was not taken (or may not have been).
        """
        ...


def new_message_id(domain: str) -> str:
    """A fresh Message-ID, ``<32 hex digits@domain>``: the receipt's id is this without its
    angle brackets, whole when ``domain`` has at most 31 characters."""
    return f"<{uuid.uuid4().hex}@{domain}>"


def receipt_id(message_id: str) -> str:
    """The provider id a Message-ID is kept under: no angle brackets, at most 64 characters."""
    return message_id.strip().strip("<>")[:MAX_SID_LENGTH]
