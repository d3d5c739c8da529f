"""The application factory: configuration, extensions, blueprints, error handlers, commands."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.local import LocalProxy

from scheduler.clock import Clock, SystemClock
from scheduler.config import Settings, load_settings
from scheduler.db import Database
from scheduler.records.audit import register_audit_listener
from web.extensions import api, csrf
from web.staff.auth import current_permissions


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Flask:
    """Build the web app for ``settings`` (read from the environment when not given)."""
    settings = settings or load_settings()
    app = Flask(__name__)
    configure(app, settings, clock or SystemClock())
    register_audit_listener()  # every change made through the app is in the audit trail
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def configure(app: Flask, settings: Settings, clock: Clock) -> None:
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        WTF_CSRF_TIME_LIMIT=None,
        API_TITLE="Clinic booking API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH=None,
        JSON_SORT_KEYS=False,
    )
    app.extensions["clinic.settings"] = settings
    app.extensions["clinic.clock"] = clock
    app.extensions["clinic.db"] = Database(settings.database_url)
    app.context_processor(_staff_permissions)

    @app.context_processor
    def _clinic() -> dict[str, Any]:
        return {"clinic_name": settings.clinic_name, "clinic_phone": settings.clinic_phone}

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("clinic").setLevel(logging.INFO)


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
    api.register_converter(
        IdConverter, lambda _c: {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    )


def register_blueprints(app: Flask) -> None:
    from web.api.bookings import blp as bookings_blp
    from web.api.catalogue import blp as catalogue_blp
    from web.api.courses import blp as courses_blp
    from web.api.patients import blp as patients_blp
    from web.api.staff import blp as staff_api_blp
    from web.health import bp as health_bp
    from web.patient.booking import bp as booking_pages
    from web.patient.diary import bp as diary_pages
    from web.patient.manage import bp as manage_pages
    from web.patient.progress import bp as progress_pages
    from web.patient.questionnaires import bp as questionnaire_pages
    from web.patient.wizard import bp as wizard_pages
    from web.staff.calendar.views import bp as calendar_pages
    from web.staff.console import bp as staff_pages
    from web.staff.dashboard import bp as staff_dashboard_pages
    from web.staff.exports import bp as staff_exports_pages
    from web.staff.feeds import bp as feeds_bp
    from web.staff.links import bp as staff_links_pages
    from web.staff.patients import bp as staff_patients_pages
    from web.staff.setup import bp as setup_pages
    from web.webhooks.twilio import bp as webhooks_bp

    api.register_blueprint(catalogue_blp)
    api.register_blueprint(bookings_blp)
    api.register_blueprint(courses_blp)
    api.register_blueprint(patients_blp)
    for blueprint in (catalogue_blp, bookings_blp, courses_blp, patients_blp):
        csrf.exempt(blueprint)  # JSON API: no cookies, authorised by its tokens
    api.register_blueprint(staff_api_blp)  # cookie-authorised: CSRF stays on
    app.register_blueprint(health_bp)
    app.register_blueprint(wizard_pages)
    app.register_blueprint(booking_pages)
    app.register_blueprint(manage_pages)
    app.register_blueprint(diary_pages)
    app.register_blueprint(progress_pages)
    app.register_blueprint(questionnaire_pages)
    app.register_blueprint(staff_pages)
    app.register_blueprint(setup_pages)
    app.register_blueprint(staff_links_pages)
    app.register_blueprint(calendar_pages)
    app.register_blueprint(staff_patients_pages)
    app.register_blueprint(staff_dashboard_pages)
    app.register_blueprint(staff_exports_pages)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(webhooks_bp)
    csrf.exempt(webhooks_bp)  # authenticated by Twilio's signature instead


def register_errorhandlers(app: Flask) -> None:
    from web.audit_actor import register as register_actor
    from web.errors import register

    register(app)
    register_actor(app)


def register_commands(app: Flask) -> None:
    from web.commands import register

    register(app)


def extension(app: Flask, name: str) -> Any:
    return app.extensions[f"clinic.{name}"]
