"""Set-up pages for course templates and their phases."""

from __future__ import annotations

from typing import Any

from flask import flash, request

from scheduler.models import TemplatePhase
from scheduler.setup.course_templates import (
    CADENCES,
    PhaseInput,
    TemplateInput,
    add_phase,
    copy_template,
    create_template,
    get_phase,
    get_template,
    list_templates,
    remove_phase,
    set_template_active,
    update_phase,
    update_template,
)
from scheduler.setup.services import list_services
from web.context import db
from web.staff.setup.base import (
    admin_only,
    attempt,
    back_to,
    bp,
    checked,
    done,
    field,
    form_page,
    page,
    report,
    submit,
    text_values,
)

PHASE_DEFAULTS = {
    "cadence": "weekly",
    "visits_per_week": "1",
    "weeks": "4",
    "min_gap_days": "2",
    "interval_min_weeks": "4",
    "interval_default_weeks": "6",
    "interval_max_weeks": "8",
}


@bp.get("/courses")
@admin_only
def courses() -> Any:
    """Every course template with its phases."""
    with db().session() as session:
        return page("courses.html", templates=list_templates(session))


@bp.route("/courses/new", methods=["GET", "POST"])
@admin_only
def new_course() -> Any:
    """Start a new template; its phases are added next."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        made, errors = attempt(
            lambda s: create_template(s, TemplateInput(field("name"), field("description"))).id
        )
        if made is not None:
            return done(
                "Course added. Add its first visit, then its phases.",
                "setup.course",
                template_id=made,
            )
    return form_page("course_new.html", errors, {})


@bp.route("/courses/<id:template_id>", methods=["GET", "POST"])
@admin_only
def course(template_id: int) -> Any:
    """A template: its name and description, its phases, and a form to add a phase.

    :raise 404: if there is no such template.
    """
    sent, errors = submit(
        lambda s: update_template(
            s, template_id, TemplateInput(field("name"), field("description"))
        ),
        "Course saved.",
        "setup.course",
        template_id=template_id,
    )
    if sent is not None:
        return sent
    with db().session() as session:
        found = get_template(session, template_id)
        return form_page(
            "course_form.html",
            errors,
            {"name": found.name, "description": found.description},
            template=found,
            cadences=CADENCES,
        )


@bp.post("/courses/<id:template_id>/active")
@admin_only
def course_active(template_id: int) -> Any:
    """Offer a template for new courses again, or no longer (courses under way go on)."""
    active = checked("active")
    attempt(lambda s: set_template_active(s, template_id, active))
    flash("Course offered again." if active else "Course no longer offered for new bookings.", "ok")
    return back_to("setup.course", template_id=template_id)


@bp.post("/courses/<id:template_id>/copy")
@admin_only
def copy_course(template_id: int) -> Any:
    """Copy a template with its phases, to change the copy."""
    made, _ = attempt(lambda s: copy_template(s, template_id).id)
    return done(
        "Copied. Change the copy, then stop offering the old one if it is replaced.",
        "setup.course",
        template_id=made,
    )


def _phase_input() -> PhaseInput:
    return PhaseInput(
        name=field("name"),
        service_id=field("service_id"),
        cadence=field("cadence"),
        visits_per_week=field("visits_per_week"),
        weeks=field("weeks"),
        min_gap_days=field("min_gap_days"),
        interval_min_weeks=field("interval_min_weeks"),
        interval_default_weeks=field("interval_default_weeks"),
        interval_max_weeks=field("interval_max_weeks"),
        then_service_id=field("then_service_id"),
        aftercare=checked("aftercare"),
    )


def _phase_values(phase: TemplatePhase) -> dict[str, str]:
    return text_values(
        {
            "name": phase.name,
            "service_id": phase.service_id,
            "cadence": phase.cadence.value,
            "visits_per_week": phase.visits_per_week,
            "weeks": phase.weeks,
            "min_gap_days": phase.min_gap_days,
            "interval_min_weeks": phase.interval_min_weeks,
            "interval_default_weeks": phase.interval_default_weeks,
            "interval_max_weeks": phase.interval_max_weeks,
            "then_service_id": phase.then_service_id,
            "aftercare": "1" if phase.aftercare else "",
        }
    )


def _phase_page(template_id: int, phase_id: int | None, errors: dict[str, list[str]]) -> Any:
    with db().session() as session:
        template = get_template(session, template_id)
        phase = get_phase(session, template_id, phase_id) if phase_id else None
        if phase is not None:
            stored = _phase_values(phase)
        else:
            stored = dict(PHASE_DEFAULTS, cadence="weekly" if template.phases else "once")
        return form_page(
            "phase_form.html",
            errors,
            stored,
            template=template,
            phase=phase,
            services=[(str(s.id), s.name) for s in list_services(session) if s.active],
            cadences=[(c.value, label) for c, label in CADENCES.items()],
        )


@bp.route("/courses/<id:template_id>/phases/new", methods=["GET", "POST"])
@admin_only
def new_phase(template_id: int) -> Any:
    """Add a phase at the end of a template."""
    sent, errors = submit(
        lambda s: add_phase(s, template_id, _phase_input()),
        "Phase added.",
        "setup.course",
        template_id=template_id,
    )
    return sent if sent is not None else _phase_page(template_id, None, errors)


@bp.route("/courses/<id:template_id>/phases/<id:phase_id>", methods=["GET", "POST"])
@admin_only
def phase(template_id: int, phase_id: int) -> Any:
    """Edit a phase: its service, how often, how many and the gaps.

    :raise 404: if the template has no such phase.
    """
    sent, errors = submit(
        lambda s: update_phase(s, template_id, phase_id, _phase_input()),
        "Phase saved.",
        "setup.course",
        template_id=template_id,
    )
    return sent if sent is not None else _phase_page(template_id, phase_id, errors)


@bp.post("/courses/<id:template_id>/phases/<id:phase_id>/remove")
@admin_only
def remove_course_phase(template_id: int, phase_id: int) -> Any:
    """Remove a phase (not while courses under way follow the template)."""
    _, errors = attempt(lambda s: remove_phase(s, template_id, phase_id))
    report(errors, "Phase removed.")
    return back_to("setup.course", template_id=template_id)
