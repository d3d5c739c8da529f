"""Stopping emails from a link in one: a page asking first (a GET never unsubscribes, as mail
scanners follow links), and the POST that stops them, from its button or from a mail client's
one-click request (RFC 8058)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from scheduler.patients.email_unsubscribe import (
    CHANNEL_ONE_CLICK,
    CHANNEL_PAGE,
    UnsubscribeRefused,
    patient_for_unsubscribe,
    unsubscribe,
)
from web.context import clock, db, settings
from web.limits import unsubscribes_limited

bp = Blueprint("email_unsubscribe", __name__)
# RFC 8058: a mail client's one-click POST carries exactly this field, and no cookie or token.
ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"


@bp.get("/email/unsubscribe/<token>")
def confirm(token: str) -> Any:
    """The question, with a button: nothing is changed by opening the link.

    :raise 404: if the link is not valid (or is for an address since changed).
    """
    with db().session() as session:
        try:
            patient_for_unsubscribe(session, token, secret_key=settings().secret_key)
        except UnsubscribeRefused as refused:
            abort(404, description=str(refused))
    return render_template("email_unsubscribe.html", done=False), 200, _private()


@bp.post("/email/unsubscribe/<token>")
@unsubscribes_limited
def stop(token: str) -> Any:
    """Stop emails: the page's button (with its CSRF token), or a mail client's one-click POST
    (``List-Unsubscribe=One-Click``, no token). Texts are not affected. Doing it again changes
    nothing and says the same.

    :raise 400: if it is neither (the form's CSRF token missing or wrong).
    :raise 404: if the link is not valid; nothing is written.
    """
    channel = CHANNEL_ONE_CLICK if _one_click() else _from_page()
    try:
        db().retrying(
            lambda session: unsubscribe(
                session, token, clock().now(), channel, secret_key=settings().secret_key
            )
        )
    except UnsubscribeRefused as refused:
        abort(404, description=str(refused))
    return render_template("email_unsubscribe.html", done=True), 200, _private()


def _one_click() -> bool:
    """Whether this is RFC 8058's one-click POST: the one field, with exactly its value."""
    return request.form.getlist(ONE_CLICK_FIELD) == [ONE_CLICK_VALUE]


def _from_page() -> str:
    """The page's channel, once the form's CSRF token checks out.

    :raise CSRFError: if it does not (answered as an expired form, 400).
    """
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        raise CSRFError(str(exc)) from exc
    return CHANNEL_PAGE


def _private() -> dict[str, str]:
    """The link is the patient's own: no cache keeps the page, no referrer carries the link."""
    return {"Cache-Control": "no-store"}
