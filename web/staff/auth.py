"""Who is signed in to the console (sessions that end), and the policy check on each view."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, g, redirect, request, session, url_for
from sqlalchemy.orm import Session

from scheduler.models import StaffUser
from scheduler.patients import access as patient_access
from scheduler.staff.permissions import Permissions
from scheduler.staff.sessions import SessionStamp
from web.context import clock, db

F = TypeVar("F", bound=Callable[..., Any])
Question = Callable[[Permissions], bool]  # a question of the policy: Permissions.export
SESSION_KEY = "staff"  # the session's stamp: whose it is, its version, when begun and last used


def current_staff() -> StaffUser | None:
    """The signed-in, still active staff member, loaded once per request.

    A session that has ended (signed out or a new password anywhere, idle for 30 minutes, 10
    hours old, or the account stopped) is cleared, and no one is signed in.
    """
    if "staff" not in g:
        g.staff = _session_staff()
    return cast(StaffUser | None, g.staff)


def _session_staff() -> StaffUser | None:
    """The account the session's stamp names while the session is alive; the session's last
    use moved to now."""
    stamp = _stamp()
    if stamp is None:
        return None
    now = clock().now()
    user = _load(stamp.staff_id)
    if not stamp.alive_for(user, now):
        session.clear()
        return None
    _keep(stamp.seen(now))
    return user


def _stamp() -> SessionStamp | None:
    """The session's stamp, or None when there is none or it is not one of ours."""
    held = session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return None
    try:
        return SessionStamp(**{k: int(v) for k, v in held.items()})
    except (TypeError, ValueError):
        return None


def _keep(stamp: SessionStamp) -> None:
    session[SESSION_KEY] = {
        "staff_id": stamp.staff_id,
        "version": stamp.version,
        "signed_in_at": stamp.signed_in_at,
        "seen_at": stamp.seen_at,
    }


def _load(staff_id: int) -> StaffUser | None:
    with db().session() as s:
        found = s.get(StaffUser, staff_id)
        if found is not None:
            s.expunge(found)
        return found


def sign_in(user: StaffUser) -> None:
    """Begin a fresh session for ``user`` (a new cookie: no fixation)."""
    session.clear()
    _keep(SessionStamp.begin(user, clock().now()))
    session.permanent = True
    g.pop("staff", None)


def keep_signed_in(version: int) -> None:
    """Carry this session on after its account ended every session (a new password), so that
    only the others end."""
    stamp = _stamp()
    if stamp is not None:
        _keep(stamp.renewed(version))
    g.pop("staff", None)


def sign_out() -> None:
    session.clear()
    g.pop("staff", None)


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
