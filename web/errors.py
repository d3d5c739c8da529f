"""Error answers: JSON for the API and webhooks, a plain page for people."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web.extensions import api

JSON_PREFIXES = ("/api/", "/healthz", "/webhooks/")


def wants_json() -> bool:
    """Whether the request's path is one that answers in JSON."""
    return request.path.startswith(JSON_PREFIXES)


def register(app: Flask) -> None:
    """Answer every error in the app: as JSON on the JSON paths, as a page elsewhere."""
    app.register_error_handler(CSRFError, _expired_form)
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
