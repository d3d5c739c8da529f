"""When a staff session ends: idle for 30 minutes, 10 hours after sign-in, or revoked."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from scheduler.models import StaffUser

IDLE_LIMIT = timedelta(minutes=30)
ABSOLUTE_LIMIT = timedelta(hours=10)


@dataclass(frozen=True)
class SessionStamp:
    """What a signed-in browser holds about its session: whose it is, the account's session
    version when it began, when it began and when it was last used (whole UTC seconds)."""

    staff_id: int
    version: int
    signed_in_at: int
    seen_at: int

    @classmethod
    def begin(cls, user: StaffUser, now: datetime) -> SessionStamp:
        """A new session for ``user``, begun and last used ``now``."""
        at = int(now.timestamp())
        return cls(user.id, user.session_version, at, at)

    def seen(self, now: datetime) -> SessionStamp:
        """The same session, last used ``now``."""
        return replace(self, seen_at=int(now.timestamp()))

    def renewed(self, version: int) -> SessionStamp:
        """The same session after its own account ended every other one (``version``)."""
        return replace(self, version=version)

    def alive_for(self, user: StaffUser | None, now: datetime) -> bool:
        """Whether the session still lets ``user`` in: the account exists and may sign in,
        it has not ended every session since (sign-out, a password change), and the session
        is neither idle for ``IDLE_LIMIT`` nor older than ``ABSOLUTE_LIMIT``."""
        if user is None or not user.active or user.id != self.staff_id:
            return False
        if user.session_version != self.version:
            return False
        return now - _at(self.seen_at) < IDLE_LIMIT and now - _at(self.signed_in_at) < (
            ABSOLUTE_LIMIT
        )


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def end_sessions(user: StaffUser) -> int:
    """End every session of ``user``'s account (signing out, a new password); returns the
    account's new session version, which a session begun from now on carries."""
    user.session_version = (user.session_version or 0) + 1
    return user.session_version
