"""A course's plan as the staff booking shows it before anything is written."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.calendar.availability import from_minutes
from scheduler.courses.phase_wording import phase_words
from scheduler.courses.planning import PlannedVisit
from scheduler.models import Practitioner
from web.context import settings
from web.dates import clock_time, short_day


def plan_rows(session: Session, plan: list[PlannedVisit], template_id: int) -> list[dict[str, Any]]:
    """Each visit of the plan: its number, phase, service, day and time in the clinic's
    locale, practitioner, and whether it is booked, held (proposed) or still to be arranged."""
    names = {p.id: p.name for p in session.scalars(select(Practitioner))}
    words = phase_words(session, template_id)
    return [_row(visit, index, names, words) for index, visit in enumerate(plan)]


def _row(
    visit: PlannedVisit, index: int, names: dict[int, str], words: dict[int, str]
) -> dict[str, Any]:
    cfg = settings()
    when = ""
    if visit.start is not None:
        local = from_minutes(visit.start).astimezone(cfg.zone)
        when = f"{short_day(local.date(), cfg.clinic_locale)}, "
        when += clock_time(local.time(), cfg.clinic_locale)
    return {
        "number": visit.visit_number,
        "phase": words.get(visit.phase_position, ""),
        "service": visit.service.name,
        "when": when,
        "practitioner": names.get(visit.practitioner_id or 0, ""),
        "status": "booked" if index == 0 else ("proposed" if visit.placed else "unplaced"),
        "note": visit.note,
    }
