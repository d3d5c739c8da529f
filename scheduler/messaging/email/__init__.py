"""Email backends behind one small interface: a console backend for development, and SMTP."""

from __future__ import annotations

from scheduler.config import Settings
from scheduler.messaging.email.base import (
    Attachment,
    EmailBackend,
    OutgoingEmail,
    new_message_id,
)
from scheduler.messaging.provider import FailureKind, ProviderReceipt, SendFailure


def email_backend_from_settings(settings: Settings) -> EmailBackend:
    """The backend ``settings.email_backend`` names."""
    if settings.email_backend == "smtp":
        from scheduler.messaging.email.smtp import SmtpBackend

        return SmtpBackend.from_url(
            settings.smtp_url, settings.email_from, timeout_s=settings.smtp_timeout_s
        )
    from scheduler.messaging.email.console import ConsoleEmailBackend

    return ConsoleEmailBackend()


__all__ = [
    "Attachment",
    "EmailBackend",
    "FailureKind",
    "OutgoingEmail",
    "ProviderReceipt",
    "SendFailure",
    "email_backend_from_settings",
    "new_message_id",
]
