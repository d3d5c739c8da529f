"""The JSON API, version 1, documented by the OpenAPI document it generates."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the API's blueprints through the API extension bound to ``app``, so that each
    appears in the OpenAPI document. The token-authorised ones are exempt from CSRF (no
    cookies); the staff API is authorised by the console's cookie, so CSRF stays on."""
    # Imported on registering: importing one module of the package need not load them all.
    from web.api.bookings import blp as bookings
    from web.api.catalogue import blp as catalogue
    from web.api.courses import blp as courses
    from web.api.patients import blp as patients
    from web.api.safety import blp as safety
    from web.api.staff import blp as staff
    from web.api.verification import blp as verification
    from web.extensions import api, csrf

    for blueprint in (catalogue, safety, verification, bookings, courses, patients):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    api.register_blueprint(staff)
