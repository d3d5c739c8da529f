"""The calendar's one-statement read, on both databases: what it counts as held, and exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from scheduler.calendar.availability import BookingPolicy, to_minutes
from scheduler.calendar.calendar_rows import ServiceTerms, read_calendar
from scheduler.calendar.snapshot import policy_from, policy_of
from scheduler.db import Database
from scheduler.models import (
    ClinicRules,
    Closure,
    Practitioner,
    Room,
    Service,
    TimeOff,
)
from tests.support.factories import demo_clinic, filler_visit

START = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)  # the window: Monday 9 to Saturday 14 March
END = datetime(2026, 3, 14, 0, 0, tzinfo=UTC)


def minutes(moment: datetime) -> int:
    return to_minutes(moment)


def visit(
    session: object,
    n: int,
    practitioner_id: int,
    service: Service,
    start: datetime,
    room_id: int | None,
    status: str = "booked",
) -> tuple[int, int]:
    """Add one visit for a patient of its own; its held time in epoch minutes."""
    added = filler_visit(
        session,  # type: ignore[arg-type]
        name=f"Held{n}",
        phone=f"+44751{n:07d}",
        practitioner_id=practitioner_id,
        service=service,
        start=start,
        room_id=room_id,
        status=status,
    )
    return minutes(added.starts_at), minutes(added.blocked_until)


def test_an_empty_database_reads_as_empty_lists(db: Database) -> None:
    with db.session() as session:
        rows = read_calendar(session, START, END, with_practitioners=True)
    assert rows.by_practitioner == {}
    assert rows.by_room == {}
    assert rows.time_off == [] and rows.closures == []
    assert rows.practitioners == {}


def test_held_time_time_off_closures_rooms_and_hours_come_back_exactly(db: Database) -> None:
    demo_clinic(db)
    with db.transaction() as session:
        first, second = session.scalars(select(Practitioner).order_by(Practitioner.id)).all()[:2]
        room, other_room = session.scalars(select(Room.id).order_by(Room.id)).all()[:2]
        acupuncture = session.scalars(select(Service).where(Service.code == "acupuncture")).one()
        telehealth = session.scalars(select(Service).where(Service.code == "telehealth")).one()
        tuesday = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
        in_room = visit(session, 1, first.id, acupuncture, tuesday, room)
        # Seconds past the minute count down to the minute, as every start on the grid does.
        online = visit(
            session, 2, first.id, telehealth, tuesday + timedelta(hours=2, seconds=30), None
        )
        other = visit(session, 3, second.id, acupuncture, tuesday, other_room)
        # Starts before the window and is held into it: it counts.
        overnight = visit(session, 4, second.id, acupuncture, START - timedelta(minutes=30), room)
        # Cancelled, or over before the window, or starting at its end: they do not.
        visit(session, 5, first.id, acupuncture, tuesday + timedelta(hours=4), room, "cancelled")
        visit(session, 6, first.id, acupuncture, START - timedelta(hours=3), room)
        visit(session, 7, first.id, acupuncture, END, room)
        away = (tuesday + timedelta(days=1), tuesday + timedelta(days=1, hours=4))
        session.add(TimeOff(practitioner_id=second.id, starts_at=away[0], ends_at=away[1]))
        shut = (datetime(2026, 3, 13, 0, 0, tzinfo=UTC), datetime(2026, 3, 14, 0, 0, tzinfo=UTC))
        session.add(Closure(starts_at=shut[0], ends_at=shut[1], reason="Refit"))
        session.add(Closure(starts_at=END, ends_at=END + timedelta(days=1), reason="Later"))
        session.execute(update(Room).where(Room.id == other_room).values(active=False))
        expected_hours = sorted((h.weekday, h.starts, h.ends) for h in first.hours)
        expires = date(2027, 1, 31)
        first.licence_expires_on = expires
        second.active = False
    with db.session() as session:
        rows = read_calendar(session, START, END, with_practitioners=True)
    assert sorted(rows.by_practitioner[first.id]) == [in_room, online]
    assert online == (minutes(tuesday + timedelta(hours=2)), online[1])
    assert sorted(rows.by_practitioner[second.id]) == sorted([other, overnight])
    assert sorted(rows.by_room[room]) == sorted([in_room, overnight])
    assert other_room not in rows.by_room  # an inactive room is not offered
    assert rows.time_off == [(second.id, minutes(away[0]), minutes(away[1]))]
    assert rows.closures == [(minutes(shut[0]), minutes(shut[1]))]
    assert rows.practitioners is not None
    assert second.id not in rows.practitioners  # inactive practitioners are not bookable
    mine = rows.practitioners[first.id]
    assert mine.licence_expires_on == expires
    assert list(mine.hours) == expected_hours
    assert acupuncture.id in mine.services


def test_without_practitioners_the_statement_leaves_their_hours_out(db: Database) -> None:
    demo_clinic(db)
    with db.session() as session:
        rows = read_calendar(session, START, END, with_practitioners=False)
        rooms = session.scalars(select(Room.id).where(Room.active.is_(True))).all()
    assert rows.practitioners is None
    assert sorted(rows.by_room) == sorted(rooms) and all(v == [] for v in rows.by_room.values())


def test_an_instant_with_a_fraction_of_a_second_counts_down_to_its_minute(db: Database) -> None:
    demo_clinic(db)
    away = datetime(2026, 3, 10, 9, 59, 59, 600000, tzinfo=UTC)
    with db.transaction() as session:
        first = session.scalars(select(Practitioner.id).order_by(Practitioner.id)).first()
        session.add(
            TimeOff(practitioner_id=first, starts_at=away, ends_at=away + timedelta(hours=1))
        )
    with db.session() as session:
        rows = read_calendar(session, START, END, with_practitioners=False)
    assert rows.time_off == [(first, minutes(away), minutes(away + timedelta(hours=1)))]
    assert minutes(away) == minutes(datetime(2026, 3, 10, 9, 59, tzinfo=UTC))


def test_with_a_service_the_statement_brings_its_terms_and_the_clinics_rules(
    db: Database,
) -> None:
    demo_clinic(db)
    with db.transaction() as session:
        tuina = session.scalars(select(Service).where(Service.code == "tuina")).one()
        tuina.needs_room, tuina.buffer_min = False, 5
        session.query(ClinicRules).delete()
    with db.session() as session:
        rows = read_calendar(session, START, END, with_practitioners=True, service_id=tuina.id)
        unknown = read_calendar(session, START, END, with_practitioners=True, service_id=9999)
    assert rows.service == ServiceTerms(
        id=tuina.id,
        duration_min=tuina.duration_min,
        buffer_min=5,
        needs_room=False,
        active=True,
    )
    assert rows.service is not None
    assert rows.service.needs_room is False and rows.service.active is True  # not 0 and 1
    assert rows.rules is None  # the clinic keeps the default rules
    assert policy_of(rows.rules) == BookingPolicy()
    assert unknown.service is None

    with db.transaction() as session:
        session.add(
            ClinicRules(
                id=1,
                grid_minutes=30,
                minimum_notice_minutes=240,
                horizon_days=60,
                course_horizon_days=120,
                late_cancellation_hours=48,
                waitlist_hold_minutes=20,
            )
        )
        session.execute(update(Service).where(Service.id == tuina.id).values(active=False))
    with db.session() as session:
        rows = read_calendar(session, START, END, with_practitioners=False, service_id=tuina.id)
        stored = session.get_one(ClinicRules, 1)
        assert policy_of(rows.rules) == policy_from(stored)
    assert rows.service is not None and rows.service.active is False
    assert policy_of(rows.rules) == BookingPolicy(
        grid_minutes=30,
        minimum_notice=timedelta(hours=4),
        horizon=timedelta(days=60),
        course_horizon=timedelta(days=120),
        late_cancellation=timedelta(hours=48),
        waitlist_hold=timedelta(minutes=20),
    )
