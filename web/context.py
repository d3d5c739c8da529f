"""Access from a request to the app's settings, database and clock."""

from __future__ import annotations

from flask import current_app

from scheduler.clock import Clock
from scheduler.config import Settings
from scheduler.db import Database


def settings() -> Settings:
    return current_app.extensions["clinic.settings"]  # type: ignore[no-any-return]


def db() -> Database:
    return current_app.extensions["clinic.db"]  # type: ignore[no-any-return]


def clock() -> Clock:
    return current_app.extensions["clinic.clock"]  # type: ignore[no-any-return]
