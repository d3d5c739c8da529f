"""The set-up index: every part of the clinic's set-up, and licences that need attention."""

from __future__ import annotations

from typing import Any

from scheduler.setup.practitioners import licence_warnings
from web.context import clock, db, settings
from web.staff.setup.base import admin_only, bp, page


@bp.get("")
@admin_only
def index() -> Any:
    """Links to each set-up page, with licence warnings on top."""
    today = clock().now().astimezone(settings().zone).date()
    with db().session() as session:
        return page("index.html", warnings=licence_warnings(session, today))
