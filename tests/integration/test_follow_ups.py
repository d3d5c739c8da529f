"""What each use case says follows it, on both databases: the work every entry point enqueues."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.db import Database
from scheduler.follow_ups import (
    FollowUp,
    FreedTime,
    after_visit_completed,
    after_visit_missed,
    fill_unplaced_visits,
    offer_freed_time,
)
from scheduler.messaging.inbound import receive_sms
from scheduler.models import Appointment, AppointmentStatus, ClinicRules
from scheduler.visits.attendance import record_attendance
from scheduler.visits.cancellation import NotCancellable, cancel_visit
from scheduler.visits.rescheduling import reschedule_visit
from tests.conftest import MONDAY_8AM
from tests.integration.test_courses import NOW, request_for
from tests.support.factories import PHONE, book, demo_clinic

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
FRIDAY_10AM = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
sids = itertools.count(1)


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


@pytest.fixture
def course(db: Database, settings: Settings) -> list[Appointment]:
    """A migraine course booked on Sunday: its visits in time order."""
    with db.transaction() as session:
        course_id = book_course(session, request_for(db), settings=settings, now=NOW).course.id
    with db.session() as session:
        return list(
            session.scalars(
                select(Appointment)
                .where(Appointment.course_id == course_id)
                .order_by(Appointment.starts_at, Appointment.id)
            )
        )


def offer_of(visit: Appointment) -> FollowUp:
    return offer_freed_time(FreedTime(visit.practitioner_id, visit.starts_at))


def booked(db: Database, visit: Appointment) -> None:
    with db.transaction() as session:
        session.get_one(Appointment, visit.id).status = AppointmentStatus.BOOKED


def test_cancelling_a_course_visit_asks_for_its_replacement_and_offers_its_time(
    db: Database, course: list[Appointment]
) -> None:
    third = course[2]
    with db.transaction() as session:
        cancelled = cancel_visit(session, third.id, NOW)
    assert not cancelled.late
    assert cancelled.follow_ups == (after_visit_missed(third.id), offer_of(third))


def test_cancelling_a_single_visit_only_offers_its_time(db: Database, settings: Settings) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    with db.transaction() as session:
        cancelled = cancel_visit(session, visit.id, MONDAY_8AM)
    assert cancelled.follow_ups == (offer_of(visit),)


def test_a_late_cancellation_still_offers_the_time_it_gives_up(
    db: Database, settings: Settings
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    with db.transaction() as session:
        cancelled = cancel_visit(session, visit.id, WEDNESDAY_10AM - timedelta(hours=2))
    assert cancelled.late and cancelled.visit.status == AppointmentStatus.CANCELLED_LATE
    assert cancelled.follow_ups == (offer_of(visit),)


def test_a_visit_already_started_is_not_cancelled_so_nothing_follows(
    db: Database, settings: Settings
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    with pytest.raises(NotCancellable), db.transaction() as session:
        cancel_visit(session, visit.id, WEDNESDAY_10AM + timedelta(minutes=5))
    with db.session() as session:
        assert session.get_one(Appointment, visit.id).status == AppointmentStatus.BOOKED


def test_a_no_show_on_a_course_asks_for_a_replacement_and_offers_no_past_time(
    db: Database, course: list[Appointment]
) -> None:
    first_session = course[1]
    booked(db, first_session)
    with db.transaction() as session:
        recorded = record_attendance(
            session,
            first_session.id,
            AppointmentStatus.NO_SHOW,
            first_session.starts_at + timedelta(minutes=20),
        )
    assert recorded.follow_ups == (after_visit_missed(first_session.id),)


def test_a_no_show_outside_a_course_has_nothing_to_follow(db: Database, settings: Settings) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    with db.transaction() as session:
        recorded = record_attendance(
            session, visit.id, AppointmentStatus.NO_SHOW, WEDNESDAY_10AM + timedelta(minutes=20)
        )
    assert recorded.follow_ups == ()


def test_completing_a_course_visit_asks_for_the_next_visit_day(
    db: Database, course: list[Appointment]
) -> None:
    consultation = course[0]
    after = consultation.starts_at + timedelta(hours=2)
    with db.transaction() as session:
        recorded = record_attendance(session, consultation.id, AppointmentStatus.COMPLETED, after)
    assert recorded.follow_ups == (after_visit_completed(consultation.id),)


def test_an_early_arrival_and_a_completed_single_visit_have_nothing_to_follow(
    db: Database, settings: Settings
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    with db.transaction() as session:
        arrived = record_attendance(
            session, visit.id, AppointmentStatus.ARRIVED, WEDNESDAY_10AM - timedelta(minutes=30)
        )
        assert arrived.follow_ups == ()  # its time is taken by the patient, not freed
        completed = record_attendance(
            session, visit.id, AppointmentStatus.COMPLETED, WEDNESDAY_10AM + timedelta(hours=1)
        )
    assert completed.follow_ups == ()


def test_moving_a_course_visit_only_offers_the_time_it_gave_up(
    db: Database, settings: Settings, course: list[Appointment]
) -> None:
    consultation = course[0]
    new_start = consultation.starts_at + timedelta(hours=4)
    with db.transaction() as session:
        move = reschedule_visit(
            session, consultation.id, new_start, settings=settings, now=NOW, by_staff=True
        )
    assert move.freed == FreedTime(consultation.practitioner_id, consultation.starts_at)
    assert move.follow_ups == (offer_of(consultation),)


def test_a_second_x_reply_is_followed_as_cancelling_the_visit_is(
    db: Database, settings: Settings, course: list[Appointment]
) -> None:
    consultation = course[0]  # the patient's next booked visit

    def text_x() -> tuple[object, ...]:
        with db.transaction() as session:
            result = receive_sms(
                session,
                sid=f"SM{next(sids):032d}",
                from_phone=PHONE,
                to_phone="+15005550006",
                body="X",
                settings=settings,
                now=NOW,
            )
        return result.follow_ups

    assert text_x() == ()  # the first X only asks
    assert text_x() == (after_visit_missed(consultation.id), offer_of(consultation))


def test_a_course_with_visits_it_could_not_place_asks_to_try_again(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        rules = session.get(ClinicRules, 1) or ClinicRules(id=1)
        rules.horizon_days = rules.course_horizon_days = 21
        session.add(rules)
    with db.transaction() as session:
        booking = book_course(session, request_for(db), settings=settings, now=NOW)
        assert booking.course.unplaced
    assert booking.follow_ups == (fill_unplaced_visits(booking.course.id),)


def test_a_course_placed_in_full_has_nothing_to_follow(db: Database, settings: Settings) -> None:
    with db.transaction() as session:
        booking = book_course(session, request_for(db), settings=settings, now=NOW)
        assert booking.course.unplaced == []
    assert booking.follow_ups == ()
