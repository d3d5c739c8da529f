"""Booking a treatment course on both databases: the plan, its rules, and what is written."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from scheduler.calendar.availability import from_minutes
from scheduler.config import Settings
from scheduler.courses.booking import CourseRequest, book_course, plan_for_request
from scheduler.db import Database
from scheduler.errors import SlotUnavailable, ValidationFailed
from scheduler.models import Appointment, Course, CourseTemplate, OutboundMessage, Practitioner
from tests.support.factories import book, booking_request, demo_clinic

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # a Sunday
MONDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # GMT; BST from 29 March


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def template_id(db: Database, code: str) -> int:
    with db.session() as session:
        return session.scalars(select(CourseTemplate.id).where(CourseTemplate.code == code)).one()


def request_for(db: Database, code: str = "migraine", **overrides: object) -> CourseRequest:
    start = overrides.pop("start", MONDAY_10AM)
    weekdays = overrides.pop("weekdays", None)
    return CourseRequest(
        template_id=template_id(db, code),
        booking=booking_request(db, start, service_code="initial", **overrides),  # type: ignore[arg-type]
        weekdays=weekdays,  # type: ignore[arg-type]
    )


def local(minutes: int | None) -> datetime:
    assert minutes is not None
    return from_minutes(minutes).astimezone(LONDON)


def week_of(day: date, consultation: date) -> int:
    return (day - consultation - timedelta(days=1)).days // 7 + 1


def test_a_migraine_course_plans_consultation_twelve_sessions_and_maintenance_at_10am(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        result = book_course(session, request_for(db), settings=settings, now=NOW)
    plan = result.plan
    assert all(v.placed for v in plan)
    assert [v.phase_name for v in plan] == (
        ["Initial consultation"] + ["Acute stabilisation"] * 8 + ["Consolidation"] * 4
        + ["Maintenance"]
    )  # fmt: skip
    consultation = local(plan[0].start).date()
    assert consultation == date(2026, 3, 2)
    stabilisation = [local(v.start) for v in plan[1:9]]
    assert Counter(week_of(d.date(), consultation) for d in stabilisation) == {
        1: 2,
        2: 2,
        3: 2,
        4: 2,
    }
    days = [consultation] + [d.date() for d in stabilisation]
    assert all((b - a).days >= 2 for a, b in itertools.pairwise(days))
    consolidation = [local(v.start) for v in plan[9:13]]
    assert [week_of(d.date(), consultation) for d in consolidation] == [5, 6, 7, 8]
    maintenance = local(plan[13].start).date()
    assert 28 <= (maintenance - consolidation[-1].date()).days <= 56
    # Every visit at 10:00 on the clinic's clock, across the change to summer time on 29 March.
    assert {local(v.start).strftime("%H:%M") for v in plan} == {"10:00"}
    assert any(local(v.start).utcoffset() == timedelta(hours=1) for v in plan)
    assert {v.practitioner_id for v in plan} == {plan[0].practitioner_id}
    assert not any(v.moved for v in plan)


def test_the_course_is_written_as_a_booked_consultation_and_proposed_held_visits(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        result = book_course(session, request_for(db), settings=settings, now=NOW)
    with db.session() as session:
        visits = session.scalars(select(Appointment).order_by(Appointment.starts_at)).all()
        assert [v.status.value for v in visits] == ["booked"] + ["proposed"] * 13
        assert [v.visit_number for v in visits] == list(range(1, 15))
        assert {v.course_id for v in visits} == {result.course.id}
        course = session.get_one(Course, result.course.id)
        assert course.preferred_weekdays == "0,3"
        assert course.unplaced == []
        kinds = session.scalars(select(OutboundMessage.appointment_id)).all()
        assert set(kinds) == {visits[0].id}  # only the booked visit has messages yet
    # Proposed visits hold their time: the slot is gone for anyone else.
    with pytest.raises(SlotUnavailable):
        book(db, settings, NOW, visits[1].starts_at, phone="07400123499")


def test_a_taken_slot_moves_to_the_nearest_free_time_and_says_so(
    db: Database, settings: Settings
) -> None:
    thursday = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    book(db, settings, NOW, thursday, phone="07400123498")  # Dr Lin's Thursday 10:00
    with db.session() as session:
        plan = plan_for_request(session, request_for(db), settings=settings, now=NOW)[3]
    moved = [v for v in plan if v.moved]
    assert len(moved) == 1
    visit = moved[0]
    assert local(visit.wanted).strftime("%a %H:%M") == "Thu 10:00"
    assert local(visit.start).date() == date(2026, 3, 5)
    assert local(visit.start).strftime("%H:%M") in {"09:00", "11:00"}  # nearest with the buffer
    assert visit.practitioner_id == plan[0].practitioner_id
    assert "was taken" in visit.note


def test_a_fully_booked_day_moves_to_another_day_keeping_the_gaps(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        lin = session.scalars(select(Practitioner).where(Practitioner.name == "Dr Mei Lin")).one()
        from scheduler.models import TimeOff

        session.add(
            TimeOff(
                practitioner_id=lin.id,
                starts_at=datetime(2026, 3, 5, 0, tzinfo=UTC),
                ends_at=datetime(2026, 3, 6, 0, tzinfo=UTC),
                reason="training",
            )
        )
    with db.session() as session:
        plan = plan_for_request(session, request_for(db), settings=settings, now=NOW)[3]
    week_one = [local(v.start) for v in plan[1:3]]
    assert date(2026, 3, 5) not in [d.date() for d in week_one]
    assert all(d.strftime("%H:%M") == "10:00" for d in week_one)
    days = [date(2026, 3, 2)] + [d.date() for d in week_one]
    assert all((b - a).days >= 2 for a, b in itertools.pairwise(days))
    assert {v.practitioner_id for v in plan} == {lin.id}


def test_the_tui_na_course_puts_tui_na_straight_after_each_acupuncture_visit(
    db: Database, settings: Settings
) -> None:
    with db.session() as session:
        plan = plan_for_request(
            session, request_for(db, "acupuncture_tuina"), settings=settings, now=NOW
        )[3]
    acupuncture = [v for v in plan if v.service.name in ("Acupuncture", "Maintenance visit")]
    tuina = [v for v in plan if v.service.name == "Tui Na massage"]
    assert len(acupuncture) == 13 and len(tuina) == 13
    for needle, massage in zip(acupuncture, tuina, strict=True):
        assert massage.start == needle.start + needle.service.duration  # type: ignore[operator]
        assert massage.room_id != needle.room_id  # the needling room is being cleaned
        assert massage.note == ""


def test_preferred_weekdays_are_kept_where_the_gap_allows(db: Database, settings: Settings) -> None:
    with db.session() as session:
        plan = plan_for_request(
            session, request_for(db, weekdays=(1, 4)), settings=settings, now=NOW
        )[3]
    # Tuesday 3 March is one day after the consultation: week 1 takes Wednesday instead.
    assert [local(v.start).strftime("%a %d") for v in plan[1:3]] == ["Wed 04", "Fri 06"]
    assert {local(v.start).strftime("%a") for v in plan[3:]} == {"Tue", "Fri"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"weekdays": ()}, "weekdays"),
        ({"weekdays": (0, 9)}, "weekdays"),
        ({"phone": "nope"}, "phone"),
        ({"start": datetime(2026, 3, 2, 7, 0, tzinfo=UTC)}, "start"),
    ],
)
def test_a_bad_course_request_is_refused_and_writes_nothing(
    db: Database, settings: Settings, overrides: dict, field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised, db.transaction() as session:
        book_course(session, request_for(db, **overrides), settings=settings, now=NOW)
    assert field in raised.value.fields
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Appointment)) == 0
        assert session.scalar(select(func.count()).select_from(Course)) == 0


def test_an_unknown_template_is_refused(db: Database, settings: Settings) -> None:
    request = request_for(db)
    bad = CourseRequest(template_id=999, booking=request.booking)
    with pytest.raises(ValidationFailed) as raised, db.session() as session:
        plan_for_request(session, bad, settings=settings, now=NOW)
    assert "template_id" in raised.value.fields
