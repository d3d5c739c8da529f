"""The clinic dashboard: visits, attendance, reminders and courses for everyone at the desk;
responders and medication-overuse alerts only for staff who may see clinical data.

A practitioner sees the same page narrowed to their own visits and patients.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy.orm import Session

from scheduler.records.statistics import (
    WEEKS_DEFAULT,
    WEEKS_MAX,
    ClinicalFigures,
    Operations,
    clinical_figures,
    operations,
    rate,
)
from scheduler.setup.practitioners import practitioner_names
from scheduler.staff.permissions import Permissions
from web.context import clock, db, settings
from web.staff.auth import current_staff, staff_required
from web.staff.dashboard_charts import dashboard_charts

bp = Blueprint("staff_dashboard", __name__, url_prefix="/staff")

WEEKS_MIN = 4
WEEKS_CHOICES = (4, 8, 12, 26, 52)


def _weeks(errors: dict[str, list[str]]) -> int:
    raw = request.args.get("weeks", "")
    if not raw:
        return WEEKS_DEFAULT
    if raw.isdigit() and WEEKS_MIN <= int(raw) <= WEEKS_MAX:
        return int(raw)
    errors["weeks"] = [f"Choose between {WEEKS_MIN} and {WEEKS_MAX} weeks."]
    return WEEKS_DEFAULT


def _practitioner_filter(
    may: Permissions, choices: dict[int, str], errors: dict[str, list[str]]
) -> int | None:
    """A practitioner always sees their own figures; an admin or the front desk may pick one."""
    narrowed = may.dashboard_practitioner()
    if narrowed is not None:
        return narrowed
    raw = request.args.get("practitioner", "")
    if not raw:
        return None
    if raw.isdigit() and int(raw) in choices:
        return int(raw)
    errors["practitioner"] = ["Choose one of the clinic's practitioners."]
    return None


def _figures(
    session: Session, may: Permissions, weeks: int, practitioner_id: int | None
) -> tuple[Operations, ClinicalFigures | None]:
    """The operational figures, and the clinical ones only for staff who may see them."""
    now = clock().now()
    ops = operations(
        session, now=now, zone=settings().zone, weeks=weeks, practitioner_id=practitioner_id
    )
    if not may.see_clinical():
        return ops, None
    return ops, clinical_figures(session, now=now, practitioner_id=practitioner_id)


@bp.get("/dashboard")
@staff_required()
def dashboard() -> Any:
    """Weekly visits, no-show and late-cancellation rates, reminder confirmations and course
    completion, each as a chart with its numbers; clinical figures for clinical roles."""
    user = current_staff()
    assert user is not None  # staff_required ran first
    errors: dict[str, list[str]] = {}
    weeks = _weeks(errors)
    with db().session() as session:
        choices = practitioner_names(session)
        practitioner_id = _practitioner_filter(Permissions.of(user), choices, errors)
        ops, clinical = _figures(session, Permissions.of(user), weeks, practitioner_id)
    return render_template(
        "staff/dashboard.html",
        staff=user,
        ops=ops,
        clinical=clinical,
        charts=dashboard_charts(ops, clinical),
        rate=rate,
        weeks=weeks,
        weeks_choices=WEEKS_CHOICES,
        practitioners=choices,
        practitioner_id=practitioner_id,
        errors=errors,
    ), (422 if errors else 200)
