"""Twilio's webhooks: delivery reports and patients' texts, each signature-checked."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register Twilio's webhooks, exempt from CSRF: Twilio's signature authenticates them."""
    # Imported on registering: importing one module of the package need not load them all.
    from web.extensions import csrf
    from web.webhooks.twilio import bp as twilio

    app.register_blueprint(twilio)
    csrf.exempt(twilio)
