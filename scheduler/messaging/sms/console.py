"""The development backend: logs each message and reports it sent."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from scheduler.messaging.sms.base import OutgoingSms, ProviderReceipt
from scheduler.phones import mask
from scheduler.redaction import redact_tokens

log = logging.getLogger("clinic.sms.console")


class ConsoleBackend:
    """Prints messages instead of sending them, personal links masked; the outbox row keeps
    the whole text (the patient's API view shows it)."""

    name = "console"

    def send(self, sms: OutgoingSms) -> ProviderReceipt:
        sid = f"CO{uuid.uuid4().hex}"
        # Texts hold no health data by design (message_texts); the number is masked, and so is
        # any personal link (a log is read by more people than the patient).
        log.info("SMS %s to %s: %s", sid, mask(sms.to), redact_tokens(sms.body))
        return ProviderReceipt(sid=sid, status="sent")

    def find_sent(self, to: str, body: str, since: datetime) -> ProviderReceipt | None:
        return None
