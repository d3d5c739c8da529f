"""The staff console: sign-in, calendar, patients, visits, dashboard, exports, feeds, set-up."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the console's pages and the practitioners' calendar feeds. CSRF stays on for
    the console; the feeds only answer GETs."""
    # Imported on registering: importing one module of the package need not load them all.
    from web.staff.alerts import bp as alerts
    from web.staff.bookings import bp as bookings
    from web.staff.calendar import bp as calendar
    from web.staff.console import bp as console
    from web.staff.dashboard import bp as dashboard
    from web.staff.exports import bp as exports
    from web.staff.feeds import bp as feeds
    from web.staff.links import bp as links
    from web.staff.patients import bp as patients
    from web.staff.setup import bp as setup

    for blueprint in (console, setup, links, calendar, patients, dashboard, exports, feeds):
        app.register_blueprint(blueprint)
    app.register_blueprint(bookings)
    app.register_blueprint(alerts)
    _register_dev_texts(app)


def _register_dev_texts(app: Flask) -> None:
    """Texting the clinic by hand: only with the console SMS backend, never in production."""
    from web.staff.dev_texts import bp as dev_texts
    from web.staff.dev_texts import dev_texts_on

    if dev_texts_on(app.extensions["clinic.settings"]):
        app.register_blueprint(dev_texts)
