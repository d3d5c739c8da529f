"""What each Twilio error code means for a message (DOMAIN.md section 7); codes may change."""

from __future__ import annotations

from scheduler.messaging.sms.base import FailureKind

TWILIO_ERROR_ACTIONS: dict[int, FailureKind] = {
    20429: FailureKind.RETRY_LATER,
    21611: FailureKind.RETRY_LATER,
    21211: FailureKind.PERMANENT,
    21612: FailureKind.PERMANENT,
    21614: FailureKind.PERMANENT,
    30005: FailureKind.PERMANENT,
    30006: FailureKind.PERMANENT,
    21610: FailureKind.OPTED_OUT,
    30003: FailureKind.RETRY_LATER,
    30008: FailureKind.RETRY_LATER,
    30007: FailureKind.CONTENT,
}


def classify(
    http_status: int, code: int | None, overrides: dict[int, FailureKind] | None = None
) -> FailureKind:
    """The failure kind for a provider error answer; ``overrides`` come from configuration."""
    table = {**TWILIO_ERROR_ACTIONS, **(overrides or {})}
    if code is not None and code in table:
        return table[code]
    if http_status == 429:
        return FailureKind.RETRY_LATER
    if http_status >= 500:
        return FailureKind.UNKNOWN
    # Any other 4xx: the request itself was refused, so nothing was sent; it will not improve.
    return FailureKind.PERMANENT
