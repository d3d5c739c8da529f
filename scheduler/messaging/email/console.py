"""The development email backend: logs each email and reports it sent."""

from __future__ import annotations

import logging
import uuid

from scheduler.messaging.email.base import OutgoingEmail
from scheduler.messaging.provider import ProviderReceipt
from scheduler.redaction import redact_tokens

log = logging.getLogger("clinic.email.console")


def mask_address(address: str) -> str:
    """An address fit for logs: the first letter of the local part and the domain."""
    local, at, domain = address.rpartition("<")[2].rstrip(">").strip().rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


class ConsoleEmailBackend:
    """Logs emails instead of sending them (one INFO line each: recipient, subject and the
    text body), the address and personal links masked as the SMS console does."""

    name = "console"

    def send(self, email: OutgoingEmail) -> ProviderReceipt:
        """Log ``email``; the receipt's id is made up."""
        sid = f"EM{uuid.uuid4().hex}"
        log.info(
            "Email %s to %s: %s | %s%s",
            sid,
            mask_address(email.to),
            redact_tokens(email.subject),
            redact_tokens(email.text),
            " (with a calendar invite)" if email.invite else "",
        )
        return ProviderReceipt(sid=sid, status="sent")
