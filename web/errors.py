"""Error answers: JSON for the API and webhooks, a plain page for people."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from web.extensions import api

JSON_PREFIXES = ("/api/", "/healthz", "/webhooks/")


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES)


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        return (
            render_template(
                "error.html",
                title="This form has expired",
                message="Please go back, reload the page and try again.",
            ),
            400,
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response | tuple[str, int]:
        status = error.code or 500
        if wants_json():
            # flask-smorest's format: {"code", "status", "message"?, "errors"?: per field}.
            return api.handle_http_exception(error)
        return render_template("error.html", title=error.name, message=error.description), status

    @app.errorhandler(RecursionError)
    def _too_deep(error: RecursionError) -> Response | tuple[str, int]:
        # A body nested thousands deep exhausts the JSON parser: the body is at fault.
        if wants_json():
            response = jsonify(
                {"code": 400, "status": "Bad Request", "message": "The body is nested too deeply."}
            )
            response.status_code = 400
            return response
        return render_template("error.html", title="Bad request", message="Please try again."), 400

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response | tuple[str, int]:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            response = jsonify({"code": 500, "status": "Internal Server Error"})
            response.status_code = 500
            return response
        message = "Something went wrong on our side. Nothing was booked; please try again."
        return render_template("error.html", title="Sorry", message=message), 500
