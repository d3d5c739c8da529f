"""A course holds together on every path, on both databases: the patient's page and API refuse
a move that scrambles the course, their choices keep it and name the practitioner, staff moves
are warned, a replacement never takes the time given up, and a move back is reminded again."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from scheduler.calendar.availability import from_minutes, to_minutes
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.courses.booking import book_course
from scheduler.courses.events import after_visit_missed
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Practitioner,
    TimeOff,
)
from scheduler.patients.links import issue_link_token
from scheduler.visits.cancellation import cancel_visit
from scheduler.visits.rescheduling import reschedule_visit
from tests.integration.test_courses import LONDON, request_for
from tests.support.factories import demo_clinic
from tests.support.staff import create_accounts, csrf, sign_in

CONSULTATION = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # Wednesday; GMT until 29 March


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Course:
    """The consultation on Wed 4 March, then acupuncture on Mondays and Wednesdays from Mon 9
    March at 10:00 with Dr Mei Lin: ``visits[n]`` is visit n's id."""

    token: str
    visits: dict[int, int]
    lin: int
    novak: int


@pytest.fixture
def course(db: Database, settings: Settings, clock: FrozenClock) -> Course:
    demo_clinic(db)
    with db.transaction() as session:
        booked = book_course(
            session, request_for(db, start=CONSULTATION), settings=settings, now=clock.now()
        )
        token = issue_link_token(session, booked.course.patient, clock.now())
        rows = session.scalars(
            select(Appointment).where(Appointment.course_id == booked.course.id)
        ).all()
        visits = {a.visit_number or 0: a.id for a in rows}
        names = {p.name: p.id for p in session.scalars(select(Practitioner))}
    assert starts(db, visits[2], visits[3], visits[4]) == [at(9), at(11), at(16)]
    return Course(token, visits, names["Dr Mei Lin"], names["Sara Novak"])


def starts(db: Database, *ids: int) -> list[datetime]:
    with db.session() as session:
        return [session.get_one(Appointment, i).starts_at for i in ids]


def moved_texts(db: Database) -> int:
    with db.session() as session:
        return len(
            session.scalars(
                select(OutboundMessage.id).where(OutboundMessage.kind == MessageKind.RESCHEDULED)
            ).all()
        )


def page_move(client: FlaskClient, course: Course, number: int, start: datetime, who: int) -> str:
    response = client.post(
        f"/m/{course.token}/visits/{course.visits[number]}/move",
        data={
            "csrf_token": csrf(client, f"/m/{course.token}"),
            "start": str(to_minutes(start)),
            "practitioner_id": str(who),
        },
    )
    assert response.status_code in (303, 422), response.status_code
    return response.get_data(as_text=True) if response.status_code == 422 else "moved"


def choices(client: FlaskClient, course: Course, number: int, first: str) -> list[tuple[int, int]]:
    """The (start, practitioner) pairs the move page offers from ``first`` on."""
    page = client.get(f"/m/{course.token}/visits/{course.visits[number]}/move?from={first}")
    assert page.status_code == 200
    pairs = re.findall(
        r'name="start" value="(\d+)">\s*<input type="hidden" name="practitioner_id" '
        r'value="(\d+)">',
        page.get_data(as_text=True),
    )
    return [(int(s), int(p)) for s, p in pairs]


def local_day(minutes: int) -> date:
    return from_minutes(minutes).astimezone(LONDON).date()


# The patient's page.


def test_visit_2_cannot_move_to_the_day_before_the_consultation_and_nothing_changes(
    client: FlaskClient, db: Database, course: Course
) -> None:
    page = page_move(client, course, 2, at(3), course.lin)
    assert "This is before the course&#39;s previous visit (Initial consultation, Wed 4 Mar" in page
    assert "Please choose another time." in page
    assert starts(db, course.visits[2]) == [at(9)]
    assert moved_texts(db) == 0


def test_visit_4_cannot_move_onto_the_consultation_with_another_practitioner(
    client: FlaskClient, db: Database, course: Course
) -> None:
    page = page_move(client, course, 4, CONSULTATION, course.novak)
    assert "This overlaps your other visit (Initial consultation, Wed 4 Mar 10:00)." in page
    assert starts(db, course.visits[4]) == [at(16)]


def test_a_move_the_day_after_the_previous_visit_breaks_the_phases_gap(
    client: FlaskClient, db: Database, course: Course
) -> None:
    page = page_move(client, course, 3, at(10), course.lin)
    assert "at least 2 days between visits" in page
    assert starts(db, course.visits[3]) == [at(11)]


def test_a_move_that_keeps_the_course_goes_through(
    client: FlaskClient, db: Database, course: Course
) -> None:
    assert page_move(client, course, 3, at(12), course.lin) == "moved"
    assert starts(db, course.visits[3]) == [at(12)]


def test_the_page_offers_only_times_that_keep_the_course_with_the_visits_practitioner(
    client: FlaskClient, course: Course
) -> None:
    offered = choices(client, course, 3, "2026-03-09")
    assert offered
    assert {local_day(s) for s, _who in offered} == {date(2026, 3, d) for d in (11, 12, 13)}
    assert {who for _s, who in offered} == {course.lin}
    page = client.get(f"/m/{course.token}/visits/{course.visits[3]}/move?from=2026-03-09")
    assert " <small>with Dr Mei Lin</small>" in page.get_data(as_text=True)


def test_on_a_day_the_visits_practitioner_is_away_the_times_name_another(
    client: FlaskClient, db: Database, course: Course
) -> None:
    with db.transaction() as session:
        session.add(TimeOff(practitioner_id=course.lin, starts_at=at(12, 0), ends_at=at(13, 0)))
    offered = choices(client, course, 3, "2026-03-09")
    by_day = {local_day(s): set() for s, _who in offered}
    for s, who in offered:
        by_day[local_day(s)].add(who)
    assert by_day == {
        date(2026, 3, 11): {course.lin},
        date(2026, 3, 12): {course.novak},
        date(2026, 3, 13): {course.lin},
    }
    page = client.get(f"/m/{course.token}/visits/{course.visits[3]}/move?from=2026-03-09")
    assert " <small>with Sara Novak</small>" in page.get_data(as_text=True)


# The patient's API.


def api_move(client: FlaskClient, course: Course, number: int, body: dict) -> tuple[int, dict]:  # type: ignore[type-arg]
    base = f"/api/v1/bookings/{course.token}/appointments/{course.visits[number]}"
    response = client.post(f"{base}/reschedule", json=body)
    return response.status_code, response.get_json()


def test_the_api_refuses_visit_4_on_the_consultation_naming_each_rule(
    client: FlaskClient, db: Database, course: Course
) -> None:
    status, body = api_move(
        client, course, 4, {"start": CONSULTATION.isoformat(), "practitioner_id": course.novak}
    )
    assert status == 409
    assert body["errors"]["rules"] == ["course_order", "own_visit_overlap"]
    assert "before the course's previous visit" in body["message"]
    assert starts(db, course.visits[4]) == [at(16)]
    assert moved_texts(db) == 0


def test_the_api_refuses_a_move_too_close_to_the_previous_visit(
    client: FlaskClient, db: Database, course: Course
) -> None:
    status, body = api_move(client, course, 3, {"start": at(10).isoformat()})
    assert (status, body["errors"]["rules"]) == (409, ["course_gap"])
    assert starts(db, course.visits[3]) == [at(11)]


def test_the_api_alternatives_keep_the_course_and_name_the_practitioner(
    client: FlaskClient, db: Database, course: Course
) -> None:
    base = f"/api/v1/bookings/{course.token}/appointments/{course.visits[3]}"
    slots = client.get(f"{base}/alternatives?from=2026-03-09&to=2026-03-16").get_json()["slots"]
    days = {datetime.fromisoformat(s["start"]).date() for s in slots}
    assert days == {date(2026, 3, d) for d in (11, 12, 13)}
    assert {(s["practitioner_id"], s["practitioner"]) for s in slots} == {
        (course.lin, "Dr Mei Lin")
    }
    status, _body = api_move(client, course, 3, {"start": slots[-1]["start"]})
    assert status == 200


# Staff moves: allowed, and warned.


@pytest.fixture
def desk(client: FlaskClient, db: Database, clock: FrozenClock, course: Course) -> None:
    sign_in(client, create_accounts(db, clock)["desk"])


def test_a_staff_drag_that_breaks_the_course_moves_and_answers_with_warnings(
    client: FlaskClient, db: Database, course: Course, desk: None
) -> None:
    response = client.post(
        f"/staff/calendar/events/{course.visits[2]}/move",
        json={"start": "2026-03-03T10:00:00"},
        headers={"X-CSRFToken": csrf(client)},
    )
    assert response.status_code == 200
    assert response.get_json()["warnings"] == [
        "This is before the course's previous visit (Initial consultation, Wed 4 Mar 10:00)."
    ]
    assert starts(db, course.visits[2]) == [at(3)]


def test_a_staff_drag_that_keeps_the_course_has_no_warnings(
    client: FlaskClient, db: Database, course: Course, desk: None
) -> None:
    response = client.post(
        f"/staff/calendar/events/{course.visits[3]}/move",
        json={"start": "2026-03-12T10:00:00"},
        headers={"X-CSRFToken": csrf(client)},
    )
    assert response.status_code == 200 and response.get_json()["warnings"] == []


def test_the_staff_move_form_warns_before_saving_then_moves_when_sent_again(
    client: FlaskClient, db: Database, course: Course, desk: None
) -> None:
    path = f"/staff/visits/{course.visits[4]}/move"
    fields = {"csrf_token": csrf(client), "date": "2026-03-04", "time": "14:00"}
    shown = client.post(path, data=fields)
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert "This time breaks the course plan" in page
    assert "before the course&#39;s previous visit (Acupuncture, Wed 11 Mar 10:00)" in page
    assert "Move the visit anyway" in page
    assert starts(db, course.visits[4]) == [at(16)]
    accepted = re.search(r'name="accepted_start" value="([^"]+)"', page)
    assert accepted is not None
    done = client.post(path, data={**fields, "accepted_start": accepted.group(1)})
    assert done.status_code == 303
    assert starts(db, course.visits[4]) == [at(4, 14)]


def test_a_form_accepted_for_one_time_warns_again_for_another(
    client: FlaskClient, db: Database, course: Course, desk: None
) -> None:
    path = f"/staff/visits/{course.visits[4]}/move"
    fields = {"csrf_token": csrf(client), "date": "2026-03-10", "time": "10:00"}
    accepted = "2026-03-04T14:00:00+00:00"
    shown = client.post(path, data={**fields, "accepted_start": accepted})
    assert shown.status_code == 200 and "This time breaks the course plan" in shown.text
    assert starts(db, course.visits[4]) == [at(16)]


# Replacements.


def test_a_cancelled_course_visit_is_never_replaced_on_the_day_given_up(
    db: Database, settings: Settings, clock: FrozenClock, course: Course
) -> None:
    with db.transaction() as session:
        cancel_visit(session, course.visits[3], clock.now())
    with db.transaction() as session:
        replacement = after_visit_missed(session, course.visits[3], settings, clock.now())[0]
        day = replacement.starts_at.astimezone(LONDON).date()
    assert day != date(2026, 3, 11)
    assert (day - date(2026, 3, 9)).days >= 2 and (date(2026, 3, 16) - day).days >= 2


def test_a_replacement_never_overlaps_another_visit_of_the_patient(
    db: Database, settings: Settings, clock: FrozenClock, course: Course
) -> None:
    with db.transaction() as session:
        cancel_visit(session, course.visits[3], clock.now())
    with db.session() as session:
        would_be = after_visit_missed(session, course.visits[3], settings, clock.now())[0]
        taken = (would_be.starts_at, would_be.patient_id)
        session.rollback()
    with db.transaction() as session:
        session.add(single_visit(session, course, *taken))
    with db.transaction() as session:
        replacement = after_visit_missed(session, course.visits[3], settings, clock.now())[0]
        other_day = replacement.starts_at.date() != taken[0].date()
    assert other_day


def single_visit(session, course: Course, start: datetime, patient_id: int) -> Appointment:  # type: ignore[no-untyped-def]
    """A telehealth check-in with Tom Okafor for the patient, apart from the course."""
    tom = session.scalars(select(Practitioner).where(Practitioner.name == "Tom Okafor")).one()
    service = next(s for s in tom.services if s.name == "Telehealth check-in")
    end = start + timedelta(minutes=service.duration_min)
    return Appointment(
        patient_id=patient_id, practitioner_id=tom.id, service_id=service.id, room_id=None,
        starts_at=start, ends_at=end, blocked_until=end, status="booked",
        created_at=start - timedelta(days=7), updated_at=start - timedelta(days=7),
    )  # fmt: skip


# A move back to the time it left.


def test_a_visit_moved_away_and_back_is_reminded_again_for_its_first_time(
    db: Database, settings: Settings, clock: FrozenClock, course: Course
) -> None:
    consultation = course.visits[1]
    for start in (at(5), CONSULTATION):
        with db.transaction() as session:
            reschedule_visit(session, consultation, start, settings=settings, now=clock.now())
    with db.session() as session:
        pending = session.scalars(
            select(OutboundMessage.kind).where(
                OutboundMessage.appointment_id == consultation,
                OutboundMessage.status == MessageStatus.PENDING,
                OutboundMessage.planned_for == CONSULTATION,
            )
        ).all()
    assert {MessageKind.REMINDER_48H, MessageKind.REMINDER_2H} <= set(pending)
    assert MessageKind.CONFIRMATION not in pending  # the visit was confirmed once
