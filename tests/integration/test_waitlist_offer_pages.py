"""Waitlist offers on the personal page: accept, decline, an ended offer, a foreign one, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis as redis_lib
from flask.testing import FlaskClient

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    OfferStatus,
    WaitlistOffer,
    WaitlistStatus,
)
from tests.support.factories import book, demo_clinic
from tests.support.offers import NEXT_WEDNESDAY_10AM, WEDNESDAY_10AM, Offered, held_offer
from tests.support.queue import queued_tasks
from tests.support.staff import csrf
from web.patient.manage import OFFER_CLOSED, hold_end


@pytest.fixture
def offered(db: Database, settings: Settings, clock: FrozenClock) -> Offered:
    demo_clinic(db)
    return held_offer(db, settings, clock.now())


def offer_status(db: Database, offer_id: int) -> tuple[OfferStatus, AppointmentStatus]:
    with db.session() as session:
        offer = session.get_one(WaitlistOffer, offer_id)
        return offer.status, offer.appointment.status


def visit_status(db: Database, appointment_id: int) -> AppointmentStatus:
    with db.session() as session:
        return session.get_one(Appointment, appointment_id).status


def answer(offered: Offered, what: str) -> str:
    """The address of the page's Accept or Decline button for the offer."""
    return f"/m/{offered.token}/offers/{offered.offer}/{what}"


def test_the_page_shows_the_held_time_with_its_end_and_both_answers(
    client: FlaskClient, offered: Offered
) -> None:
    page = client.get(f"/m/{offered.token}").text
    assert "Held for you until 08:15." in page
    assert "Accept this time" in page and "No, thanks" in page
    assert "your visit on Wednesday 11 March, 10:00 is cancelled" in page


def test_accepting_on_the_page_books_the_time_and_gives_up_the_later_visit(
    client: FlaskClient, db: Database, offered: Offered, redis_client: redis_lib.Redis
) -> None:
    token = csrf(client, f"/m/{offered.token}")
    response = client.post(answer(offered, "accept"), data={"csrf_token": token})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "You&#39;re booked for Wednesday 4 March at 10:00." in page
    assert "Held for you" not in page
    assert offer_status(db, offered.offer) == (OfferStatus.ACCEPTED, AppointmentStatus.BOOKED)
    assert visit_status(db, offered.later_visit) == AppointmentStatus.CANCELLED
    # The same follow-up as the text "Y": the given-up time is offered on.
    assert queued_tasks(redis_client) == [
        ("clinic.offer_freed_time", [offered.practitioner, NEXT_WEDNESDAY_10AM.isoformat()])
    ]


def test_declining_on_the_page_releases_the_time_and_keeps_the_patient_waiting(
    client: FlaskClient, db: Database, offered: Offered, redis_client: redis_lib.Redis
) -> None:
    token = csrf(client, f"/m/{offered.token}")
    response = client.post(answer(offered, "decline"), data={"csrf_token": token})
    page = client.get(response.headers["Location"]).text
    assert "You said no to that time. You are still on the list" in page
    assert offer_status(db, offered.offer) == (OfferStatus.DECLINED, AppointmentStatus.CANCELLED)
    assert visit_status(db, offered.later_visit) == AppointmentStatus.BOOKED
    with db.session() as session:
        entry = session.get_one(WaitlistOffer, offered.offer).entry
        assert entry.status == WaitlistStatus.WAITING
    assert queued_tasks(redis_client) == [
        ("clinic.offer_freed_time", [offered.practitioner, WEDNESDAY_10AM.isoformat()])
    ]


def test_an_expired_offer_cannot_be_accepted_and_nothing_changes(
    client: FlaskClient,
    db: Database,
    offered: Offered,
    clock: FrozenClock,
    redis_client: redis_lib.Redis,
) -> None:
    token = csrf(client, f"/m/{offered.token}")
    clock.advance(timedelta(minutes=16))
    assert "Accept this time" not in client.get(f"/m/{offered.token}").text
    response = client.post(answer(offered, "accept"), data={"csrf_token": token})
    assert response.status_code == 303
    assert OFFER_CLOSED.replace("'", "&#39;") in client.get(response.headers["Location"]).text
    assert offer_status(db, offered.offer) == (OfferStatus.OPEN, AppointmentStatus.PROPOSED)
    assert visit_status(db, offered.later_visit) == AppointmentStatus.BOOKED
    assert queued_tasks(redis_client) == []


def test_an_answered_offer_cannot_be_answered_again(
    client: FlaskClient, db: Database, offered: Offered
) -> None:
    token = csrf(client, f"/m/{offered.token}")
    client.post(answer(offered, "decline"), data={"csrf_token": token})
    again = client.post(
        answer(offered, "accept"), data={"csrf_token": token}, follow_redirects=True
    )
    assert "Nothing has changed." in again.text
    assert offer_status(db, offered.offer) == (OfferStatus.DECLINED, AppointmentStatus.CANCELLED)


def test_another_patients_offer_is_not_found_and_left_alone(
    client: FlaskClient, db: Database, settings: Settings, clock: FrozenClock, offered: Offered
) -> None:
    other = book(
        db, settings, clock.now(), NEXT_WEDNESDAY_10AM + timedelta(hours=2), phone="07400123477"
    )
    token = csrf(client, f"/m/{other.manage_token}")
    response = client.post(
        f"/m/{other.manage_token}/offers/{offered.offer}/accept", data={"csrf_token": token}
    )
    assert response.status_code == 404 and "This link is not valid" in response.text
    assert offer_status(db, offered.offer) == (OfferStatus.OPEN, AppointmentStatus.PROPOSED)


def test_an_answer_without_its_csrf_token_is_refused(
    client: FlaskClient, db: Database, offered: Offered
) -> None:
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(answer(offered, "accept"), data=data)
        assert response.status_code == 400
    assert offer_status(db, offered.offer) == (OfferStatus.OPEN, AppointmentStatus.PROPOSED)


def test_a_hold_end_names_its_day_when_it_is_not_today() -> None:
    london = ZoneInfo("Europe/London")
    now = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)
    assert hold_end(now + timedelta(minutes=15), london, now) == "21:15"
    assert hold_end(datetime(2026, 3, 3, 8, 15, tzinfo=UTC), london, now) == "08:15 tomorrow"
    later = datetime(2026, 3, 5, 8, 15, tzinfo=UTC)
    assert hold_end(later, london, now) == "08:15 on Thursday 5 March"


def test_answers_count_against_the_personal_links_limit(
    client: FlaskClient, db: Database, offered: Offered
) -> None:
    token = csrf(client, f"/m/{offered.token}")
    codes = [
        client.post(answer(offered, "decline"), data={"csrf_token": token}).status_code
        for _ in range(6)
    ]
    assert codes == [303] * 5 + [429]
    assert offer_status(db, offered.offer) == (OfferStatus.DECLINED, AppointmentStatus.CANCELLED)
