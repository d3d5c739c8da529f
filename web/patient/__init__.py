"""Pages for patients: booking a visit or a course, and everything behind their personal link."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the patients' pages: the booking wizard and pages, and those behind the
    personal link (manage, diary, progress, questionnaires), and the page that stops emails.
    CSRF stays on for all of them (stopping emails checks it in its view)."""
    # Imported on registering: importing one module of the package need not load them all.
    from web.extensions import csrf
    from web.patient.booking import bp as booking
    from web.patient.diary import bp as diary
    from web.patient.email_unsubscribe import bp as email_unsubscribe
    from web.patient.email_unsubscribe import stop as stop_emails
    from web.patient.manage import bp as manage
    from web.patient.progress import bp as progress
    from web.patient.questionnaires import bp as questionnaires
    from web.patient.wizard import bp as wizard

    for blueprint in (wizard, booking, manage, diary, progress, questionnaires, email_unsubscribe):
        app.register_blueprint(blueprint)
    # RFC 8058's one-click POST has no token or cookie: the view checks the page's CSRF token
    # itself unless the body is exactly the one-click field.
    csrf.exempt(stop_emails)
