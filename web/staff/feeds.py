"""Practitioners' private calendar feeds: ``/feeds/<token>.ics``, opened by the token alone."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from scheduler.calendar.feeds import feed_document
from scheduler.errors import NotFound
from web.context import clock, db, settings

bp = Blueprint("feeds", __name__)

# Personal data under a secret address: no cache keeps it, no search engine lists it.
FEED_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}


@bp.get("/feeds/<token>.ics")
def calendar(token: str) -> Response:
    """The practitioner's upcoming visits as iCalendar: first name and last initial, the
    service and the room; nothing clinical.

    :raise 404: if the token is unknown or revoked (the same answer for both).
    """
    cfg = settings()
    with db().session() as session:
        try:
            text = feed_document(
                session,
                token,
                clock().now(),
                clinic_name=cfg.clinic_name,
                base_url=cfg.public_base_url,
            )
        except NotFound:
            abort(404)
    return Response(
        text.encode("utf-8"), content_type="text/calendar; charset=utf-8", headers=FEED_HEADERS
    )
