"""A course phase in the plain words patients read: "First visit", "Twice a week for 4 weeks"."""

from __future__ import annotations

from sqlalchemy.orm import Session

from scheduler.models import Cadence, CourseTemplate, TemplatePhase

TIMES_A_WEEK = {1: "Once a week", 2: "Twice a week", 3: "Three times a week"}


def describe_phase(phase: TemplatePhase) -> str:
    """How often the phase's visits come, without the clinic's own phase names (which may be
    jargon such as "Acute stabilisation"): "First visit", "Once a week for 4 weeks",
    "Every 4 to 8 weeks"."""
    if phase.cadence == Cadence.ONCE:
        first = phase.template.phases[0].position == phase.position
        return "First visit" if first else "One visit"
    if phase.cadence == Cadence.MAINTENANCE:
        low, high = phase.interval_min_weeks, phase.interval_max_weeks
        return f"Every {low} weeks" if low == high else f"Every {low} to {high} weeks"
    often = TIMES_A_WEEK.get(phase.visits_per_week, f"{phase.visits_per_week} times a week")
    return f"{often} for {phase.weeks} week{'s' if phase.weeks != 1 else ''}"


def phase_words(session: Session, template_id: int) -> dict[int, str]:
    """Each phase of a course template in plain words, by the phase's position."""
    template = session.get(CourseTemplate, template_id)
    if template is None:
        return {}
    return {phase.position: describe_phase(phase) for phase in template.phases}
