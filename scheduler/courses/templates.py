"""The four course templates of DOMAIN.md section 3, as data loaded into the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.models import Cadence, CourseTemplate, Service, TemplatePhase


@dataclass(frozen=True)
class PhaseData:
    name: str
    service: str
    cadence: Cadence
    per_week: int = 1
    weeks: int = 1
    then: str | None = None
    aftercare: bool = False


CONSULTATION = PhaseData("Initial consultation", "initial", Cadence.ONCE)
MAINTENANCE = PhaseData("Maintenance", "maintenance", Cadence.MAINTENANCE)

TEMPLATES: dict[str, tuple[str, str, list[PhaseData]]] = {
    "migraine": (
        "Migraine prevention",
        "12 sessions in 8 weeks after the consultation, then maintenance every 4-8 weeks.",
        [
            CONSULTATION,
            PhaseData("Acute stabilisation", "acupuncture", Cadence.WEEKLY, 2, 4),
            PhaseData("Consolidation", "acupuncture", Cadence.WEEKLY, 1, 4),
            MAINTENANCE,
        ],
    ),
    "tension": (
        "Tension-type headache",
        "10 sessions in 6 weeks after the consultation, then maintenance.",
        [
            CONSULTATION,
            PhaseData("Acute stabilisation", "acupuncture", Cadence.WEEKLY, 2, 4),
            PhaseData("Consolidation", "acupuncture", Cadence.WEEKLY, 1, 2),
            MAINTENANCE,
        ],
    ),
    "acupuncture_tuina": (
        "Acupuncture + Tui Na",
        "The migraine course with Tui Na straight after each acupuncture visit.",
        [
            CONSULTATION,
            PhaseData("Acute stabilisation", "acupuncture", Cadence.WEEKLY, 2, 4, then="tuina"),
            PhaseData("Consolidation", "acupuncture", Cadence.WEEKLY, 1, 4, then="tuina"),
            PhaseData("Maintenance", "maintenance", Cadence.MAINTENANCE, then="tuina"),
        ],
    ),
    "dry_needling": (
        "Dry needling, neck and shoulder tension",
        "Weekly dry needling for six weeks, with after-care the day after each visit.",
        [
            CONSULTATION,
            PhaseData("Weekly sessions", "dry_needling", Cadence.WEEKLY, 1, 6, aftercare=True),
        ],
    ),
}


def load_default_templates(session: Session) -> int:
    """Add the templates whose code is not there yet; returns how many were added.

    Needs the services they name (see ``scheduler.demo``); a template naming a missing service
    is skipped.
    """
    services = {s.code: s for s in session.scalars(select(Service))}
    existing = set(session.scalars(select(CourseTemplate.code)))
    added = 0
    for code, (name, description, phases) in TEMPLATES.items():
        needed = {p.service for p in phases} | {p.then for p in phases if p.then}
        if code in existing or not needed <= services.keys():
            continue
        template = CourseTemplate(code=code, name=name, description=description)
        template.phases = [
            _phase_row(position, phase, services) for position, phase in enumerate(phases, start=1)
        ]
        session.add(template)
        added += 1
    session.flush()
    return added


def _phase_row(position: int, phase: PhaseData, services: dict[str, Service]) -> TemplatePhase:
    """The template phase ``phase`` describes, at ``position``, with its services found."""
    return TemplatePhase(
        position=position,
        name=phase.name,
        service=services[phase.service],
        cadence=phase.cadence,
        visits_per_week=phase.per_week,
        weeks=phase.weeks,
        min_gap_days=2,
        then_service=services[phase.then] if phase.then else None,
        aftercare=phase.aftercare,
    )
