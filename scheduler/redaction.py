"""Personal values kept out of logs and stores: tokens masked, numbers and addresses hashed."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

MASK = "…"
# Every place a personal token sits in a URL: the patient's link (and its pages), the API's
# view of it, and a practitioner's calendar feed. A token runs to the next "/", "?", "#",
# quote, space or ".ics".
TOKEN_IN_PATH = re.compile(
    r"(?P<lead>/m/|/api/v1/bookings/|/feeds/|/email/unsubscribe/)"
    r"(?P<token>[^/?#\s\"'<>]+?)"
    r"(?P<tail>\.ics)?(?=[/?#\s\"'<>]|$)"
)


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """An HMAC-SHA256 of ``value`` for ``purpose`` under the app's secret: what is stored or
    counted (a code, an address, a number, an email) cannot be found from it without the key."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def redact_tokens(text: str) -> str:
    """``text`` with every personal token in a URL or path replaced by ``MASK``:
    ``https://host/m/Abc123/diary`` reads ``https://host/m/…/diary``."""
    return TOKEN_IN_PATH.sub(_masked, text)


def _masked(match: re.Match[str]) -> str:
    return f"{match['lead']}{MASK}{match['tail'] or ''}"


class RedactTokens(logging.Filter):
    """A log filter that masks personal tokens in each record's final message, whatever its
    format: attached to a logger or a handler, nothing it passes on holds a token."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
