"""The application factory: configuration, extensions, blueprints, error handlers, commands."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.local import LocalProxy
from werkzeug.middleware.proxy_fix import ProxyFix

from scheduler.clock import Clock, SystemClock
from scheduler.config import Settings, load_settings
from scheduler.db import Database
from scheduler.records.audit import register_audit_listener
from scheduler.redaction import RedactTokens
from web import security_headers
from web.dates import init_babel
from web.extensions import api, csrf, limiter
from web.limits import limiter_options
from web.staff.auth import current_permissions


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Flask:
    """Build the web app for ``settings`` (read from the environment when not given)."""
    settings = settings or load_settings()
    app = Flask(__name__)
    configure(app, settings, clock or SystemClock())
    register_audit_listener()  # every change made through the app is in the audit trail
    register_security(app, settings)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def configure(app: Flask, settings: Settings, clock: Clock) -> None:
    """Set Flask's options from ``settings``, keep the app's services (settings, clock,
    database) where ``web.context`` finds them, and set up templates and logging."""
    app.config.update(_flask_options(settings))
    app.extensions["clinic.settings"] = settings
    app.extensions["clinic.clock"] = clock
    app.extensions["clinic.db"] = Database(settings.database_url)
    init_babel(app, settings)  # dates and times in the clinic's locale (web/dates.py)
    app.context_processor(_staff_permissions)
    app.context_processor(lambda: _clinic_details(settings))
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("clinic").setLevel(logging.INFO)
    _keep_tokens_out_of_logs()


def _keep_tokens_out_of_logs() -> None:
    """Mask personal tokens in whatever the app logs (through the root handlers) and in the
    development server's request lines (the ``werkzeug`` logger)."""
    for target in (*logging.getLogger().handlers, logging.getLogger("werkzeug")):
        if not any(isinstance(f, RedactTokens) for f in target.filters):
            target.addFilter(RedactTokens())


def register_security(app: Flask, settings: Settings) -> None:
    """The security headers on every answer, and the client's address and scheme read from
    ``X-Forwarded-*`` only when ``TRUSTED_PROXY_HOPS`` proxies are configured in front."""
    security_headers.register(app, production=settings.is_production)
    hops = settings.trusted_proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _flask_options(settings: Settings) -> dict[str, Any]:
    """Flask's and its extensions' options: session cookies, CSRF, the OpenAPI document."""
    return {
        "SECRET_KEY": settings.secret_key,
        "MAX_CONTENT_LENGTH": settings.max_request_bytes,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.is_production,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=10),
        "WTF_CSRF_TIME_LIMIT": None,
        # Over HTTPS Flask-WTF would also demand a Referer from this site, which no browser
        # sends under "Referrer-Policy: no-referrer" (web/security_headers.py): the token is
        # the check, with the SameSite cookie.
        "WTF_CSRF_SSL_STRICT": False,
        "API_TITLE": "Clinic booking API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": None,
        "JSON_SORT_KEYS": False,
        **limiter_options(settings),  # the limits on anonymous work (web/limits.py)
    }


def _clinic_details(settings: Settings) -> dict[str, Any]:
    """The clinic's name and phone number, for every template."""
    return {"clinic_name": settings.clinic_name, "clinic_phone": settings.clinic_phone}


def _staff_permissions() -> dict[str, Any]:
    """``may`` in every template: what the signed-in staff member may do (the permission
    policy). Read only when a console template asks, so other pages never load the staff
    member."""
    return {"may": LocalProxy(current_permissions)}


def register_extensions(app: Flask) -> None:
    from web.converters import IdConverter

    app.url_map.converters["id"] = IdConverter
    csrf.init_app(app)
    api.init_app(app)
    limiter.init_app(app)
    api.register_converter(
        IdConverter, lambda _c: {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    )


def register_blueprints(app: Flask) -> None:
    """Register each audience's blueprints (API, patients, staff, webhooks) and the health
    check; each package says which of its blueprints are exempt from CSRF."""
    from web import api as json_api
    from web import patient, staff, webhooks
    from web.favicon import register as register_favicon
    from web.health import bp as health

    json_api.register(app)
    app.register_blueprint(health)
    register_favicon(app)
    patient.register(app)
    staff.register(app)
    webhooks.register(app)


def register_errorhandlers(app: Flask) -> None:
    from web.audit_actor import register as register_actor
    from web.errors import register

    register(app)
    register_actor(app)


def register_commands(app: Flask) -> None:
    from web import dev_texts_cli
    from web.commands import register

    register(app)
    dev_texts_cli.register(app)


def extension(app: Flask, name: str) -> Any:
    return app.extensions[f"clinic.{name}"]
