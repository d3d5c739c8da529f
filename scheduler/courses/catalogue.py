"""The courses offered online: active templates, and which of them a patient can book."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scheduler.errors import NotFound
from scheduler.models import Cadence, CourseTemplate


def offered_courses(session: Session) -> list[CourseTemplate]:
    """The active templates that have phases, in the clinic's order, their phases loaded."""
    templates = session.scalars(
        select(CourseTemplate)
        .where(CourseTemplate.active)
        .order_by(CourseTemplate.id)
        .options(selectinload(CourseTemplate.phases))
    )
    return [t for t in templates if t.phases]


def bookable_course(session: Session, template_id: int) -> CourseTemplate:
    """A course a patient can book online: active, and opening with one visit to book.

    :raise NotFound: for any other template, or none with that id.
    """
    template = session.get(CourseTemplate, template_id)
    if template is None or not template.active or not template.phases:
        raise NotFound("no such course")
    if template.phases[0].cadence != Cadence.ONCE:
        raise NotFound("no such course")
    return template
