"""Recording what happened at a visit, cancelling it, confirming a review: one click each."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for

from scheduler.calendar.read_model import VisitAction
from scheduler.errors import NotFound
from scheduler.staff.permissions import Permissions
from scheduler.visits.attendance import InvalidTransition
from scheduler.visits.cancellation import NotCancellable
from scheduler.visits.review import NotPendingReview
from web.context import db
from web.enqueue import enqueue_follow_ups
from web.redirects import safe_next
from web.staff.auth import staff_required
from web.staff.calendar.blueprint import bp, signed_in
from web.staff.visit_changes import DONE, apply_action


@bp.post(
    "/visits/<id:appointment_id>/"
    "<any(arrived, completed, 'no-show', cancel, 'confirm-review'):action>"
)
@staff_required()
def visit_action(appointment_id: int, action: str) -> Any:
    """Mark a visit arrived, completed or no-show, cancel it, or confirm a booking that waited
    for review; then back to the page the button was on, with what happened.

    :raise 403: for another practitioner's visit, or a review confirmed by the front desk.
    :raise 404: if there is no such visit.
    """
    user = signed_in()
    chosen = VisitAction(action)
    if chosen == VisitAction.CONFIRM_REVIEW and not Permissions.of(user).confirm_review():
        abort(403, "A practitioner or an admin confirms a review.")
    back = safe_next(request.form.get("next"), url_for("calendar.today"))
    try:
        with db().transaction() as session:
            name, follow_ups = apply_action(session, user, appointment_id, chosen)
    except NotFound:
        abort(404, "No such visit.")
    except (InvalidTransition, NotCancellable, NotPendingReview) as exc:
        flash(f"Nothing changed: {exc}.", "error")
        return redirect(back, code=303)
    enqueue_follow_ups(follow_ups)
    flash(DONE[chosen].format(name=name), "ok")
    return redirect(back, code=303)
