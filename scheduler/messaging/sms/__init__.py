"""SMS providers behind one small interface: a console backend for development, and Twilio."""

from __future__ import annotations

from scheduler.config import Settings
from scheduler.messaging.sms.base import (
    OutgoingSms,
    ProviderReceipt,
    SendFailure,
    SmsBackend,
)


def backend_from_settings(settings: Settings) -> SmsBackend:
    """The backend ``settings.sms_backend`` names."""
    if settings.sms_backend == "twilio":
        from scheduler.messaging.sms.base import FailureKind
        from scheduler.messaging.sms.twilio_gateway import TwilioGateway

        overrides = {code: FailureKind(action) for code, action in settings.twilio_error_actions}
        return TwilioGateway(settings.twilio, overrides)
    from scheduler.messaging.sms.console import ConsoleBackend

    return ConsoleBackend()


__all__ = [
    "OutgoingSms",
    "ProviderReceipt",
    "SendFailure",
    "SmsBackend",
    "backend_from_settings",
]
