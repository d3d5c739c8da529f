"""What follows course events, on both databases; running each step twice changes nothing."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.courses.events import after_visit_completed, after_visit_missed
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Course,
    MessageKind,
    OutboundMessage,
)
from scheduler.visits.attendance import InvalidTransition, record_attendance
from scheduler.visits.cancellation import cancel_visit
from tests.integration.test_courses import LONDON, NOW, request_for
from tests.support.factories import demo_clinic


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def course_visits(db: Database) -> list[Appointment]:
    with db.session() as session:
        return list(
            session.scalars(select(Appointment).order_by(Appointment.starts_at, Appointment.id))
        )


def active(visits: list[Appointment]) -> list[Appointment]:
    return [v for v in visits if v.is_active]


@pytest.fixture
def course(db: Database, settings: Settings) -> int:
    with db.transaction() as session:
        return book_course(session, request_for(db), settings=settings, now=NOW).course.id


def run_twice(db: Database, step, *args) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        first = [a.id for a in step(session, *args)]
    with db.transaction() as session:
        second = [a.id for a in step(session, *args)]
    return first, second


def test_cancelling_visit_3_plans_a_replacement_once(
    db: Database, settings: Settings, course: int
) -> None:
    third = course_visits(db)[2]
    with db.transaction() as session:
        cancel_visit(session, third.id, NOW)
    first, second = run_twice(db, after_visit_missed, third.id, settings, NOW)
    assert len(first) == 1 and second == []
    visits = course_visits(db)
    replacement = next(v for v in visits if v.id == first[0])
    assert replacement.replaces_id == third.id
    assert replacement.visit_number == third.visit_number
    assert replacement.status == AppointmentStatus.PROPOSED
    assert replacement.starts_at.astimezone(LONDON).strftime("%H:%M") == "10:00"
    assert "Replaces the visit of" in replacement.planning_note
    assert len(active(visits)) == 14  # nothing lost
    days = sorted(v.starts_at.date() for v in active(visits))
    assert all((b - a).days >= 2 for a, b in itertools.pairwise(days))


def test_a_no_show_plans_a_replacement_and_cancels_its_texts(
    db: Database, settings: Settings, course: int
) -> None:
    _consultation, first_session = course_visits(db)[:2]
    with db.transaction() as session:
        session.get_one(Appointment, first_session.id).status = AppointmentStatus.BOOKED
    at_visit = first_session.starts_at + timedelta(minutes=20)
    with db.transaction() as session:
        record_attendance(session, first_session.id, AppointmentStatus.NO_SHOW, at_visit)
    first, second = run_twice(db, after_visit_missed, first_session.id, settings, at_visit)
    assert len(first) == 1 and second == []
    replacement = next(v for v in course_visits(db) if v.id == first[0])
    assert replacement.starts_at > at_visit
    assert replacement.visit_number == first_session.visit_number


def test_completing_a_visit_books_the_next_visit_day_once_with_its_messages(
    db: Database, settings: Settings, course: int
) -> None:
    consultation = course_visits(db)[0]
    after = consultation.starts_at + timedelta(hours=2)
    with db.transaction() as session:
        record_attendance(session, consultation.id, AppointmentStatus.COMPLETED, after)
    first, second = run_twice(db, after_visit_completed, consultation.id, settings, after)
    visits = course_visits(db)
    assert first == [visits[1].id] and second == []
    assert visits[1].status == AppointmentStatus.BOOKED
    assert [v.status for v in visits[2:]] == [AppointmentStatus.PROPOSED] * 12
    with db.session() as session:
        kinds = set(
            session.scalars(
                select(OutboundMessage.kind).where(OutboundMessage.appointment_id == visits[1].id)
            )
        )
    assert kinds == {MessageKind.CONFIRMATION, MessageKind.REMINDER_48H, MessageKind.REMINDER_2H}


def test_completing_a_maintenance_visit_plans_the_next_once_at_the_interval(
    db: Database, settings: Settings, course: int
) -> None:
    maintenance = course_visits(db)[-1]
    with db.transaction() as session:
        session.get_one(Appointment, maintenance.id).status = AppointmentStatus.BOOKED
        session.get_one(Course, course).maintenance_interval_weeks = 4  # staff override
    after = maintenance.starts_at + timedelta(hours=1)
    with db.transaction() as session:
        record_attendance(session, maintenance.id, AppointmentStatus.COMPLETED, after)
    first, second = run_twice(db, after_visit_completed, maintenance.id, settings, after)
    assert len(first) == 1 and second == []
    following = next(v for v in course_visits(db) if v.id == first[0])
    assert following.starts_at.date() - maintenance.starts_at.date() == timedelta(weeks=4)
    assert following.visit_number == maintenance.visit_number + 1  # type: ignore[operator]
    assert following.status == AppointmentStatus.BOOKED  # the next visit is confirmed


def test_a_missed_maintenance_visit_is_replanned_a_week_later(
    db: Database, settings: Settings, course: int
) -> None:
    maintenance = course_visits(db)[-1]
    with db.transaction() as session:
        cancel_visit(session, maintenance.id, NOW)
    first, second = run_twice(db, after_visit_missed, maintenance.id, settings, NOW)
    assert len(first) == 1 and second == []
    replacement = next(v for v in course_visits(db) if v.id == first[0])
    assert replacement.starts_at.date() - maintenance.starts_at.date() == timedelta(weeks=1)


@pytest.mark.parametrize(
    ("outcome", "shift", "message"),
    [
        (AppointmentStatus.COMPLETED, timedelta(hours=-1), "not started"),
        (AppointmentStatus.NO_SHOW, timedelta(minutes=-5), "not started"),
        (AppointmentStatus.ARRIVED, timedelta(hours=-3), "more than an hour"),
        (AppointmentStatus.CANCELLED, timedelta(0), "not a visit outcome"),
    ],
)
def test_an_impossible_outcome_is_refused_and_changes_nothing(
    db: Database,
    settings: Settings,
    course: int,
    outcome,
    shift,
    message,  # type: ignore[no-untyped-def]
) -> None:
    consultation = course_visits(db)[0]
    with pytest.raises(InvalidTransition, match=message), db.transaction() as session:
        record_attendance(session, consultation.id, outcome, consultation.starts_at + shift)
    assert course_visits(db)[0].status == AppointmentStatus.BOOKED


def test_a_proposed_visit_cannot_be_completed(
    db: Database, settings: Settings, course: int
) -> None:
    proposed = course_visits(db)[1]
    later = proposed.starts_at + timedelta(hours=1)
    with pytest.raises(InvalidTransition), db.transaction() as session:
        record_attendance(session, proposed.id, AppointmentStatus.COMPLETED, later)


def test_cancelling_acupuncture_cancels_its_tui_na_and_both_are_replanned(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        book_course(session, request_for(db, "acupuncture_tuina"), settings=settings, now=NOW)
    visits = course_visits(db)
    needle, massage = visits[1], visits[2]
    assert massage.starts_at == needle.ends_at
    with db.transaction() as session:
        cancel_visit(session, needle.id, NOW)
    statuses = {v.id: v.status for v in course_visits(db)}
    assert statuses[massage.id] == AppointmentStatus.CANCELLED
    first, second = run_twice(db, after_visit_missed, needle.id, settings, NOW)
    assert len(first) == 2 and second == []
    new_needle, new_massage = (v for v in course_visits(db) if v.id in first)
    assert new_massage.starts_at == new_needle.ends_at
    assert run_twice(db, after_visit_missed, massage.id, settings, NOW) == ([], [])
