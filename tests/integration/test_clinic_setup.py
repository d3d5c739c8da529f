"""Setting up services, rooms, practitioners, hours, time off and closures, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.calendar.availability import from_minutes
from scheduler.calendar.snapshot import free_slots
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import NotFound, ValidationFailed
from scheduler.follow_ups import FreedTime
from scheduler.models import Closure, Practitioner, Room, Service, TimeOff, WorkingHours
from scheduler.models.clinic import practitioner_services
from scheduler.setup.hours import (
    AwayInput,
    add_closure,
    add_time_off,
    describe_week,
    remove_closure,
    set_working_hours,
)
from scheduler.setup.practitioners import (
    PractitionerInput,
    create_practitioner,
    licence_warnings,
    set_practitioner_active,
    update_practitioner,
)
from scheduler.setup.services import (
    RoomInput,
    ServiceInput,
    create_room,
    create_service,
    set_room_active,
    set_service_active,
    update_service,
)
from scheduler.visits.waitlist import offer_freed_time
from tests.conftest import MONDAY_8AM
from tests.integration.test_reschedule_and_waitlist import two_waiting_then_a_cancellation
from tests.support.factories import book, demo_clinic, ids
from tests.support.table_rows import table_rows

NEXT_MONDAY = date(2026, 3, 9)
WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


def lin(db: Database) -> int:
    with db.session() as session:
        return session.scalars(
            select(Practitioner.id).where(Practitioner.name == "Dr Mei Lin")
        ).one()


def starts_on(db: Database, settings: Settings, day: date, practitioner_id: int) -> list[time]:
    """The practitioner's free acupuncture starts that day, as local times."""
    service_id, _ = ids(db)
    with db.session() as session:
        options = free_slots(
            session,
            service_id=service_id,
            first_day=day,
            last_day=day,
            zone=settings.zone,
            now=MONDAY_8AM,
            practitioner_id=practitioner_id,
        )
    return [from_minutes(o.start).astimezone(settings.zone).time() for o in options]


def refused(db: Database, work: Any, *tables: Any) -> dict[str, list[str]]:
    """Run ``work`` in a transaction, expect ValidationFailed, and check nothing changed."""
    before = table_rows(db, *tables)
    with pytest.raises(ValidationFailed) as caught, db.transaction() as session:
        work(session)
    assert table_rows(db, *tables) == before
    return caught.value.fields


# Services


def test_a_new_service_is_active_with_a_code_made_from_its_name(db: Database) -> None:
    with db.transaction() as session:
        service = create_service(session, ServiceInput("Cupping session", "40", "5", True))
        assert (service.code, service.duration_min, service.buffer_min, service.active) == (
            "cupping_session",
            40,
            5,
            True,
        )
        again = create_service(session, ServiceInput("Cupping: session", 30))
        assert again.code == "cupping_session_2"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (ServiceInput("", 45), "name", "This is required."),
        (ServiceInput("x" * 121, 45), "name", "Use at most 120 characters."),
        (ServiceInput("ACUPUNCTURE", 45), "name", "A service with this name exists."),
        (ServiceInput("Long", "forty"), "duration_min", "Enter a whole number."),
        (ServiceInput("Short", 4), "duration_min", "Enter a number from 5 to 480."),
        (ServiceInput("Long", 481), "duration_min", "Enter a number from 5 to 480."),
        (ServiceInput("Buffer", 30, 121), "buffer_min", "Enter a number from 0 to 120."),
        (ServiceInput("Buffer", 30, -1), "buffer_min", "Enter a number from 0 to 120."),
    ],
)
def test_a_bad_service_is_refused_with_a_message_and_nothing_written(
    db: Database, data: ServiceInput, field: str, message: str
) -> None:
    fields = refused(db, lambda s: create_service(s, data), Service)
    assert fields[field] == [message]


def test_editing_a_service_with_a_bad_duration_changes_nothing(db: Database) -> None:
    service_id, _ = ids(db)
    fields = refused(
        db, lambda s: update_service(s, service_id, ServiceInput("Acupuncture+", 0)), Service
    )
    assert fields == {"duration_min": ["Enter a number from 5 to 480."]}
    with db.transaction() as session:
        update_service(session, service_id, ServiceInput("Acupuncture", 60, 15, True))
    with db.session() as session:
        assert session.get_one(Service, service_id).duration_min == 60


def test_a_deactivated_service_is_kept_but_not_bookable_and_its_templates_are_named(
    db: Database, settings: Settings
) -> None:
    service_id, practitioner_id = ids(db)
    with db.transaction() as session:
        templates = set_service_active(session, service_id, False)
    assert "Migraine prevention" in templates
    with db.session() as session:
        assert session.get_one(Service, service_id).active is False
    with pytest.raises(NotFound):
        starts_on(db, settings, NEXT_MONDAY, practitioner_id)


# Rooms


def test_rooms_are_created_renamed_and_must_have_unique_names(db: Database) -> None:
    with db.transaction() as session:
        create_room(session, RoomInput("Room 4"))
    assert refused(db, lambda s: create_room(s, RoomInput("room 4")), Room) == {
        "name": ["A room with this name exists."]
    }
    assert refused(db, lambda s: create_room(s, RoomInput("  ")), Room) == {
        "name": ["This is required."]
    }


def test_deactivating_a_room_counts_the_visits_still_booked_in_it(
    db: Database, settings: Settings
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    assert visit.room_id is not None
    with db.transaction() as session:
        assert set_room_active(session, visit.room_id, False, MONDAY_8AM) == 1
    with db.session() as session:
        assert session.get_one(Room, visit.room_id).active is False


# Practitioners


def test_a_new_practitioner_gets_their_details_and_services(db: Database) -> None:
    service_id, _ = ids(db, "dry_needling")
    with db.transaction() as session:
        made = create_practitioner(
            session,
            PractitionerInput(
                name="  Ana Ruiz ",
                title="Physiotherapist",
                licence_number="HCPC-1",
                licence_expires_on="2027-01-31",
                service_ids=[str(service_id)],
            ),
        )
        practitioner_id = made.id
    with db.session() as session:
        found = session.get_one(Practitioner, practitioner_id)
        assert (found.name, found.licence_expires_on, [s.id for s in found.services]) == (
            "Ana Ruiz",
            date(2027, 1, 31),
            [service_id],
        )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (PractitionerInput(name=""), "name", "This is required."),
        (PractitionerInput(name="A" * 121), "name", "Use at most 120 characters."),
        (
            PractitionerInput(name="Ana", title="\x07bell"),
            "title",
            "Use letters, digits, spaces and punctuation only.",
        ),
        (PractitionerInput(name="Ana", licence_number="L" * 61), "licence_number", None),
        (
            PractitionerInput(name="Ana", licence_expires_on="31/01/2027"),
            "licence_expires_on",
            "Enter a date like 2027-03-31.",
        ),
        (PractitionerInput(name="Ana", service_ids=["999"]), "service_ids", None),
        (PractitionerInput(name="Ana", service_ids=["one"]), "service_ids", None),
    ],
)
def test_a_bad_practitioner_is_refused_with_a_message_and_nothing_written(
    db: Database, data: PractitionerInput, field: str, message: str | None
) -> None:
    fields = refused(
        db, lambda s: create_practitioner(s, data), Practitioner, practitioner_services
    )
    assert list(fields) == [field]
    if message:
        assert fields[field] == [message]


def test_editing_a_practitioner_badly_changes_nothing(db: Database) -> None:
    practitioner_id = lin(db)
    fields = refused(
        db,
        lambda s: update_practitioner(
            s, practitioner_id, PractitionerInput(name="", service_ids=[])
        ),
        Practitioner,
        practitioner_services,
    )
    assert fields == {"name": ["This is required."]}


def test_a_deactivated_practitioner_keeps_their_visits_but_cannot_be_booked(
    db: Database, settings: Settings
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    with db.transaction() as session:
        upcoming = set_practitioner_active(session, visit.practitioner_id, False, MONDAY_8AM)
    assert upcoming == 1
    with pytest.raises(NotFound):
        starts_on(db, settings, NEXT_MONDAY, visit.practitioner_id)
    with db.session() as session:
        assert session.get(Practitioner, visit.practitioner_id) is not None


@pytest.mark.parametrize(
    ("expires", "warned", "expired"),
    [
        (date(2026, 4, 1), True, False),  # 30 days after Monday 2 March
        (date(2026, 4, 2), False, False),  # 31 days
        (date(2026, 3, 2), True, False),  # today: still bookable today
        (date(2026, 3, 1), True, True),
    ],
)
def test_a_licence_is_warned_about_within_30_days_and_once_expired(
    db: Database, expires: date, warned: bool, expired: bool
) -> None:
    practitioner_id = lin(db)
    with db.transaction() as session:
        session.get_one(Practitioner, practitioner_id).licence_expires_on = expires
    with db.session() as session:
        warnings = licence_warnings(session, date(2026, 3, 2))
    assert [w.practitioner_id for w in warnings] == ([practitioner_id] if warned else [])
    if warned:
        assert warnings[0].expired is expired
        assert ("expired" in warnings[0].message) is expired


def test_an_expired_licence_makes_a_practitioner_unbookable_from_the_next_day(
    db: Database, settings: Settings
) -> None:
    practitioner_id = lin(db)
    with db.transaction() as session:
        update_practitioner(
            session,
            practitioner_id,
            PractitionerInput(
                name="Dr Mei Lin",
                licence_expires_on="2026-03-03",
                service_ids=[s.id for s in session.get_one(Practitioner, practitioner_id).services],
            ),
        )
    assert starts_on(db, settings, date(2026, 3, 3), practitioner_id)
    assert starts_on(db, settings, date(2026, 3, 4), practitioner_id) == []
    before = table_rows(db, Practitioner)
    with pytest.raises(ValidationFailed) as caught:
        book(db, settings, MONDAY_8AM, WEDNESDAY_10AM, practitioner_id=practitioner_id)
    assert caught.value.fields == {
        "practitioner_id": ["This practitioner cannot be booked on that date."]
    }
    assert table_rows(db, Practitioner) == before


@pytest.mark.parametrize("change", ["expired", "deactivated"])
def test_a_freed_time_is_not_offered_for_a_practitioner_no_longer_bookable_then(
    db: Database, settings: Settings, change: str
) -> None:
    taken, _first, _second = two_waiting_then_a_cancellation(db, settings)
    freed = FreedTime(taken.practitioner_id, WEDNESDAY_10AM)
    with db.transaction() as session:
        practitioner = session.get_one(Practitioner, taken.practitioner_id)
        if change == "expired":
            practitioner.licence_expires_on = date(2026, 3, 3)
        else:
            practitioner.active = False
    with db.transaction() as session:
        assert offer_freed_time(session, freed, settings=settings, now=MONDAY_8AM) is None
    with db.transaction() as session:
        practitioner = session.get_one(Practitioner, taken.practitioner_id)
        practitioner.licence_expires_on, practitioner.active = date(2026, 3, 4), True
    with db.transaction() as session:  # bookable on the expiry day itself
        assert offer_freed_time(session, freed, settings=settings, now=MONDAY_8AM) is not None


# Working hours


def test_hours_with_a_break_leave_the_break_unbookable(db: Database, settings: Settings) -> None:
    practitioner_id = lin(db)
    with db.transaction() as session:
        set_working_hours(session, practitioner_id, {0: "09:00-12:00, 13:00 - 17:00", 2: ""})
    starts = starts_on(db, settings, NEXT_MONDAY, practitioner_id)
    assert time(11, 15) in starts  # ends at 12:00
    assert time(11, 30) not in starts and time(12, 0) not in starts
    assert starts[0] == time(9, 0) and time(13, 0) in starts and starts[-1] == time(16, 15)
    assert starts_on(db, settings, date(2026, 3, 11), practitioner_id) == []  # Wednesday off
    with db.session() as session:
        week = describe_week(session.get_one(Practitioner, practitioner_id).hours)
    assert week[0] == "09:00-12:00, 13:00-17:00"
    assert week[1] == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("09:00-13:00, 12:00-15:00", "09:00-13:00 and 12:00-15:00 overlap."),
        ("13:00-09:00", "13:00-09:00 must end after it starts."),
        ("09:00-09:00", "09:00-09:00 must end after it starts."),
        ("09:10-12:00", "09:10 is not on the clinic's 15-minute grid."),
        ("9 till 5", 'Write each stretch as 09:00-13:00 ("9 till 5" is not one).'),
        ("09:00-25:00", 'Write each stretch as 09:00-13:00 ("09:00-25:00" is not one).'),
    ],
)
def test_bad_hours_are_refused_per_weekday_and_nothing_changes(
    db: Database, text: str, message: str
) -> None:
    practitioner_id = lin(db)
    fields = refused(
        db,
        lambda s: set_working_hours(s, practitioner_id, {0: "09:00-17:00", 3: text}),
        WorkingHours,
    )
    assert fields == {"hours_3": [message]}


# Time off and closures


def test_time_off_is_unbookable_and_visits_already_in_it_are_counted(
    db: Database, settings: Settings
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_10AM).appointment
    with db.transaction() as session:
        added = add_time_off(
            session,
            visit.practitioner_id,
            AwayInput("2026-03-04T09:00", "2026-03-09T13:00", "Training"),
            zone=settings.zone,
            now=MONDAY_8AM,
        )
    assert added.clashes == 1
    starts = starts_on(db, settings, NEXT_MONDAY, visit.practitioner_id)
    assert starts and starts[0] == time(14, 0)


@pytest.mark.parametrize(
    ("starts", "ends", "field", "message"),
    [
        ("2026-03-05T12:00", "2026-03-05T09:00", "ends", "The end must be after the start."),
        ("2026-03-05T12:00", "2026-03-05T12:00", "ends", "The end must be after the start."),
        ("2026-02-01T09:00", "2026-02-02T09:00", "ends", "That time has already passed."),
        ("", "2026-03-05T12:00", "starts", "Enter a date and time."),
        ("tomorrow", "2026-03-05T12:00", "starts", "Enter a date and time like 2026-04-03 09:00."),
    ],
)
def test_bad_time_off_and_closures_are_refused_and_nothing_is_written(
    db: Database, settings: Settings, starts: str, ends: str, field: str, message: str
) -> None:
    practitioner_id = lin(db)
    data = AwayInput(starts, ends)
    fields = refused(
        db,
        lambda s: add_time_off(s, practitioner_id, data, zone=settings.zone, now=MONDAY_8AM),
        TimeOff,
    )
    assert fields == {field: [message]}
    fields = refused(
        db, lambda s: add_closure(s, data, zone=settings.zone, now=MONDAY_8AM), Closure
    )
    assert fields == {field: [message]}


def test_a_closure_closes_everyone_and_can_be_taken_back_until_it_ends(
    db: Database, settings: Settings
) -> None:
    practitioner_id = lin(db)
    with db.transaction() as session:
        added = add_closure(
            session,
            AwayInput("2026-03-09T00:00", "2026-03-10T00:00", "Refit"),
            zone=settings.zone,
            now=MONDAY_8AM,
        )
        assert added.clashes == 0
        closure_id = added.row.id
    assert starts_on(db, settings, NEXT_MONDAY, practitioner_id) == []
    with db.transaction() as session:
        remove_closure(session, closure_id, MONDAY_8AM)
    assert starts_on(db, settings, NEXT_MONDAY, practitioner_id)


def test_a_past_closure_stays_on_record(db: Database, settings: Settings) -> None:
    with db.transaction() as session:
        closure_id = add_closure(
            session,
            AwayInput("2026-03-03T00:00", "2026-03-04T00:00"),
            zone=settings.zone,
            now=MONDAY_8AM,
        ).row.id
    later = datetime(2026, 3, 5, tzinfo=UTC)
    fields = refused(db, lambda s: remove_closure(s, closure_id, later), Closure)
    assert fields == {"remove": ["This has passed; it stays on record."]}
