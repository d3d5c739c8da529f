"""What any message provider (SMS or email) answers, and how a failed send is described."""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderReceipt:
    """The provider took the message: its id and first status."""

    sid: str
    status: str


class FailureKind(enum.StrEnum):
    RETRY_LATER = "retry_later"  # not processed (429, queue full, refused connection): safe
    UNKNOWN = "unknown"  # may or may not have been sent (5xx, read timeout): reconcile first
    PERMANENT = "permanent"  # will never work for this recipient (invalid, landline, ...)
    OPTED_OUT = "opted_out"  # the recipient has sent STOP to the sender
    CONTENT = "content"  # filtered as spam: staff must look at the text


class SendFailure(Exception):
    """The provider did not take the message."""

    def __init__(
        self,
        kind: FailureKind,
        *,
        code: str | None = None,
        detail: str = "",
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(f"{kind.value}: {code or ''} {detail}".strip())
        self.kind = kind
        self.code = code
        self.detail = detail[:300]
        self.retry_after_s = retry_after_s


# The error code of an email whose send may or may not have happened (reconciliation's mark).
UNKNOWN_EMAIL = "outcome-unknown"
