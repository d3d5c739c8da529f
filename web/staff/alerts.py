"""The staff console's safety alert queue: the open alerts a staff member sees, and closing one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from scheduler.calendar.day_overview import readable_phone
from scheduler.clinical.alerts import (
    OUTCOME_LABELS,
    AlertClosed,
    AlertItem,
    Outcome,
    QueueScope,
    alert_owners,
    close_alert,
    open_safety_alerts,
)
from scheduler.errors import NotFound, ValidationFailed
from scheduler.models import StaffUser
from scheduler.staff.permissions import Permissions
from web.context import clock, db, settings
from web.dates import clock_time, short_day
from web.redirects import safe_next
from web.staff.auth import current_staff, staff_required

bp = Blueprint("staff_alerts", __name__, url_prefix="/staff")
TYPED_MAX = 2000


@dataclass(frozen=True)
class Refused:
    """A close form sent back: which alert, the fields as typed, and the reasons by field."""

    alert_id: int
    typed: dict[str, str]
    errors: dict[str, list[str]]


@dataclass(frozen=True)
class AlertQueue:
    """What the queue partial shows: the items, what the viewer may open, and a refused form."""

    items: list[AlertItem]
    openable: frozenset[int]  # the alerts whose patient record the viewer may open
    escalate_minutes: int
    refused: Refused | None = None
    outcomes: dict[str, str] = field(
        default_factory=lambda: {o.value: label for o, label in OUTCOME_LABELS.items()}
    )

    def spaced(self, phone: str) -> str:
        """The number spaced for reading aloud (+44 7400 123456)."""
        return readable_phone(phone)

    def when(self, at: datetime) -> str:
        """``Mon 30 Nov, 00:54`` in the clinic's zone and locale."""
        local = at.astimezone(settings().zone)
        locale = settings().clinic_locale
        return f"{short_day(local.date(), locale)}, {clock_time(local.time(), locale)}"


def _scope(may: Permissions) -> QueueScope:
    return QueueScope(
        practitioner_id=may.safety_alert_practitioner(),
        unowned=may.see_unowned_safety_alerts(),
        answers=may.see_safety_answers(),
    )


def safety_alert_queue(
    session: Session, staff: StaffUser, refused: Refused | None = None
) -> AlertQueue:
    """The open safety alerts ``staff`` sees, for the console home, Today and the queue page."""
    may = Permissions.of(staff)
    items = open_safety_alerts(session, _scope(may))
    openable = frozenset(
        i.id for i in items if i.patient_id is not None and may.see_patient(i.practitioner_ids)
    )
    return AlertQueue(items, openable, settings().safety_alert_escalate_minutes, refused)


def _user() -> StaffUser:
    user = current_staff()
    assert user is not None  # staff_required ran first
    return user


@bp.get("/alerts")
@staff_required()
def alerts() -> Any:
    """Every open safety alert the signed-in staff member sees, escalated and most serious
    first, each with a form that closes it."""
    user = _user()
    with db().session() as session:
        queue = safety_alert_queue(session, user)
        return render_template("staff/alerts.html", staff=user, alert_queue=queue)


def _check_may_close(session: Session, user: StaffUser, alert_id: int) -> None:
    """:raise 404: if there is no such safety alert. :raise 403: if the policy says no."""
    try:
        owners = alert_owners(session, alert_id)
    except NotFound:
        abort(404, "No such safety alert.")
    allowed = Permissions.of(user).close_safety_alert(
        owners.practitioner_ids, owners.patient_id is not None, owners.escalated
    )
    if not allowed:
        abort(403, "You can close your own patients' alerts only.")


@bp.post("/alerts/<id:alert_id>/close")
@staff_required()
def close(alert_id: int) -> Any:
    """Close an alert with what was done and a note, then back to the page the form was on.
    A refused form comes back on the queue page with the reasons; nothing is changed.

    :raise 403: for another practitioner's patient's alert (unless it was escalated).
    :raise 404: if there is no such safety alert.
    """
    user = _user()
    typed = {name: request.form.get(name, "")[:TYPED_MAX] for name in ("outcome", "note")}
    back = safe_next(request.form.get("next"), url_for("staff_alerts.alerts"), under="/staff")
    try:
        with db().transaction() as session:
            _check_may_close(session, user, alert_id)
            close_alert(session, alert_id, closed_by_id=user.id, now=clock().now(), **typed)
    except ValidationFailed as exc:
        return _refused(user, Refused(alert_id, typed, exc.fields))
    except AlertClosed as exc:
        flash(f"Nothing changed: {exc}", "error")
        return redirect(back, code=303)
    flash(f"Alert closed: {OUTCOME_LABELS[Outcome(typed['outcome'])].lower()}.", "ok")
    return redirect(back, code=303)


def _refused(user: StaffUser, refused: Refused) -> Any:
    """The queue page again (422) with the refused form as typed and its reasons."""
    with db().session() as session:
        queue = safety_alert_queue(session, user, refused)
        back = safe_next(request.form.get("next"), "", under="/staff")
        page = render_template("staff/alerts.html", staff=user, alert_queue=queue, alert_next=back)
        return page, 422
