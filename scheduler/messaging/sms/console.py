"""The development backend: logs each message and reports it sent."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from scheduler.messaging.sms.base import OutgoingSms, ProviderReceipt
from scheduler.phones import mask

log = logging.getLogger("clinic.sms.console")


class ConsoleBackend:
    """Prints messages instead of sending them; the outbox row keeps the text for the API."""

    name = "console"

    def send(self, sms: OutgoingSms) -> ProviderReceipt:
        sid = f"CO{uuid.uuid4().hex}"
        # Texts hold no health data by design (message_texts); the number is masked.
        log.info("SMS %s to %s: %s", sid, mask(sms.to), sms.body)
        return ProviderReceipt(sid=sid, status="sent")

    def find_sent(self, to: str, body: str, since: datetime) -> ProviderReceipt | None:
        return None
