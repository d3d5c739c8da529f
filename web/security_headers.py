"""The headers every answer carries: CSP, no framing or sniffing, no referrer, HSTS, no-store."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

# Paths whose answers are personal (a patient's link, the API's view of it, a practitioner's
# feed) or staff-only: never kept by a browser's or a proxy's cache.
PRIVATE_PREFIXES = ("/m/", "/api/v1/bookings/", "/feeds/", "/staff/", "/api/v1/staff/")
PRIVATE_PATHS = frozenset({"/staff"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HSTS = "max-age=63072000; includeSubDomains"
# Scripts only from this site, and no inline script at all. Styles from this site too, plus
# the <style> element a script adds with this answer's nonce (FullCalendar reads it from
# <meta name="csp-nonce">); that style embeds its icon font as a data: URL. No framing, no
# plugins, no <base>, forms post only here.
POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'{nonce}",
    "img-src 'self'",
    "connect-src 'self'",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def csp_nonce() -> str:
    """This answer's nonce for a <style> element a script adds (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def content_security_policy() -> str:
    """The policy for this answer; the nonce is allowed only if a page asked for one."""
    nonce = f" 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else ""
    return "; ".join(POLICY).replace("{nonce}", nonce)


def is_private() -> bool:
    """Whether this answer is personal or staff-only: a private path, or the answer to a
    form or API call that changed something (it may carry a new link or a patient's details)."""
    path = request.path
    return (
        request.method not in SAFE_METHODS
        or path in PRIVATE_PATHS
        or path.startswith(PRIVATE_PREFIXES)
    )


def add_security_headers(response: Response, *, production: bool) -> Response:
    """Set the headers on ``response``; a header a view set itself is left as it is."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors, for older browsers
    headers.setdefault("Referrer-Policy", "no-referrer")
    if production:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if is_private() and "no-store" not in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask, *, production: bool) -> None:
    """Add the headers to every answer of ``app``, and ``csp_nonce()`` to its templates.
    HSTS only in ``production``, where the site is served over HTTPS."""
    app.after_request(lambda response: add_security_headers(response, production=production))
    app.jinja_env.globals["csp_nonce"] = csp_nonce
