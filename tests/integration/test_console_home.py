"""The console home and Today on both databases: the day's visits by status, pending reviews,
held waitlist times and failed or stuck texts, as each role may see them; Today's links,
phones, status filter and one-click arrival."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.calendar.day_overview import DayOverview, day_overview
from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    MessageStatus,
    OutboundMessage,
    Practitioner,
    Role,
)
from scheduler.staff.permissions import Permissions
from scheduler.visits.booking import BookingResult
from tests.support.factories import book
from tests.support.offers import held_offer
from tests.support.staff import create_accounts, csrf, sign_in

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # the clock's day; the clinic's time is UTC in March
TUESDAY = MONDAY + timedelta(days=1)
LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class Day:
    """The ids of the day's visits and patients, and of the practitioners."""

    lin: int
    novak: int
    ana: int  # 11:00 with Dr Mei Lin, arrived
    ben: int  # 11:00 with Sara Novak, booked; his confirmation text failed
    cara: int  # 12:00 with Dr Mei Lin, booked; her confirmation text is stuck
    dee: int  # Tuesday with Dr Mei Lin, pending review
    eve: int  # Tuesday with Sara Novak, pending review
    held: int  # Wednesday 10:00 with Dr Mei Lin, held for a waiting patient
    patients: dict[str, int]


def practitioner(db: Database, name: str) -> int:
    with db.session() as session:
        return session.scalars(select(Practitioner.id).where(Practitioner.name == name)).one()


def booked(
    db: Database, settings: Settings, now: datetime, at: datetime, who: str, pid: int
) -> BookingResult:
    first, last = who.split()
    phone = f"+4474001{sum(map(ord, who)):05d}"
    return book(
        db, settings, now, at, practitioner_id=pid, first_name=first, last_name=last, phone=phone
    )


@pytest.fixture
def accounts(db: Database, clock: FrozenClock) -> dict[str, str]:
    return create_accounts(db, clock)


@pytest.fixture
def day(db: Database, settings: Settings, clock: FrozenClock, accounts: dict[str, str]) -> Day:
    return seed_day(db, settings, clock.now())


def seed_day(db: Database, settings: Settings, now: datetime) -> Day:
    """Monday's visits, Tuesday's pending reviews, a held time and two troubled texts (the
    clinic and its staff exist)."""
    lin, novak = practitioner(db, "Dr Mei Lin"), practitioner(db, "Sara Novak")
    at = {"ana": (MONDAY.replace(hour=11), lin), "ben": (MONDAY.replace(hour=11), novak)}
    at |= {"cara": (MONDAY.replace(hour=12), lin), "dee": (TUESDAY.replace(hour=10), lin)}
    at |= {"eve": (TUESDAY.replace(hour=10), novak)}
    results = {
        key: booked(db, settings, now, when, f"{key.title()} Test", pid)
        for key, (when, pid) in at.items()
    }
    visits = {key: r.appointment.id for key, r in results.items()}
    offered = held_offer(db, settings, now)
    with db.transaction() as session:
        session.get_one(Appointment, visits["ana"]).status = AppointmentStatus.ARRIVED
        for key in ("dee", "eve"):
            session.get_one(Appointment, visits[key]).status = AppointmentStatus.PENDING_REVIEW
        _text_of(session, visits["ben"]).status = MessageStatus.FAILED
        stuck = _text_of(session, visits["cara"])
        stuck.status, stuck.claimed_at = MessageStatus.QUEUED, now - timedelta(minutes=10)
    patients = {key: r.patient.id for key, r in results.items()}
    return Day(lin, novak, **visits, held=offered.held_visit, patients=patients)


def _text_of(session: Session, appointment_id: int) -> OutboundMessage:
    query = select(OutboundMessage).where(OutboundMessage.appointment_id == appointment_id)
    return session.scalars(query.order_by(OutboundMessage.id).limit(1)).one()


def overview_for(db: Database, clock: FrozenClock, may: Permissions) -> DayOverview:
    with db.session() as session:
        return day_overview(session, may, clock.now(), LONDON)


# The read model, per role.


def test_the_front_desk_sees_the_whole_clinics_day_reviews_held_times_and_texts(
    db: Database, clock: FrozenClock, day: Day
) -> None:
    overview = overview_for(db, clock, Permissions(Role.FRONT_DESK))
    assert overview.day == MONDAY.date()
    assert overview.by_status == {AppointmentStatus.BOOKED: 2, AppointmentStatus.ARRIVED: 1}
    assert [v.id for v in overview.next_visits] == [day.ben, day.cara]
    assert overview.next_visits[0].patient_name == "Ben Test"
    assert overview.pending_reviews.total == 2
    assert {v.id for v in overview.pending_reviews.rows} == {day.dee, day.eve}
    assert [h.visit.id for h in overview.held_times.rows] == [day.held]
    assert overview.held_times.total == 1
    assert overview.failed_texts is not None and overview.stuck_texts is not None
    assert [m.patient_id for m in overview.failed_texts.rows] == [day.patients["ben"]]
    assert [m.patient_id for m in overview.stuck_texts.rows] == [day.patients["cara"]]


def test_a_practitioner_sees_their_own_visits_reviews_and_held_times_and_no_texts(
    db: Database, clock: FrozenClock, day: Day
) -> None:
    overview = overview_for(db, clock, Permissions(Role.PRACTITIONER, day.lin))
    assert overview.by_status == {AppointmentStatus.BOOKED: 1, AppointmentStatus.ARRIVED: 1}
    assert [v.id for v in overview.next_visits] == [day.cara]
    assert [v.id for v in overview.pending_reviews.rows] == [day.dee]
    assert [h.visit.id for h in overview.held_times.rows] == [day.held]
    assert overview.failed_texts is None and overview.stuck_texts is None


def test_another_practitioner_sees_none_of_dr_lins_work(
    db: Database, clock: FrozenClock, day: Day
) -> None:
    overview = overview_for(db, clock, Permissions(Role.PRACTITIONER, day.novak))
    assert overview.by_status == {AppointmentStatus.BOOKED: 1}
    assert [v.id for v in overview.pending_reviews.rows] == [day.eve]
    assert overview.held_times.total == 0 and overview.held_times.rows == []


def test_a_practitioner_account_without_a_practitioner_sees_an_empty_day(
    db: Database, clock: FrozenClock, day: Day
) -> None:
    overview = overview_for(db, clock, Permissions(Role.PRACTITIONER))
    assert overview.by_status == {} and overview.next_visits == []
    assert overview.pending_reviews.total == 0 and overview.held_times.total == 0


def test_visits_over_and_texts_failed_long_ago_leave_the_panels(
    db: Database, clock: FrozenClock, day: Day
) -> None:
    clock.advance(timedelta(days=8))  # the Tuesday after next: last week's work is history
    overview = overview_for(db, clock, Permissions(Role.ADMIN))
    assert overview.by_status == {} and overview.next_visits == []
    assert overview.pending_reviews.total == 0 and overview.held_times.total == 0
    assert overview.failed_texts is not None and overview.failed_texts.total == 0


# The home page.


def links(page: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', page)]


def test_the_home_links_each_panel_to_where_its_work_is_handled(
    client: FlaskClient, accounts: dict[str, str], day: Day
) -> None:
    sign_in(client, accounts["desk"])
    page = client.get("/staff").get_data(as_text=True)
    hrefs = links(page)
    for heading in ("Today's visits", "Pending reviews", "Waitlist offers", "Texts needing"):
        assert heading in page
    assert "/staff/today?status=booked" in hrefs and "/staff/today?status=arrived" in hrefs
    assert "/staff/today?date=2026-03-03" in hrefs  # where the reviews are confirmed
    assert "/staff/today?date=2026-03-04" in hrefs  # the held time's day
    assert f"/staff/patients/{day.patients['ben']}#texts" in hrefs  # his failed text
    assert "/staff/messages" in hrefs
    assert "A practitioner or an admin confirms them." in page
    assert "Monday 2 March" in page


def test_a_practitioners_home_shows_their_own_work_and_no_texts_panel(
    client: FlaskClient, accounts: dict[str, str], day: Day
) -> None:
    sign_in(client, accounts["lin"])
    page = client.get("/staff").get_data(as_text=True)
    assert "Cara Test" in page and "Dee Test" in page
    assert "Ben Test" not in page and "Eve Test" not in page
    assert "Texts needing" not in page and "/staff/messages" not in links(page)
    assert "Open a day to find its Confirm review button." in page


def test_the_navigation_leads_to_exports_for_the_office_and_feeds_for_practitioners(
    client: FlaskClient, accounts: dict[str, str]
) -> None:
    sign_in(client, accounts["desk"])
    desk = links(client.get("/staff").get_data(as_text=True))
    assert "/staff/exports" in desk and "/staff/feeds" not in desk
    client.post("/staff/logout", data={"csrf_token": csrf(client, "/staff")})
    sign_in(client, accounts["lin"])
    lin = links(client.get("/staff").get_data(as_text=True))
    assert "/staff/feeds" in lin and "/staff/exports" not in lin


# Today.


def test_today_links_each_name_to_the_record_and_gives_the_phone_to_call(
    client: FlaskClient, accounts: dict[str, str], day: Day
) -> None:
    sign_in(client, accounts["desk"])
    page = client.get("/staff/today").get_data(as_text=True)
    for key in ("ana", "ben", "cara"):
        assert f'href="/staff/patients/{day.patients[key]}"' in page
    assert re.search(r'href="tel:\+4474001\d{5}"', page)
    assert "Today, Monday 2 March" in page


def test_today_narrowed_to_a_status_lists_only_those_visits(
    client: FlaskClient, accounts: dict[str, str], day: Day
) -> None:
    sign_in(client, accounts["desk"])
    page = client.get("/staff/today?status=arrived").get_data(as_text=True)
    assert f'data-visit-id="{day.ana}"' in page
    assert f'data-visit-id="{day.ben}"' not in page and f'data-visit-id="{day.cara}"' not in page
    empty = client.get("/staff/today?status=no_show").get_data(as_text=True)
    assert "No visits today are no-show." in empty


def test_an_unknown_status_is_refused_with_a_message_and_every_visit_still_shown(
    client: FlaskClient, accounts: dict[str, str], day: Day
) -> None:
    sign_in(client, accounts["desk"])
    response = client.get("/staff/today?status=<b>late</b>")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose a status from the list" in page and "<b>late" not in page
    assert all(f'data-visit-id="{v}"' in page for v in (day.ana, day.ben, day.cara))


def test_one_click_on_arrived_marks_the_visit_and_comes_back_to_today_saying_so(
    client: FlaskClient, clock: FrozenClock, db: Database, accounts: dict[str, str], day: Day
) -> None:
    clock.advance(timedelta(hours=3, minutes=55))  # 11:55, Cara is early for 12:00
    sign_in(client, accounts["desk"])
    page = client.get("/staff/today").get_data(as_text=True)
    assert f'action="/staff/visits/{day.cara}/arrived"' in page
    response = client.post(
        f"/staff/visits/{day.cara}/arrived",
        data={"csrf_token": csrf(client, "/staff/today"), "next": "/staff/today"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/staff/today"
    after = client.get("/staff/today").get_data(as_text=True)
    assert "Cara Test has arrived." in after
    with db.session() as session:
        assert session.get_one(Appointment, day.cara).status == AppointmentStatus.ARRIVED


def test_a_practitioner_sees_phones_only_on_their_own_today(
    client: FlaskClient, accounts: dict[str, str], day: Day
) -> None:
    sign_in(client, accounts["lin"])
    page = client.get("/staff/today").get_data(as_text=True)
    assert f'data-visit-id="{day.ben}"' not in page
    assert page.count('class="today-phone"') == 2  # Ana and Cara
