"""What an SMS backend is given; its answers and failures come from messaging.provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from scheduler.messaging.provider import FailureKind, ProviderReceipt, SendFailure

__all__ = ["FailureKind", "OutgoingSms", "ProviderReceipt", "SendFailure", "SmsBackend"]


@dataclass(frozen=True)
class OutgoingSms:
    to: str
    body: str
    status_callback_url: str | None = None


class SmsBackend(Protocol):
    name: str

    def send(self, sms: OutgoingSms) -> ProviderReceipt:
        """Hand one message to the provider.

        :raise SendFailure: if the provider did not take it (or may not have).
        """
        ...

    def find_sent(self, to: str, body: str, since: datetime) -> ProviderReceipt | None:
        """The provider's record of this exact message to ``to`` since ``since``, if any."""
        ...
