"""Who is signed in to the console, the policy check on each view, and login throttling."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

import redis
from flask import abort, g, redirect, request, session, url_for
from sqlalchemy.orm import Session

from ops.embedded_redis import resolve_redis_url
from scheduler.models import StaffUser
from scheduler.patients import access as patient_access
from scheduler.staff.permissions import Permissions
from web.context import db, settings

F = TypeVar("F", bound=Callable[..., Any])
Question = Callable[[Permissions], bool]  # a question of the policy: Permissions.export
LOGIN_ATTEMPTS = 5  # a minute, per address and email
SESSION_KEY = "staff_id"


def current_staff() -> StaffUser | None:
    """The signed-in, still active staff member, loaded once per request."""
    if "staff" not in g:
        user = None
        staff_id = session.get(SESSION_KEY)
        if isinstance(staff_id, int):
            with db().session() as s:
                found = s.get(StaffUser, staff_id)
                if found is not None and found.active:
                    s.expunge(found)
                    user = found
        g.staff = user
    return cast(StaffUser | None, g.staff)


def sign_in(user: StaffUser) -> None:
    session.clear()  # a fresh session: no fixation
    session[SESSION_KEY] = user.id
    session.permanent = True


def sign_out() -> None:
    session.clear()


def staff_required(question: Question | None = None, *, api: bool = False) -> Callable[[F], F]:
    """Signed in (else a redirect to the login page, or 401 for the API) and, when a policy
    question is given (``Permissions.export``), allowed by it (else 403)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_staff()
            if user is None:
                if api:
                    abort(401)
                return redirect(url_for("staff.login", next=request.path))
            if question is not None and not question(Permissions.of(user)):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def current_permissions() -> Permissions | None:
    """What the signed-in staff member may do; None when no one is signed in."""
    user = current_staff()
    return None if user is None else Permissions.of(user)


def may_see_patient(s: Session, user: StaffUser, patient_id: int) -> bool:
    """Whether the policy lets ``user`` see the patient (a practitioner: one with a visit with
    them)."""
    return patient_access.may_see_patient(s, Permissions.of(user), patient_id)


def _login_counter() -> redis.Redis:
    cfg = settings()
    return redis.Redis.from_url(
        resolve_redis_url(cfg.redis_url, cfg.instance_path), socket_timeout=2
    )


def _attempts_key(email: str) -> str:
    return f"clinic:login-failures:{request.remote_addr}:{email.strip().lower()[:200]}"


def login_blocked(email: str) -> bool:
    """True after five failed attempts in a minute for this address and email.

    Counted in Redis, so every web process shares the count. If Redis cannot be reached,
    attempts are allowed (the password check still stands).
    """
    try:
        failures = cast("bytes | None", _login_counter().get(_attempts_key(email)))
    except redis.exceptions.RedisError:
        return False
    return int(failures or 0) >= LOGIN_ATTEMPTS


def record_failed_login(email: str) -> None:
    key = _attempts_key(email)
    try:
        client = _login_counter()
        if client.incr(key) == 1:
            client.expire(key, 60)
    except redis.exceptions.RedisError:
        return
