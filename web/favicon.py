"""The clinic's icon at /favicon.ico too, for browsers and tools that ask there first."""

from __future__ import annotations

from flask import Flask, Response, current_app, send_from_directory


def register(app: Flask) -> None:
    """Answer /favicon.ico with the icon every page links to (web/static/favicon.svg)."""
    app.add_url_rule("/favicon.ico", "favicon", _favicon)


def _favicon() -> Response:
    assert current_app.static_folder is not None
    return send_from_directory(
        current_app.static_folder, "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )
