"""Setting up course templates and their phases, on both databases."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.db import Database
from scheduler.errors import ValidationFailed
from scheduler.models import Cadence, CourseTemplate, TemplatePhase
from scheduler.setup.course_templates import (
    PhaseInput,
    TemplateInput,
    add_phase,
    copy_template,
    create_template,
    remove_phase,
    update_phase,
)
from tests.integration.test_courses import NOW, request_for
from tests.support.factories import demo_clinic, ids
from tests.support.table_rows import table_rows


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def refused(db: Database, work: Any) -> dict[str, list[str]]:
    before = table_rows(db, CourseTemplate, TemplatePhase)
    with pytest.raises(ValidationFailed) as caught, db.transaction() as session:
        work(session)
    assert table_rows(db, CourseTemplate, TemplatePhase) == before
    return caught.value.fields


def consultation(db: Database) -> PhaseInput:
    return PhaseInput("Consultation", ids(db, "initial")[0], Cadence.ONCE.value)


def weekly(db: Database, **changes: Any) -> PhaseInput:
    phase = PhaseInput(
        "Weekly", ids(db, "acupuncture")[0], "weekly", visits_per_week="2", weeks="3"
    )
    return replace(phase, **changes)


def new_template(db: Database, name: str = "Short course") -> int:
    with db.transaction() as session:
        return create_template(session, TemplateInput(name, "Three weeks.")).id


def test_a_new_template_with_its_phases_books_like_the_built_in_ones(
    db: Database, settings: Settings
) -> None:
    template_id = new_template(db)
    with db.transaction() as session:
        add_phase(session, template_id, consultation(db))
        add_phase(session, template_id, weekly(db))
    request = replace(request_for(db), template_id=template_id)
    with db.transaction() as session:
        booked = book_course(session, request, settings=settings, now=NOW)
    assert len(booked.appointments) == 1 + 2 * 3


def test_a_taken_template_name_is_refused(db: Database) -> None:
    fields = refused(db, lambda s: create_template(s, TemplateInput("migraine PREVENTION")))
    assert fields == {"name": ["A course with this name exists."]}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This is required."),
        ({"service_id": "999"}, "service_id", "Choose a service from the list."),
        ({"cadence": "daily"}, "cadence", "Choose how often from the list."),
        ({"visits_per_week": "4"}, "visits_per_week", "Enter a number from 1 to 3."),
        ({"weeks": "27"}, "weeks", "Enter a number from 1 to 26."),
        ({"min_gap_days": "15"}, "min_gap_days", "Enter a number from 0 to 14."),
        (
            {"visits_per_week": "3", "min_gap_days": "4"},
            "min_gap_days",
            "3 visits a week cannot be 4 days apart.",
        ),
        (
            {"interval_min_weeks": "6", "interval_default_weeks": "5"},
            "interval_default_weeks",
            "The usual interval must lie between the shortest and the longest.",
        ),
        ({"then_service_id": "abc"}, "then_service_id", "Choose a service from the list."),
    ],
)
def test_a_bad_phase_is_refused_with_a_message_and_nothing_written(
    db: Database, changes: dict[str, str], field: str, message: str
) -> None:
    template_id = new_template(db)
    with db.transaction() as session:
        add_phase(session, template_id, consultation(db))
    fields = refused(db, lambda s: add_phase(s, template_id, weekly(db, **changes)))
    assert fields == {field: [message]}


def test_phases_must_start_with_one_first_visit_and_end_with_maintenance(db: Database) -> None:
    template_id = new_template(db)
    assert refused(db, lambda s: add_phase(s, template_id, weekly(db))) == {
        "cadence": ["A course starts with one first visit (the consultation)."]
    }
    with db.transaction() as session:
        add_phase(session, template_id, consultation(db))
        add_phase(session, template_id, weekly(db, cadence="maintenance"))
    assert refused(db, lambda s: add_phase(s, template_id, weekly(db))) == {
        "cadence": ["Maintenance comes last, once."]
    }
    assert refused(db, lambda s: add_phase(s, template_id, consultation(db))) == {
        "cadence": ["Only the first phase can be a single visit.", "Maintenance comes last, once."]
    }


def test_removing_a_phase_moves_the_later_ones_up(db: Database) -> None:
    template_id = new_template(db)
    with db.transaction() as session:
        add_phase(session, template_id, consultation(db))
        middle = add_phase(session, template_id, weekly(db, name="Middle")).id
        add_phase(session, template_id, weekly(db, name="Last", weeks="2"))
    with db.transaction() as session:
        remove_phase(session, template_id, middle)
    with db.session() as session:
        phases = session.scalars(
            select(TemplatePhase)
            .where(TemplatePhase.template_id == template_id)
            .order_by(TemplatePhase.position)
        ).all()
        assert [(p.position, p.name) for p in phases] == [(1, "Consultation"), (2, "Last")]


def test_a_template_with_courses_in_progress_keeps_its_phases_but_a_copy_can_change(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        booked = book_course(session, request_for(db), settings=settings, now=NOW)
        template_id = booked.course.template_id
        phase_id = booked.course.template.phases[1].id
    fields = refused(db, lambda s: remove_phase(s, template_id, phase_id))
    assert fields == {
        "phase": [
            "Courses in progress follow this template (1): copy it and change the copy's phases."
        ]
    }
    with db.transaction() as session:
        copy = copy_template(session, template_id)
        assert copy.name == "Migraine prevention (copy)"
        assert [p.name for p in copy.phases] == [
            "Initial consultation",
            "Acute stabilisation",
            "Consolidation",
            "Maintenance",
        ]
        remove_phase(session, copy.id, copy.phases[2].id)


def test_editing_a_phase_checks_the_order_it_leaves(db: Database) -> None:
    template_id = new_template(db)
    with db.transaction() as session:
        first = add_phase(session, template_id, consultation(db)).id
        add_phase(session, template_id, weekly(db))
    fields = refused(db, lambda s: update_phase(s, template_id, first, weekly(db)))
    assert fields == {"cadence": ["A course starts with one first visit (the consultation)."]}
    with db.transaction() as session:
        update_phase(session, template_id, first, replace(consultation(db), name="First visit"))
    with db.session() as session:
        assert session.get_one(TemplatePhase, first).name == "First visit"
