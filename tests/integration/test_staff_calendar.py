"""The staff calendar on both databases: the events feed and its checks, moving visits by drag
and by form, status actions and their follow-up tasks, and what each role may see and do."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.courses.events import after_visit_missed
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    MessageKind,
    OutboundMessage,
    Practitioner,
    Room,
)
from tests.integration.test_courses import request_for
from tests.support.factories import book
from tests.support.staff import create_accounts, csrf, sign_in

WEDNESDAY = datetime(2026, 3, 4, tzinfo=UTC)  # GMT: the clinic's time is UTC until 29 March
WEEK = "start=2026-03-02T00:00:00&end=2026-03-09T00:00:00"


@pytest.fixture
def accounts(db: Database, clock: FrozenClock) -> dict[str, str]:
    """The admin, front desk and Dr Mei Lin sign-ins."""
    return create_accounts(db, clock)


def practitioner_id(db: Database, name: str) -> int:
    with db.session() as session:
        return session.scalars(select(Practitioner.id).where(Practitioner.name == name)).one()


def room_id(db: Database, name: str) -> int:
    with db.session() as session:
        return session.scalars(select(Room.id).where(Room.name == name)).one()


def visit(db: Database, appointment_id: int) -> Appointment:
    with db.session() as session:
        return session.get_one(Appointment, appointment_id)


def queued_tasks(redis_client: redis_lib.Redis) -> list[tuple[str, list[Any]]]:
    """The tasks waiting in the workers' queue, as (name, args)."""
    found = []
    for raw in redis_client.lrange("clinic", 0, -1):
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        found.append((message["headers"]["task"], args))
    return found


def texts_of(db: Database, appointment_id: int, kind: MessageKind) -> int:
    with db.session() as session:
        return len(
            session.scalars(
                select(OutboundMessage.id).where(
                    OutboundMessage.appointment_id == appointment_id, OutboundMessage.kind == kind
                )
            ).all()
        )


@pytest.fixture
def week(db: Database, settings: Settings, clock: FrozenClock, accounts) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Wednesday: Ana with Dr Mei Lin at 10:00 and 11:00 (Carl), Ben with Sara Novak at 10:00."""
    lin, novak = practitioner_id(db, "Dr Mei Lin"), practitioner_id(db, "Sara Novak")
    now = clock.now()
    ana = book(db, settings, now, WEDNESDAY.replace(hour=10), practitioner_id=lin)
    carl = book(
        db,
        settings,
        now,
        WEDNESDAY.replace(hour=11),
        practitioner_id=lin,
        first_name="Carl",
        last_name="<b>Bold</b>",
        phone="+447400123457",
    )
    ben = book(
        db,
        settings,
        now,
        WEDNESDAY.replace(hour=10),
        practitioner_id=novak,
        first_name="Ben",
        last_name="Jones",
        phone="+447400123458",
    )
    return {
        "ana": ana.appointment.id,
        "carl": carl.appointment.id,
        "ben": ben.appointment.id,
        "lin": lin,
        "novak": novak,
    }


def move_json(client: FlaskClient, appointment_id: int, body: Any, token: str | None) -> Any:
    headers = {"X-CSRFToken": token} if token else {}
    return client.post(f"/staff/calendar/events/{appointment_id}/move", json=body, headers=headers)


# The events feed.


def test_the_week_feed_gives_each_visit_with_its_patient_service_room_and_status(
    client: FlaskClient, db: Database, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["desk"])
    response = client.get(f"/staff/calendar/events?{WEEK}")
    assert response.status_code == 200
    events = {e["id"]: e for e in response.get_json()}
    assert set(events) == {str(week["ana"]), str(week["carl"]), str(week["ben"])}
    ana = events[str(week["ana"])]
    assert ana["title"] == "Ana Silva"
    assert (ana["start"], ana["end"]) == ("2026-03-04T10:00:00", "2026-03-04T10:45:00")
    assert "cal-status-booked" in ana["classNames"]
    assert ana["startEditable"] is True
    props = ana["extendedProps"]
    assert props["service"] == "Acupuncture"
    assert props["practitioner"] == "Dr Mei Lin"
    assert props["room"].startswith("Room ")
    assert props["status"] == "booked" and props["status_label"] == "Booked"
    assert props["actions"] == ["move", "cancel"]
    assert events[str(week["carl"])]["title"] == "Carl <b>Bold</b>"  # data; shown as text

    one = client.get(f"/staff/calendar/events?{WEEK}&practitioner_id={week['novak']}")
    assert [e["title"] for e in one.get_json()] == ["Ben Jones"]
    bens_room = visit(db, week["ben"]).room_id
    in_room = client.get(f"/staff/calendar/events?{WEEK}&room_id={bens_room}").get_json()
    assert str(week["ben"]) in {e["id"] for e in in_room}
    names = {e["extendedProps"]["room"] for e in in_room}
    assert names == {events[str(week["ben"])]["extendedProps"]["room"]}


def test_cancelled_visits_are_left_out_unless_asked_for(
    client: FlaskClient, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["admin"])
    token = csrf(client)
    client.post(f"/staff/visits/{week['ben']}/cancel", data={"csrf_token": token})
    shown = client.get(f"/staff/calendar/events?{WEEK}").get_json()
    assert str(week["ben"]) not in {e["id"] for e in shown}
    everything = client.get(f"/staff/calendar/events?{WEEK}&cancelled=1").get_json()
    ben = next(e for e in everything if e["id"] == str(week["ben"]))
    assert ben["extendedProps"]["status"] == "cancelled" and ben["startEditable"] is False


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("end=2026-03-09", "'start'"),
        ("start=yesterday&end=2026-03-09", "not a date"),
        ("start=2026-03-09&end=2026-03-02", "after 'start'"),
        ("start=2026-03-02&end=2026-04-14", "at most 42 days"),
        ("start=2026-02-30&end=2026-03-09", "not a date"),
        ("start=1066-10-14&end=1066-10-15", "between 2000 and 2100"),
        (f"{WEEK}&practitioner_id=abc", "Choose one"),
        (f"{WEEK}&room_id=-3", "Choose one"),
    ],
)
def test_bad_feed_parameters_get_400_with_a_message(
    client: FlaskClient,
    accounts: dict[str, str],
    query: str,
    says: str,
) -> None:
    sign_in(client, accounts["admin"])
    response = client.get(f"/staff/calendar/events?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == 400 and says in body["message"]


def test_42_days_is_the_longest_range_and_offsets_are_understood(
    client: FlaskClient, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["admin"])
    assert client.get("/staff/calendar/events?start=2026-03-02&end=2026-04-13").status_code == 200
    around = "start=2026-03-04T10:30:00%2B01:00&end=2026-03-04T10:31:00Z"  # 09:30 to 10:31 UTC
    titles = [e["title"] for e in client.get(f"/staff/calendar/events?{around}").get_json()]
    assert sorted(titles) == ["Ana Silva", "Ben Jones"]


def test_the_feed_reads_every_visit_in_one_query(
    app: Flask,
    client: FlaskClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    accounts: dict[str, str],
    week: dict[str, int],
) -> None:
    sign_in(client, accounts["admin"])
    statements: list[str] = []
    engine = app.extensions["clinic.db"].engine

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert len(client.get(f"/staff/calendar/events?{WEEK}").get_json()) == 3
        with_three = len(statements)
        for hour in (14, 15, 16, 17):
            book(
                db,
                settings,
                clock.now(),
                WEDNESDAY.replace(hour=hour),
                practitioner_id=week["novak"],
                phone=f"+4474001234{hour}",
            )
        statements.clear()
        assert len(client.get(f"/staff/calendar/events?{WEEK}").get_json()) == 7
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == with_three
    assert sum("FROM appointments" in s for s in statements) == 1


def test_the_feed_and_the_pages_need_a_signed_in_staff_member(client: FlaskClient) -> None:
    response = client.get(f"/staff/calendar/events?{WEEK}")
    assert response.status_code == 401 and response.get_json()["code"] == 401
    for path in ("/staff/calendar", "/staff/today", "/staff/visits/1/move"):
        assert client.get(path).headers["Location"].startswith("/staff/login")


# Moving visits.


def test_dragging_a_visit_to_a_free_time_moves_it_and_texts_the_patient(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    week: dict[str, int],
    redis_client: redis_lib.Redis,
) -> None:
    sign_in(client, accounts["desk"])
    response = move_json(client, week["ana"], {"start": "2026-03-05T14:00:00"}, csrf(client))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["start"] == "2026-03-05T14:00:00"
    assert "Ana Silva is moved to Thu 5 Mar 14:00 with Dr Mei Lin" in body["message"]
    moved = visit(db, week["ana"])
    assert moved.starts_at == datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    assert texts_of(db, week["ana"], MessageKind.RESCHEDULED) == 1
    assert (
        "clinic.offer_freed_time",
        [week["lin"], "2026-03-04T10:00:00+00:00"],
    ) in queued_tasks(redis_client)


def test_dragging_onto_a_taken_time_is_409_and_changes_nothing(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    week: dict[str, int],
) -> None:
    sign_in(client, accounts["admin"])
    response = move_json(client, week["ana"], {"start": "2026-03-04T11:00:00"}, csrf(client))
    assert response.status_code == 409
    message = response.get_json()["message"]
    assert message.startswith("That time is taken: the practitioner is already booked")
    assert visit(db, week["ana"]).starts_at == WEDNESDAY.replace(hour=10)
    assert texts_of(db, week["ana"], MessageKind.RESCHEDULED) == 0


def test_moving_into_a_room_taken_then_is_409_and_a_free_room_is_fine(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    week: dict[str, int],
) -> None:
    sign_in(client, accounts["admin"])
    carls_room = visit(db, week["carl"]).room_id
    taken = move_json(
        client, week["ben"], {"start": "2026-03-04T11:00:00", "room_id": carls_room}, csrf(client)
    )
    assert taken.status_code == 409
    assert taken.get_json()["message"] == (
        "That time is taken: that room is taken at that time. Choose another time."
    )
    assert visit(db, week["ben"]).starts_at == WEDNESDAY.replace(hour=10)
    free_room = room_id(db, "Room 3")
    assert free_room != carls_room
    fine = move_json(
        client, week["ben"], {"start": "2026-03-04T11:00:00", "room_id": free_room}, csrf(client)
    )
    assert fine.status_code == 200
    assert (visit(db, week["ben"]).starts_at, visit(db, week["ben"]).room_id) == (
        WEDNESDAY.replace(hour=11),
        free_room,
    )


def test_staff_may_move_a_visit_to_later_today_inside_the_online_notice(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    week: dict[str, int],
) -> None:
    sign_in(client, accounts["desk"])  # the clock stands at Monday 08:00; online needs 2 hours
    response = move_json(client, week["ana"], {"start": "2026-03-02T09:00:00"}, csrf(client))
    assert response.status_code == 200, response.get_json()
    assert visit(db, week["ana"]).starts_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"start": "soon"}, 422, "not a date"),
        ({}, 422, "'start'"),
        ({"start": "2026-03-05T20:00:00"}, 422, "not one of the practitioner's bookable times"),
        ({"start": "2026-03-01T10:00:00"}, 422, "That time has passed."),
        ({"start": "2026-03-05T14:00:00", "room_id": "x"}, 422, "Choose one"),
        ([1, 2], 400, "JSON object"),
    ],
)
def test_a_bad_move_is_refused_with_a_message_and_changes_nothing(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    week: dict[str, int],
    body: Any,
    status: int,
    says: str,
) -> None:
    sign_in(client, accounts["admin"])
    response = move_json(client, week["ana"], body, csrf(client))
    assert response.status_code == status
    assert says in response.get_json()["message"]
    assert visit(db, week["ana"]).starts_at == WEDNESDAY.replace(hour=10)


def test_a_move_without_the_csrf_token_is_refused(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    week: dict[str, int],
) -> None:
    sign_in(client, accounts["admin"])
    response = move_json(client, week["ana"], {"start": "2026-03-05T14:00:00"}, None)
    assert response.status_code == 400
    assert response.get_json()["code"] == 400
    assert visit(db, week["ana"]).starts_at == WEDNESDAY.replace(hour=10)
    form = client.post(f"/staff/visits/{week['ana']}/cancel")
    assert form.status_code == 400
    assert visit(db, week["ana"]).status == AppointmentStatus.BOOKED


def test_the_move_form_moves_a_visit_to_another_practitioner_and_room(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    week: dict[str, int],
) -> None:
    sign_in(client, accounts["desk"])
    page = client.get(f"/staff/visits/{week['ana']}/move?next=/staff/today")
    assert page.status_code == 200
    assert "Move Ana Silva's visit" in page.get_data(as_text=True)
    room_3 = room_id(db, "Room 3")
    response = client.post(
        f"/staff/visits/{week['ana']}/move",
        data={
            "csrf_token": csrf(client),
            "date": "2026-03-06",
            "time": "09:30",
            "practitioner_id": str(week["novak"]),
            "room_id": str(room_3),
            "next": "/staff/today",
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/staff/today"
    moved = visit(db, week["ana"])
    assert (moved.starts_at, moved.practitioner_id, moved.room_id) == (
        datetime(2026, 3, 6, 9, 30, tzinfo=UTC),
        week["novak"],
        room_3,
    )


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"date": "2026-03-04", "time": "11:00"}, 409, "That time is taken: the practitioner"),
        ({"date": "", "time": "11:00"}, 422, "Enter the date as YYYY-MM-DD"),
        ({"date": "2026-03-05", "time": "2pm"}, 422, "Enter the time as HH:MM"),
        ({"date": "2026-03-05", "time": "19:00"}, 422, "bookable times"),
        ({"date": "2026-03-05", "time": "14:00", "room_id": "9999"}, 422, "clinic&#39;s rooms"),
    ],
)
def test_the_move_form_shows_why_a_time_cannot_be_used_and_changes_nothing(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    week: dict[str, int],
    fields: dict[str, str],
    status: int,
    says: str,
) -> None:
    sign_in(client, accounts["desk"])
    response = client.post(
        f"/staff/visits/{week['ana']}/move", data={"csrf_token": csrf(client), **fields}
    )
    assert response.status_code == status
    assert says in response.get_data(as_text=True)
    assert visit(db, week["ana"]).starts_at == WEDNESDAY.replace(hour=10)
    assert texts_of(db, week["ana"], MessageKind.RESCHEDULED) == 0


# Status actions.


@pytest.fixture
def course_visit(db: Database, settings: Settings, clock: FrozenClock, accounts) -> int:  # type: ignore[no-untyped-def]
    """The first acupuncture session of a migraine course with Dr Mei Lin, booked."""
    lin = practitioner_id(db, "Dr Mei Lin")
    with db.transaction() as session:
        course = book_course(
            session,
            request_for(db, start=WEDNESDAY.replace(hour=10), practitioner_id=lin),
            settings=settings,
            now=clock.now(),
        )
        first_session = sorted(
            (a for a in course.appointments if a.phase_position == 2),
            key=lambda a: a.starts_at,
        )[0]
        first_session.status = AppointmentStatus.BOOKED
        return first_session.id


def test_a_no_show_is_recorded_and_the_course_is_replanned_by_its_follow_up(
    client: FlaskClient,
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    accounts: dict[str, str],
    course_visit: int,
    redis_client: redis_lib.Redis,
) -> None:
    missed = visit(db, course_visit)
    clock.advance(missed.starts_at + timedelta(minutes=20) - clock.now())
    sign_in(client, accounts["lin"])
    response = client.post(
        f"/staff/visits/{course_visit}/no-show",
        data={"csrf_token": csrf(client), "next": "/staff/today"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/staff/today"
    assert visit(db, course_visit).status == AppointmentStatus.NO_SHOW
    assert "is marked as a no-show" in client.get("/staff/today").get_data(as_text=True)
    assert ("clinic.after_visit_missed", [course_visit]) in queued_tasks(redis_client)
    with db.transaction() as session:  # what the worker runs for that task
        replacement = after_visit_missed(session, course_visit, settings, clock.now())
    assert len(replacement) == 1
    assert visit(db, replacement[0].id).replaces_id == course_visit


def test_arrived_then_completed_follow_the_attendance_rules(
    client: FlaskClient,
    db: Database,
    clock: FrozenClock,
    accounts: dict[str, str],
    course_visit: int,
    redis_client: redis_lib.Redis,
) -> None:
    sign_in(client, accounts["desk"])
    token = csrf(client)
    early = client.post(f"/staff/visits/{course_visit}/completed", data={"csrf_token": token})
    assert early.status_code == 303
    page = client.get("/staff/today").get_data(as_text=True)
    assert "Nothing changed: the visit has not started yet." in page
    assert visit(db, course_visit).status == AppointmentStatus.BOOKED

    clock.advance(visit(db, course_visit).starts_at - timedelta(minutes=10) - clock.now())
    sign_in(client, accounts["desk"])  # days later: the idle session has ended
    token = csrf(client)
    client.post(f"/staff/visits/{course_visit}/arrived", data={"csrf_token": token})
    assert visit(db, course_visit).status == AppointmentStatus.ARRIVED
    clock.advance(timedelta(minutes=25))
    assert client.get("/staff/today").status_code == 200  # in use: the session stays open
    clock.advance(timedelta(minutes=25))
    assert client.get("/staff/today").status_code == 200
    clock.advance(timedelta(minutes=10))
    client.post(f"/staff/visits/{course_visit}/completed", data={"csrf_token": token})
    assert visit(db, course_visit).status == AppointmentStatus.COMPLETED
    assert ("clinic.after_visit_completed", [course_visit]) in queued_tasks(redis_client)
    again = client.post(f"/staff/visits/{course_visit}/no-show", data={"csrf_token": token})
    assert again.status_code == 303
    assert visit(db, course_visit).status == AppointmentStatus.COMPLETED


def test_cancelling_a_course_visit_queues_its_replacement_and_offers_the_time(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    course_visit: int,
    redis_client: redis_lib.Redis,
) -> None:
    sign_in(client, accounts["desk"])
    client.post(f"/staff/visits/{course_visit}/cancel", data={"csrf_token": csrf(client)})
    cancelled = visit(db, course_visit)
    assert cancelled.status in (AppointmentStatus.CANCELLED, AppointmentStatus.CANCELLED_LATE)
    tasks = queued_tasks(redis_client)
    assert ("clinic.after_visit_missed", [course_visit]) in tasks
    assert (
        "clinic.offer_freed_time",
        [cancelled.practitioner_id, cancelled.starts_at.isoformat()],
    ) in tasks


def test_a_booking_pending_review_is_confirmed_by_a_practitioner_not_the_front_desk(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    week: dict[str, int],
) -> None:
    with db.transaction() as session:
        session.get_one(Appointment, week["ana"]).status = AppointmentStatus.PENDING_REVIEW
    sign_in(client, accounts["desk"])
    desk_feed = client.get(f"/staff/calendar/events?{WEEK}").get_json()
    ana = next(e for e in desk_feed if e["id"] == str(week["ana"]))
    assert "cal-status-pending_review" in ana["classNames"]
    assert "confirm-review" not in ana["extendedProps"]["actions"]
    refused = client.post(
        f"/staff/visits/{week['ana']}/confirm-review", data={"csrf_token": csrf(client)}
    )
    assert refused.status_code == 403
    assert visit(db, week["ana"]).status == AppointmentStatus.PENDING_REVIEW

    client.post("/staff/logout", data={"csrf_token": csrf(client)})
    sign_in(client, accounts["lin"])
    lin_feed = client.get(f"/staff/calendar/events?{WEEK}").get_json()
    assert (
        "confirm-review"
        in next(e for e in lin_feed if e["id"] == str(week["ana"]))["extendedProps"]["actions"]
    )
    client.post(f"/staff/visits/{week['ana']}/confirm-review", data={"csrf_token": csrf(client)})
    assert visit(db, week["ana"]).status == AppointmentStatus.BOOKED
    assert texts_of(db, week["ana"], MessageKind.CONFIRMATION) == 1  # not planned twice
    twice = client.post(
        f"/staff/visits/{week['ana']}/confirm-review", data={"csrf_token": csrf(client)}
    )
    assert twice.status_code == 303
    page = client.get("/staff/today").get_data(as_text=True)
    assert "Nothing changed: this booking is not waiting for a review." in page


def test_an_unknown_visit_or_action_is_404(
    client: FlaskClient, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["admin"])
    token = csrf(client)
    assert client.post("/staff/visits/999999/cancel", data={"csrf_token": token}).status_code == 404
    assert (
        client.post(f"/staff/visits/{week['ana']}/teleport", data={"csrf_token": token}).status_code
        == 404
    )
    assert move_json(client, 999999, {"start": "2026-03-05T14:00:00"}, token).status_code == 404


# Roles.


def test_a_practitioner_sees_only_their_own_calendar(
    client: FlaskClient, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["lin"])
    own = client.get(f"/staff/calendar/events?{WEEK}").get_json()
    assert sorted(e["title"] for e in own) == ["Ana Silva", "Carl <b>Bold</b>"]
    mine = client.get(f"/staff/calendar/events?{WEEK}&practitioner_id={week['lin']}")
    assert mine.status_code == 200
    other = client.get(f"/staff/calendar/events?{WEEK}&practitioner_id={week['novak']}")
    assert other.status_code == 403 and other.get_json()["code"] == 403
    assert client.get(f"/staff/calendar/events?{WEEK}&room_id=1").status_code == 403
    assert client.get(f"/staff/calendar?practitioner_id={week['novak']}").status_code == 403
    today = client.get("/staff/today?date=2026-03-04")
    assert today.status_code == 200
    page = client.get("/staff/calendar?date=2026-03-04").get_data(as_text=True)
    assert "Ana Silva" in page and "Ben Jones" not in page


def test_a_practitioner_cannot_change_another_practitioners_visits(
    client: FlaskClient,
    db: Database,
    accounts: dict[str, str],
    week: dict[str, int],
) -> None:
    sign_in(client, accounts["lin"])
    token = csrf(client)
    assert (
        client.post(f"/staff/visits/{week['ben']}/cancel", data={"csrf_token": token}).status_code
        == 403
    )
    assert (
        move_json(client, week["ben"], {"start": "2026-03-05T14:00:00"}, token).status_code == 403
    )
    assert client.get(f"/staff/visits/{week['ben']}/move").status_code == 403
    handed_over = move_json(
        client,
        week["ana"],
        {"start": "2026-03-05T14:00:00", "practitioner_id": week["novak"]},
        token,
    )
    assert handed_over.status_code == 403
    assert visit(db, week["ben"]).status == AppointmentStatus.BOOKED
    assert visit(db, week["ben"]).starts_at == WEDNESDAY.replace(hour=10)
    assert visit(db, week["ana"]).practitioner_id == week["lin"]


# Pages.


def test_the_week_page_lists_visits_with_escaped_names_a_legend_and_buttons(
    client: FlaskClient, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["desk"])
    response = client.get("/staff/calendar?view=week&date=2026-03-04")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Carl &lt;b&gt;Bold&lt;/b&gt;" in page and "<b>Bold</b>" not in page
    assert 'class="cal-legend"' in page and "Pending review" in page
    assert "Wednesday, 4 March 2026" in page  # the clinic's locale, en-GB
    assert f'action="/staff/visits/{week["ana"]}/cancel"' in page
    assert "vendor/fullcalendar/index.global.min.js" in page
    assert 'data-view="timeGridWeek"' in page


def test_the_calendar_page_explains_bad_filters_next_to_them(
    client: FlaskClient, accounts: dict[str, str], week: dict[str, int]
) -> None:
    sign_in(client, accounts["admin"])
    response = client.get("/staff/calendar?view=month&date=4/3/2026&practitioner_id=99999")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose the day or the week view." in page
    assert "Enter the date as YYYY-MM-DD" in page
    assert "Choose a practitioner from the list." in page


def test_todays_list_shows_time_patient_service_practitioner_room_status_and_buttons(
    client: FlaskClient,
    clock: FrozenClock,
    accounts: dict[str, str],
    week: dict[str, int],
) -> None:
    clock.advance(WEDNESDAY.replace(hour=9, minute=30) - clock.now())
    sign_in(client, accounts["desk"])
    page = client.get("/staff/today").get_data(as_text=True)
    assert "Today, Wednesday 4 March" in page
    for text in ("10:00\u201310:45", "Ana Silva", "Acupuncture", "Dr Mei Lin", "Booked"):
        assert text in page
    assert f'action="/staff/visits/{week["ana"]}/arrived"' in page
    only_novak = client.get(f"/staff/today?practitioner_id={week['novak']}").get_data(as_text=True)
    assert "Ben Jones" in only_novak and "Ana Silva" not in only_novak
