"""Staff sign-in throttling: failed attempts counted per account and per address, in Redis.

The counts use the ``limits`` library (Flask-Limiter's engine) on the app's Redis, with the
same storage options and key prefix as the limits on anonymous work, so every web process shares
them. Only failures count, and an unknown email counts like a known one; Redis holds keyed
hashes, never an email or an address. When Redis cannot be reached, production refuses sign-in
for the moment (``ThrottleUnavailable``) rather than allow unlimited guessing; development and
tests let the attempt through. Unlike a limited route, a refused sign-in re-shows its form.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ops.embedded_redis import resolve_redis_url
from scheduler.redaction import keyed_hash
from web.context import settings
from web.limits import (
    LOGIN_FAILURES_PER_ACCOUNT,
    LOGIN_FAILURES_PER_ADDRESS,
    requester,
    storage_options,
)

log = logging.getLogger("clinic.login")
PER_ACCOUNT = parse_many(LOGIN_FAILURES_PER_ACCOUNT)
PER_ADDRESS = parse_many(LOGIN_FAILURES_PER_ADDRESS)
T = TypeVar("T")
Counted = list[tuple[RateLimitItem, tuple[str, str]]]


class ThrottleUnavailable(Exception):
    """The failure counts cannot be read, and this environment refuses sign-in without them."""


def _limiter() -> MovingWindowRateLimiter:
    """The app's counter of failed sign-ins (one Redis connection pool per app)."""
    found = current_app.extensions.get("clinic.login_limiter")
    if found is None:
        cfg = settings()
        uri = resolve_redis_url(cfg.redis_url, cfg.instance_path)
        storage = storage_from_string(uri, **storage_options())
        found = current_app.extensions["clinic.login_limiter"] = MovingWindowRateLimiter(storage)
    return found


def _counted(email: str) -> Counted:
    """Each limit and what it counts: the account the email names, and the client's address
    (the one ProxyFix settled on when proxies are trusted)."""
    account = _account_key(email.strip().lower()[:200])
    return [(item, ("staff-login-account", account)) for item in PER_ACCOUNT] + [
        (item, ("staff-login-address", requester())) for item in PER_ADDRESS
    ]


def _account_key(email: str) -> str:
    """A hash of the email under the app's secret: Redis learns no one's email."""
    return keyed_hash(settings().secret_key, "staff-login", email)


def _guarded(work: Callable[[], T], when_open: T) -> T:
    """``work()``; if Redis cannot be reached, ``when_open`` outside production.

    :raise ThrottleUnavailable: in production, when Redis cannot be reached.
    """
    try:
        return work()
    except StorageError as exc:
        if settings().is_production:
            raise ThrottleUnavailable from exc
        log.warning("sign-in throttle unavailable (%s); attempt allowed", type(exc).__name__)
        return when_open


def seconds_to_wait(email: str) -> int:
    """How long before ``email`` may be tried again from this address; 0 if it may now.

    :raise ThrottleUnavailable: in production, when the counts cannot be read.
    """

    def wait() -> int:
        limiter = _limiter()
        blocked = [
            limiter.get_window_stats(item, *keys).reset_time
            for item, keys in _counted(email)
            if not limiter.test(item, *keys)
        ]
        return max((max(1, math.ceil(at - time.time())) for at in blocked), default=0)

    return _guarded(wait, 0)


def record_failure(email: str) -> None:
    """Count a failed sign-in against the account ``email`` names and this address.

    :raise ThrottleUnavailable: in production, when the count cannot be written.
    """

    def count() -> None:
        limiter = _limiter()
        for item, keys in _counted(email):
            limiter.hit(item, *keys)

    _guarded(count, None)
