"""Limits on anonymous work: the named limits, what requests are counted by (address, phone,
personal link), and the decorators that put them on routes. Flask-Limiter counts in Redis, so
every web process shares the counts; docs/security.md ("Limits") says why each number."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, request

from ops.embedded_redis import resolve_redis_url
from scheduler.config import Settings
from scheduler.phones import normalised
from scheduler.redaction import keyed_hash
from web.context import settings
from web.extensions import limiter

View = TypeVar("View", bound=Callable[..., Any])

# The named limits, in Flask-Limiter's notation: "N per period", several joined by ";".
# One address: a household or an office books a few visits at a time, never dozens.
BOOKINGS_PER_ADDRESS = "5 per minute;20 per hour;50 per day"
# One number is one person, who may need another go after a mistake. Only answers that wrote
# something count here (a form refused for a missing answer does not).
BOOKINGS_PER_PHONE = "5 per hour;10 per day"
# A course holds a dozen visits or more: fewer requests, and the cap on held visits besides.
COURSE_REQUESTS_PER_ADDRESS = "6 per hour;12 per day"
COURSE_REQUESTS_PER_PHONE = "3 per hour;6 per day"
# A code texted to prove a number: every one is a text to a number we may not know.
CODE_REQUESTS_PER_ADDRESS = "5 per hour;20 per day"
CODE_REQUESTS_PER_PHONE = "3 per hour;6 per day"
# Answers to a code (each code also allows only a few tries).
CODE_CHECKS_PER_ADDRESS = "30 per hour"
# What a personal link does that texts the patient (moves, cancels, waitlist joins), together.
LINK_TEXTS_PER_LINK = "5 per 10 minutes;20 per day"
LINK_TEXTS_PER_ADDRESS = "30 per hour"
# Stopping emails (the page's button, a mail client's one-click POST): one link needs one or
# two; one address is generous because a mail provider posts for many patients from a few.
UNSUBSCRIBES_PER_LINK = "5 per hour;10 per day"
UNSUBSCRIBES_PER_ADDRESS = "60 per minute;600 per hour"
# Failed staff sign-ins (web/staff/login_throttle.py): per account, whichever address tries it,
# and per address, whichever accounts it tries (spraying many emails).
LOGIN_FAILURES_PER_ACCOUNT = "5 per 15 minutes;20 per day"
LOGIN_FAILURES_PER_ADDRESS = "20 per hour"

# Only these methods are counted: a page that shows a form (GET) is free.
COUNTED_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


def requester() -> str:
    """A keyed hash of the client's address, to keep with what it asked for (a course's
    ``requested_from``, a code's ``requester``): the address itself is never stored.

    The address is the one ProxyFix settled on when trusted proxies are configured.
    """
    return _keyed("address", request.remote_addr or "unknown")


def address_key() -> str:
    """Requests counted by the client's address."""
    return requester()


def phone_key() -> str:
    """Requests counted by the mobile number in the form or the JSON body (normalised, so
    "07700 900123" and "+447700900123" count together); "" (not counted by number) without
    one that parses."""
    number = normalised(_phone_in_request(), settings().default_phone_region)
    return _keyed("phone", number) if number else ""


def link_key() -> str:
    """Requests counted by the personal link in the path; "" without one."""
    token = (request.view_args or {}).get("token")
    return _keyed("link", token) if isinstance(token, str) and token else ""


def _phone_in_request() -> str:
    """The phone as the form (``phone``) or the JSON body (``phone`` or ``patient.phone``)
    gives it; "" if there is none."""
    if request.form.get("phone"):
        return request.form["phone"]
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return ""
    patient = body.get("patient")
    phone = body.get("phone") or (patient.get("phone") if isinstance(patient, dict) else None)
    return phone if isinstance(phone, str) else ""


def _keyed(kind: str, value: str) -> str:
    """A hash of ``value`` under the app's secret: Redis holds no address, number or link."""
    return keyed_hash(settings().secret_key, kind, value)


def _wrote(response: Response) -> bool:
    """Whether an answer means something was written or texted (anything but a refusal)."""
    return response.status_code < 400


def _limited(
    scope: str,
    per_address: str,
    per_other: str,
    other_key: Callable[[], str],
    *,
    only_writes: bool = False,
) -> Callable[[View], View]:
    """A decorator counting requests per address and per ``other_key`` (phone, link) across
    ``scope``'s routes (page and API share); ``only_writes``: the second counts only writes."""

    def decorate(view: View) -> View:
        by_address = limiter.shared_limit(
            per_address, scope=f"{scope}:address", key_func=address_key, methods=COUNTED_METHODS
        )
        by_other = limiter.shared_limit(
            per_other,
            scope=f"{scope}:{other_key.__name__}",
            key_func=other_key,
            methods=COUNTED_METHODS,
            deduct_when=_wrote if only_writes else None,
            exempt_when=lambda: not other_key(),  # no number typed: the address count stands
        )
        return cast(View, by_address(by_other(view)))

    return decorate


# The decorators routes wear, one line each (above the route's other decorators).
bookings_limited = _limited(
    "bookings", BOOKINGS_PER_ADDRESS, BOOKINGS_PER_PHONE, phone_key, only_writes=True
)
course_requests_limited = _limited(
    "course-requests",
    COURSE_REQUESTS_PER_ADDRESS,
    COURSE_REQUESTS_PER_PHONE,
    phone_key,
    only_writes=True,
)
code_requests_limited = _limited(
    "code-requests", CODE_REQUESTS_PER_ADDRESS, CODE_REQUESTS_PER_PHONE, phone_key
)
code_checks_limited = limiter.shared_limit(
    CODE_CHECKS_PER_ADDRESS,
    scope="code-checks:address",
    key_func=address_key,
    methods=COUNTED_METHODS,
)
link_texts_limited = _limited("link-texts", LINK_TEXTS_PER_ADDRESS, LINK_TEXTS_PER_LINK, link_key)
unsubscribes_limited = _limited(
    "email-unsubscribes", UNSUBSCRIBES_PER_ADDRESS, UNSUBSCRIBES_PER_LINK, link_key
)


@limiter.request_filter
def _not_limited() -> bool:
    """Whether this request skips every limit: limits are off (RATE_LIMITS_ENABLED), or,
    outside production, Redis cannot be reached. Development fails open so ``make run`` keeps
    working; production fails closed: the limit check raises, answered with a 503."""
    cfg = settings()
    if not cfg.rate_limits_enabled:
        return True
    if cfg.is_production or request.method not in COUNTED_METHODS:
        return False
    return not limiter.storage.check()


def retry_after_seconds() -> int:
    """How long until the limit this request broke lets it through again (at least 1 s)."""
    broken = limiter.current_limit
    if broken is None:
        return 60
    # The limiter rounds its reset time up a second; no wait is longer than the limit's window.
    wait = math.ceil(broken.reset_at - time.time())
    return max(1, min(wait, broken.limit.get_expiry()))


def limiter_options(cfg: Settings) -> dict[str, Any]:
    """Flask-Limiter's options: counted in the app's Redis over a moving window, with the
    ``Retry-After`` headers, a Redis error raised (production answers it with a 503; elsewhere
    ``_not_limited`` lets the request through first)."""
    return {
        "RATELIMIT_STORAGE_URI": resolve_redis_url(cfg.redis_url, cfg.instance_path),
        "RATELIMIT_STORAGE_OPTIONS": storage_options(),
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": False,
    }


def storage_options() -> dict[str, Any]:
    """Flask-Limiter's Redis options: its own key prefix, short timeouts, and errors raised
    as ``limits.errors.StorageError`` (answered with a 503 in production)."""
    return {
        "key_prefix": "clinic:limits",
        "socket_connect_timeout": 2,
        "socket_timeout": 2,
        "wrap_exceptions": True,
    }
