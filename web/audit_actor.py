"""Who each request acts as, for the audit trail: the signed-in staff member, a patient, or the
system (Twilio's delivery callbacks)."""

from __future__ import annotations

from flask import Flask, g, request

from scheduler.records.audit import SYSTEM, Actor, acting_as
from web.context import clock

SYSTEM_ENDPOINTS = {"webhooks.status", "health.healthz"}


def _actor() -> Actor:
    endpoint = request.endpoint or ""
    now = clock().now()
    if request.path.startswith(("/staff", "/api/v1/staff")):
        from web.staff.auth import current_staff

        user = current_staff()
        if user is not None:
            return Actor(kind="staff", label=user.name, id=user.id, via=endpoint, at=now)
    if endpoint in SYSTEM_ENDPOINTS or not endpoint:
        return Actor(kind="system", label=SYSTEM.label, via=endpoint, at=now)
    return Actor(kind="patient", label="patient", via=endpoint, at=now)


def register(app: Flask) -> None:
    @app.before_request
    def _set_actor() -> None:
        scope = acting_as(_actor())
        scope.__enter__()
        g.audit_actor_scope = scope

    @app.teardown_request
    def _reset_actor(_error: BaseException | None) -> None:
        # Back to the system once the request is done: nothing later on this thread is
        # credited to whoever made the last request.
        scope = g.pop("audit_actor_scope", None)
        if scope is not None:
            scope.__exit__(None, None, None)
