"""Error answers: JSON for the API and webhooks, a plain page for people."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException

from web.extensions import api
from web.limits import retry_after_seconds

JSON_PREFIXES = ("/api/", "/healthz", "/webhooks/")


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
    app.register_error_handler(Exception, _unexpected)


def _json_error(code: int, status: str, message: str | None = None) -> Response:
    body: dict[str, int | str] = {"code": code, "status": status}
    if message is not None:
        body["message"] = message
    response = jsonify(body)
    response.status_code = code
    return response


def _expired_form(error: CSRFError) -> tuple[str, int]:
    return (
        render_template(
            "error.html",
            title="This form has expired",
            message="Please go back, reload the page and try again.",
        ),
        400,
    )


def _http_error(error: HTTPException) -> Response | tuple[str, int]:
    status = error.code or 500
    if wants_json():
        # flask-smorest's format: {"code", "status", "message"?, "errors"?: per field}.
        return api.handle_http_exception(error)
    return render_template("error.html", title=error.name, message=error.description), status


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


def _too_deep(error: RecursionError) -> Response | tuple[str, int]:
    # A body nested thousands deep exhausts the JSON parser: the body is at fault.
    if wants_json():
        return _json_error(400, "Bad Request", "The body is nested too deeply.")
    return render_template("error.html", title="Bad request", message="Please try again."), 400


def _unexpected(error: Exception) -> Response | tuple[str, int]:
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    if wants_json():
        return _json_error(500, "Internal Server Error")
    message = "Something went wrong on our side. Nothing was booked; please try again."
    return render_template("error.html", title="Sorry", message=message), 500
