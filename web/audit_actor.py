"""Who each request acts as, for the audit trail: the signed-in staff member, a patient, or the
system (Twilio's delivery callbacks)."""

from __future__ import annotations

from flask import Flask, request

from scheduler.audit import SYSTEM, Actor, set_actor
from web.context import clock

SYSTEM_ENDPOINTS = {"webhooks.status", "health.healthz"}


def _actor() -> Actor:
    endpoint = request.endpoint or ""
    now = clock().now()
    if request.path.startswith(("/staff", "/api/v1/staff")):
        from web.staff_auth import current_staff

        user = current_staff()
        if user is not None:
            return Actor(kind="staff", label=user.name, id=user.id, via=endpoint, at=now)
    if endpoint in SYSTEM_ENDPOINTS or not endpoint:
        return Actor(kind="system", label=SYSTEM.label, via=endpoint, at=now)
    return Actor(kind="patient", label="patient", via=endpoint, at=now)


def register(app: Flask) -> None:
    @app.before_request
    def _set_actor() -> None:
        set_actor(_actor())
