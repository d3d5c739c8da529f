"""Setting up course templates and their phases (DOMAIN.md section 3: protocols as data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from scheduler.errors import NotFound, ValidationFailed
from scheduler.field_errors import FieldErrors
from scheduler.lookup import existing
from scheduler.models import (
    Cadence,
    Course,
    CourseStatus,
    CourseTemplate,
    Service,
    TemplatePhase,
)
from scheduler.setup.services import unique_code

CADENCES = {
    Cadence.ONCE: "One visit (the first visit of the course)",
    Cadence.WEEKLY: "Weekly: some visits a week for some weeks",
    Cadence.MAINTENANCE: "Maintenance: one visit every few weeks until stopped",
}


@dataclass(frozen=True)
class TemplateInput:
    name: str
    description: str = ""


@dataclass(frozen=True)
class PhaseInput:
    """A phase as typed into the form (numbers and ids may still be text)."""

    name: str
    service_id: str | int
    cadence: str
    visits_per_week: str | int = 1
    weeks: str | int = 1
    min_gap_days: str | int = 2
    interval_min_weeks: str | int = 4
    interval_default_weeks: str | int = 6
    interval_max_weeks: str | int = 8
    then_service_id: str | int | None = None
    aftercare: bool = False


def list_templates(session: Session) -> list[CourseTemplate]:
    """Every template with its phases, active ones first, by name."""
    return list(
        session.scalars(
            select(CourseTemplate)
            .options(selectinload(CourseTemplate.phases).selectinload(TemplatePhase.service))
            .order_by(CourseTemplate.active.desc(), CourseTemplate.name)
        )
    )


def get_template(session: Session, template_id: int) -> CourseTemplate:
    """:raise NotFound: if there is no such template."""
    return existing(session, CourseTemplate, template_id, "course template")


def _template_values(session: Session, data: TemplateInput, editing: int | None) -> tuple[str, str]:
    errors = FieldErrors()
    name = errors.unique_name(
        session,
        data.name,
        CourseTemplate,
        editing=editing,
        longest=120,
        taken="A course with this name exists.",
    )
    description = errors.text("description", data.description, longest=500, required=False)
    errors.raise_if_any()
    return name, description


def create_template(session: Session, data: TemplateInput) -> CourseTemplate:
    """A new, active template with no phases yet (not bookable until it has a first visit).

    :raise ValidationFailed: for an empty, too long or taken name; nothing is written.
    """
    name, description = _template_values(session, data, None)
    template = CourseTemplate(
        code=unique_code(session, name, CourseTemplate), name=name, description=description
    )
    session.add(template)
    session.flush()
    return template


def update_template(session: Session, template_id: int, data: TemplateInput) -> CourseTemplate:
    """Rename or describe a template.

    :raise NotFound: if there is no such template.
    :raise ValidationFailed: as for ``create_template``; nothing is changed.
    """
    template = get_template(session, template_id)
    template.name, template.description = _template_values(session, data, template_id)
    session.flush()
    return template


def set_template_active(session: Session, template_id: int, active: bool) -> CourseTemplate:
    """Offer a template for new courses again, or no longer (courses that follow it go on).

    :raise NotFound: if there is no such template.
    """
    template = get_template(session, template_id)
    template.active = active
    session.flush()
    return template


def _service(session: Session, errors: FieldErrors, field: str, value: object) -> Service | None:
    try:
        service = session.get(Service, int(str(value)))
    except ValueError:
        service = None
    if service is None or not service.active:
        errors.add(field, "Choose a service from the list.")
        return None
    return service


def _phase_values(session: Session, data: PhaseInput) -> tuple[Cadence, dict[str, object]]:
    """The phase's cadence and model values; :raise ValidationFailed: with every wrong field."""
    errors = FieldErrors()
    name = errors.text("name", data.name, longest=80)
    service, then = _services(session, errors, data)
    cadence = _cadence(errors, data.cadence)
    per_week, weeks, gap = _weekly_pattern(errors, data, cadence)
    shortest, usual, longest = _intervals(errors, data)
    errors.raise_if_any()
    weekly = cadence == Cadence.WEEKLY
    return cadence, {
        "name": name,
        "service": service,
        "cadence": cadence,
        "visits_per_week": per_week if weekly else 1,
        "weeks": weeks if weekly else 1,
        "min_gap_days": gap,
        "interval_min_weeks": shortest,
        "interval_default_weeks": usual,
        "interval_max_weeks": longest,
        "then_service": then,
        "aftercare": bool(data.aftercare),
    }


def _services(
    session: Session, errors: FieldErrors, data: PhaseInput
) -> tuple[Service | None, Service | None]:
    """The phase's service, and the one straight after it if any was chosen."""
    service = _service(session, errors, "service_id", data.service_id)
    then = None
    if data.then_service_id not in (None, ""):
        then = _service(session, errors, "then_service_id", data.then_service_id)
    return service, then


def _cadence(errors: FieldErrors, value: str) -> Cadence:
    """The cadence named by ``value``; a message (and ``ONCE``) if it is not one."""
    try:
        return Cadence(value)
    except ValueError:
        errors.add("cadence", "Choose how often from the list.")
        return Cadence.ONCE


def _weekly_pattern(
    errors: FieldErrors, data: PhaseInput, cadence: Cadence
) -> tuple[int, int, int]:
    """(visits a week, weeks, gap in days), checked; a weekly phase's visits must fit a week."""
    per_week = errors.whole_number("visits_per_week", data.visits_per_week, 1, 3)
    weeks = errors.whole_number("weeks", data.weeks, 1, 26)
    gap = errors.whole_number("min_gap_days", data.min_gap_days, 0, 14)
    gap_known = not {"visits_per_week", "min_gap_days"} & errors.fields.keys()
    if cadence == Cadence.WEEKLY and gap_known and (per_week - 1) * gap > 6:
        errors.add("min_gap_days", f"{per_week} visits a week cannot be {gap} days apart.")
    return per_week, weeks, gap


def _intervals(errors: FieldErrors, data: PhaseInput) -> tuple[int, int, int]:
    """(shortest, usual, longest) maintenance interval in weeks, checked to be in order."""
    shortest = errors.whole_number("interval_min_weeks", data.interval_min_weeks, 1, 26)
    usual = errors.whole_number("interval_default_weeks", data.interval_default_weeks, 1, 26)
    longest = errors.whole_number("interval_max_weeks", data.interval_max_weeks, 1, 26)
    interval_fields = {"interval_min_weeks", "interval_default_weeks", "interval_max_weeks"}
    if not interval_fields & errors.fields.keys() and not shortest <= usual <= longest:
        errors.add(
            "interval_default_weeks",
            "The usual interval must lie between the shortest and the longest.",
        )
    return shortest, usual, longest


def order_problems(cadences: Sequence[Cadence]) -> list[str]:
    """Why phases in this order cannot be planned: a course starts with one first visit, and
    maintenance, if any, comes once and last."""
    problems = []
    if cadences and cadences[0] != Cadence.ONCE:
        problems.append("A course starts with one first visit (the consultation).")
    if Cadence.ONCE in cadences[1:]:
        problems.append("Only the first phase can be a single visit.")
    if Cadence.MAINTENANCE in cadences[:-1]:
        problems.append("Maintenance comes last, once.")
    return problems


def _check_order(cadences: Sequence[Cadence], field: str) -> None:
    if problems := order_problems(cadences):
        raise ValidationFailed({field: problems})


def add_phase(session: Session, template_id: int, data: PhaseInput) -> TemplatePhase:
    """Add a phase at the end of a template.

    :raise NotFound: if there is no such template.
    :raise ValidationFailed: for each field out of range or not in its list, a gap the visits
        of a week cannot keep, or a phase out of order; nothing is written.
    """
    template = get_template(session, template_id)
    cadence, values = _phase_values(session, data)
    _check_order([*(p.cadence for p in template.phases), cadence], "cadence")
    phase = TemplatePhase(position=len(template.phases) + 1, **values)
    template.phases.append(phase)
    session.flush()
    return phase


def get_phase(session: Session, template_id: int, phase_id: int) -> TemplatePhase:
    """:raise NotFound: if the template has no such phase."""
    phase = session.get(TemplatePhase, phase_id)
    if phase is None or phase.template_id != template_id:
        raise NotFound(f"phase {phase_id} of template {template_id} does not exist")
    return phase


def update_phase(
    session: Session, template_id: int, phase_id: int, data: PhaseInput
) -> TemplatePhase:
    """Change a phase; courses that follow the template use it for visits planned from now on.

    :raise NotFound: if the template has no such phase.
    :raise ValidationFailed: as for ``add_phase``; nothing is changed.
    """
    phase = get_phase(session, template_id, phase_id)
    cadence, values = _phase_values(session, data)
    _check_order(
        [cadence if p.id == phase.id else p.cadence for p in phase.template.phases], "cadence"
    )
    for field, value in values.items():
        setattr(phase, field, value)
    session.flush()
    return phase


def remove_phase(session: Session, template_id: int, phase_id: int) -> None:
    """Remove a phase; the later ones move up.

    :raise NotFound: if the template has no such phase.
    :raise ValidationFailed: if courses in progress follow the template (their visits are
        numbered by phase), or what is left would be out of order; nothing is changed.
    """
    phase = get_phase(session, template_id, phase_id)
    template = phase.template
    _check_no_course_running(session, template_id)
    later = [p for p in template.phases if p.position > phase.position]
    _check_order([p.cadence for p in template.phases if p.id != phase.id], "phase")
    template.phases.remove(phase)
    session.flush()
    for other in sorted(later, key=lambda p: p.position):
        other.position -= 1
        session.flush()  # one at a time: positions stay unique at every step


def _check_no_course_running(session: Session, template_id: int) -> None:
    """:raise ValidationFailed: if courses in progress follow the template."""
    running = session.scalar(
        select(func.count())
        .select_from(Course)
        .where(Course.template_id == template_id, Course.status == CourseStatus.ACTIVE)
    )
    if running:
        raise ValidationFailed(
            {
                "phase": [
                    f"Courses in progress follow this template ({running}): copy it and "
                    "change the copy's phases."
                ]
            }
        )


def copy_template(session: Session, template_id: int) -> CourseTemplate:
    """A new template with the same phases, named "<name> (copy)", ready to change.

    :raise NotFound: if there is no such template.
    """
    source = get_template(session, template_id)
    name = _copy_name(session, source.name)
    copy = CourseTemplate(
        code=unique_code(session, name, CourseTemplate),
        name=name,
        description=source.description,
    )
    copy.phases = [_phase_copy(p) for p in source.phases]
    session.add(copy)
    session.flush()
    return copy


def _copy_name(session: Session, name: str) -> str:
    """The copy's name: ``<name> (copy)``, or ``(copy 2)``, ``(copy 3)``... while taken."""
    copy_name, n = f"{name[:110]} (copy)", 2
    taken = set(session.scalars(select(func.lower(CourseTemplate.name))))
    while copy_name.lower() in taken:
        copy_name, n = f"{name[:106]} (copy {n})", n + 1
    return copy_name


def _phase_copy(phase: TemplatePhase) -> TemplatePhase:
    """A new phase with the same position and settings, for another template."""
    return TemplatePhase(
        position=phase.position,
        name=phase.name,
        service_id=phase.service_id,
        cadence=phase.cadence,
        visits_per_week=phase.visits_per_week,
        weeks=phase.weeks,
        min_gap_days=phase.min_gap_days,
        interval_min_weeks=phase.interval_min_weeks,
        interval_default_weeks=phase.interval_default_weeks,
        interval_max_weeks=phase.interval_max_weeks,
        then_service_id=phase.then_service_id,
        aftercare=phase.aftercare,
    )
