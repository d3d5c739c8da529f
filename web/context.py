"""Access from a request to the app's settings, database and clock."""

from __future__ import annotations

from flask import current_app

from scheduler.clock import Clock
from scheduler.config import Settings
from scheduler.db import Database


def settings() -> Settings:
    return current_app.extensions["clinic.settings"]


def db() -> Database:
    return current_app.extensions["clinic.db"]


def clock() -> Clock:
    return current_app.extensions["clinic.clock"]
