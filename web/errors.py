"""Error answers: JSON for the API and webhooks, a page with a way back for people (the staff
console's look under /staff, the patient pages' elsewhere)."""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from web.extensions import api
from web.limits import retry_after_seconds

JSON_PREFIXES = ("/api/", "/healthz", "/webhooks/")
PERSONAL_PAGE = re.compile(r"^/m/([A-Za-z0-9_-]{16,128})/.")
# When to ask again while the database cannot be reached (a restart takes seconds).
DATABASE_RETRY_AFTER_S = 30

# Plain words for the errors people meet; other codes keep Werkzeug's name and description.
PLAIN: dict[int, tuple[str, str]] = {
    400: ("Something was not right", "Please go back, reload the page and try again."),
    403: (
        "You cannot open this page",
        "This page is not open to you. If you think it should be, ask the clinic.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. If you pasted it, check you "
        "copied the whole address. A personal link from an old text may have ended.",
    ),
    405: ("This page cannot do that", "Please go back and use the page's own buttons."),
}
STAFF_PLAIN: dict[int, tuple[str, str]] = {
    403: (
        "Your role cannot open this page",
        "Ask an administrator of the clinic if you need this page.",
    ),
}


def wants_json() -> bool:
    """Whether the request's path is one that answers in JSON."""
    return request.path.startswith(JSON_PREFIXES)


def register(app: Flask) -> None:
    """Answer every error in the app: as JSON on the JSON paths, as a page elsewhere."""
    app.register_error_handler(CSRFError, _expired_form)
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.register_error_handler(StorageError, _limits_unavailable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(RecursionError, _too_deep)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(InterfaceError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)


def _json_error(code: int, status: str, message: str | None = None) -> Response:
    body: dict[str, int | str] = {"code": code, "status": status}
    if message is not None:
        body["message"] = message
    response = jsonify(body)
    response.status_code = code
    return response


def error_page(title: str, message: str, status: int) -> tuple[str, int]:
    """A page saying what went wrong, with a way back: to the console home under /staff,
    else to the patient's own page (when the address was under it) and to booking."""
    if request.path.startswith("/staff/"):
        from web.staff.auth import current_staff

        page = render_template(
            "staff/error.html", title=title, message=message, status=status, staff=current_staff()
        )
        return page, status
    found = PERSONAL_PAGE.match(request.path)
    token = found.group(1) if found else None
    page = render_template("error.html", title=title, message=message, status=status, token=token)
    return page, status


def _expired_form(error: CSRFError) -> tuple[str, int]:
    return error_page(
        "This form has expired", "Please go back, reload the page and try again.", 400
    )


def _http_error(error: HTTPException) -> Response | tuple[str, int]:
    status = error.code or 500
    if wants_json():
        # flask-smorest's format: {"code", "status", "message"?, "errors"?: per field}.
        return api.handle_http_exception(error)
    title, message = _plain(status, error)
    return error_page(title, message, status)


def _plain(status: int, error: HTTPException) -> tuple[str, str]:
    """The title and message of an error page: a view's own description when it gave one."""
    own = error.description if error.description != type(error).description else None
    words = PLAIN.get(status, (error.name, error.description or ""))
    if request.path.startswith("/staff/"):
        words = STAFF_PLAIN.get(status, words)
    return words[0], own or words[1]


def _too_many(error: RateLimitExceeded) -> Response | tuple[str, int, dict[str, str]]:
    """429 with Retry-After: a page saying when to try again, or the API's error shape."""
    wait = retry_after_seconds()
    headers = {"Retry-After": str(wait)}
    if wants_json():
        message = f"Too many requests. Try again in {_in_words(wait)}."
        response = _json_error(429, "Too Many Requests", message)
        response.headers.update(headers)
        return response
    return render_template("too_many.html", wait=_in_words(wait)), 429, headers


def _in_words(seconds: int) -> str:
    """A wait as people say it, rounded up: "1 minute", "5 minutes", "2 hours"."""
    minutes = -(-seconds // 60)
    if minutes <= 90:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    return f"{-(-minutes // 60)} hours"


def _limits_unavailable(error: StorageError) -> Response | tuple[str, int, dict[str, str]]:
    """503: the limits on anonymous work cannot be counted (Redis is down) in production,
    which refuses the action rather than let it through uncounted; nothing has run."""
    current_app.logger.warning(
        "limits unavailable on %s %s: %s", request.method, request.path, error
    )
    headers = {"Retry-After": "60"}
    if wants_json():
        message = "This cannot be done online just now. Try again in a few minutes."
        response = _json_error(503, "Service Unavailable", message)
        response.headers.update(headers)
        return response
    return render_template("limits_unavailable.html"), 503, headers


def _database_unavailable(error: DBAPIError) -> Response | tuple[str, int, dict[str, str]]:
    """503: the database cannot be reached (restarting, a dropped connection, a lock held too
    long). Whatever the request was doing was rolled back, unless the connection went at the
    very moment of committing: the answer says to check before doing it again."""
    current_app.logger.warning(
        "database unavailable on %s %s: %s", request.method, request.path, type(error.orig)
    )
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
    if wants_json():
        message = (
            "The clinic's system is not available just now; try again in a minute. If you were "
            "booking, look for a confirmation text before you book again."
        )
        response = _json_error(503, "Service Unavailable", message)
        response.headers.update(headers)
        return response
    message = (
        "Our system is not available just now. Please try again in a minute. If you were "
        "booking, look for a confirmation text before you book again."
    )
    title, status = "Sorry, we are busy for a moment", 503
    # The patients' error page, which reads nothing from the database (the staff one does).
    page = render_template("error.html", title=title, message=message, status=status, token=None)
    return page, status, headers


def _too_deep(error: RecursionError) -> Response | tuple[str, int]:
    # A body nested thousands deep exhausts the JSON parser: the body is at fault.
    if wants_json():
        return _json_error(400, "Bad Request", "The body is nested too deeply.")
    return error_page("Something was not right", "Please try again.", 400)


def _unexpected(error: Exception) -> Response | tuple[str, int]:
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    if wants_json():
        return _json_error(500, "Internal Server Error")
    message = "Something went wrong on our side. Nothing was booked; please try again."
    return error_page("Sorry, there is a problem", message, 500)
