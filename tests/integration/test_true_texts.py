"""Every text is true when it is read: links to the running server, day words for the send
time, and a promise of a text only when one is planned; on both databases."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from ops.devstack import stack_env
from scheduler.calendar.availability import to_minutes
from scheduler.clock import FrozenClock
from scheduler.config import Settings, load_settings
from scheduler.db import Database
from scheduler.messaging.outbox import claim_due
from scheduler.messaging.sending import SendOutcome, SendPolicy, send_outbound_message
from scheduler.messaging.sms.console import ConsoleBackend
from scheduler.messaging.texts import TEMPLATES, MessageContext, render
from scheduler.models import MessageKind, MessageStatus, OutboundMessage, Patient
from scheduler.patients.links import replace_link
from scheduler.visits.rescheduling import reschedule_visit
from tests.conftest import MONDAY_8AM
from tests.support.factories import book
from tests.support.records import add_staff, practitioner_id
from tests.support.staff import csrf, sign_in

WEDNESDAY_9AM = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # London is on UTC in early March
TUESDAY_EVENING = datetime(2026, 3, 3, 19, 59, tzinfo=UTC)
THURSDAY_10AM = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
PORT_BASE = "http://127.0.0.1:5101"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test settings with the base URL ``make run`` sets for ``PORT=5101``."""
    devstack = load_settings(stack_env({"PORT": "5101"}))
    return settings.with_overrides(public_base_url=devstack.public_base_url)


@pytest.fixture
def staff(db: Database, clock: FrozenClock) -> dict[str, str]:
    return add_staff(db, clock)  # the demo clinic, with staff accounts


def bodies(db: Database, kind: MessageKind) -> list[str]:
    with db.session() as session:
        query = select(OutboundMessage.body).where(OutboundMessage.kind == kind)
        return list(session.scalars(query.order_by(OutboundMessage.id)))


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def test_make_run_sets_the_public_base_url_from_the_port_unless_it_is_set() -> None:
    assert stack_env({"PORT": "5101"})["PUBLIC_BASE_URL"] == PORT_BASE
    assert stack_env({})["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    given = {"PORT": "5101", "PUBLIC_BASE_URL": "https://book.example.org"}
    assert stack_env(given)["PUBLIC_BASE_URL"] == "https://book.example.org"


def test_every_texted_link_points_at_the_port_the_stack_serves(
    db: Database, settings: Settings, staff: dict[str, str]
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_9AM).appointment
    with db.transaction() as session:
        reschedule_visit(session, visit.id, THURSDAY_10AM, settings=settings, now=MONDAY_8AM)
        replace_link(session, session.get_one(Patient, visit.patient_id), settings, MONDAY_8AM)
    texted = [MessageKind.CONFIRMATION, MessageKind.RESCHEDULED, MessageKind.NEW_LINK]
    for kind in texted:
        [body] = bodies(db, kind)
        assert [link.startswith(f"{PORT_BASE}/m/") for link in links_in(body)] == [True], body
    # The kinds planned by the daily jobs are filled in the same way, from the same setting.
    context = MessageContext("Eve", THURSDAY_10AM, "Clinic", "+44 20 7946 0000", "")
    for kind, template in TEMPLATES.items():
        if "{manage_url}" in template and kind not in texted:
            link = settings.manage_url("A" * 22)
            filled = render(kind, MessageContext(**{**context.__dict__, "manage_url": link}))
            assert links_in(filled) == [f"{PORT_BASE}/m/{'A' * 22}"]


def test_the_staff_calendar_feed_address_points_at_the_port_the_stack_serves(
    client: FlaskClient, db: Database, staff: dict[str, str]
) -> None:
    sign_in(client, staff["lin"])
    with db.session() as session:
        lin = practitioner_id(session, "Dr Mei Lin")
    page = client.post(f"/staff/feeds/{lin}", data={"csrf_token": csrf(client, "/staff/feeds")})
    assert page.status_code == 200
    assert re.search(r'value="http://127\.0\.0\.1:5101/feeds/[^"]+\.ics"', page.text)
    assert "127.0.0.1:5000" not in page.text


def send_due(db: Database, clock: FrozenClock, policy: SendPolicy) -> list[SendOutcome]:
    with db.transaction() as session:
        ids = claim_due(session, clock.now(), 100)
    return [send_outbound_message(db, i, ConsoleBackend(), clock, None, policy) for i in ids]


def short_reminder(db: Database) -> OutboundMessage:
    with db.session() as session:
        query = select(OutboundMessage).where(OutboundMessage.kind == MessageKind.REMINDER_2H)
        return session.scalars(query).one()


def test_a_9am_visits_short_reminder_moved_to_the_evening_before_reads_tomorrow(
    db: Database, settings: Settings, staff: dict[str, str]
) -> None:
    book(db, settings, MONDAY_8AM, WEDNESDAY_9AM)
    planned = short_reminder(db)
    assert planned.due_at == TUESDAY_EVENING  # 07:00 is in quiet hours: the evening before
    assert "see you at 09:00 tomorrow at" in planned.body
    clock = FrozenClock(TUESDAY_EVENING)
    send_due(db, clock, SendPolicy(daily_cap=99))
    sent = short_reminder(db)
    assert sent.status == MessageStatus.SENT
    assert "see you at 09:00 tomorrow at" in sent.body and "today" not in sent.body


def test_a_reminder_that_waits_past_midnight_is_reworded_when_it_goes(
    db: Database, settings: Settings, staff: dict[str, str]
) -> None:
    book(db, settings, MONDAY_8AM, WEDNESDAY_9AM)
    clock = FrozenClock(TUESDAY_EVENING)
    assert SendOutcome.DEFERRED in send_due(db, clock, SendPolicy(daily_cap=0))
    waiting = short_reminder(db)
    assert waiting.due_at == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    assert "09:00 tomorrow" in waiting.body  # not yet sent: worded when it goes
    clock.advance(waiting.due_at - clock.now())
    assert set(send_due(db, clock, SendPolicy(daily_cap=99))) == {SendOutcome.SENT}
    sent = short_reminder(db)
    assert "see you at 09:00 today at" in sent.body and "tomorrow" not in sent.body


def test_a_move_plans_one_moved_text_and_says_so(
    db: Database, settings: Settings, staff: dict[str, str]
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_9AM).appointment
    with db.transaction() as session:
        move = reschedule_visit(session, visit.id, THURSDAY_10AM, settings=settings, now=MONDAY_8AM)
        assert move.texted
    [moved] = bodies(db, MessageKind.RESCHEDULED)
    assert "now Thu 5 Mar at 10:00" in moved


def test_a_move_without_consent_to_visit_texts_promises_none(
    db: Database, settings: Settings, staff: dict[str, str]
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_9AM, consent_reminders=False).appointment
    with db.transaction() as session:
        move = reschedule_visit(session, visit.id, THURSDAY_10AM, settings=settings, now=MONDAY_8AM)
        assert not move.texted


def move_on_the_page(client: FlaskClient, token: str, visit_id: int) -> str:
    moved = client.post(
        f"/m/{token}/visits/{visit_id}/move",
        data={"csrf_token": csrf(client, f"/m/{token}"), "start": str(to_minutes(THURSDAY_10AM))},
    )
    assert moved.status_code == 303
    return client.get(moved.headers["Location"]).text


@pytest.mark.parametrize("consent", [True, False])
def test_the_page_promises_a_text_about_the_move_only_when_one_is_planned(
    client: FlaskClient, db: Database, settings: Settings, staff: dict[str, str], consent: bool
) -> None:
    booked = book(db, settings, MONDAY_8AM, WEDNESDAY_9AM, consent_reminders=consent)
    page = move_on_the_page(client, booked.manage_token, booked.appointment.id)
    assert "Your visit is moved." in page
    assert ("We will text you about the new time" in page) is consent


@pytest.mark.parametrize("consent", [True, False])
def test_the_api_says_whether_a_text_about_the_move_is_planned(
    client: FlaskClient, db: Database, settings: Settings, staff: dict[str, str], consent: bool
) -> None:
    booked = book(db, settings, MONDAY_8AM, WEDNESDAY_9AM, consent_reminders=consent)
    response = client.post(
        f"/api/v1/bookings/{booked.manage_token}/appointments/{booked.appointment.id}/reschedule",
        json={"start": THURSDAY_10AM.isoformat()},
    )
    assert response.status_code == 200, response.json
    assert response.json["text_planned"] is consent
    assert response.json["start"].startswith("2026-03-05T10:00")


def test_a_visit_moved_there_back_and_there_again_is_texted_each_move(
    db: Database, settings: Settings, staff: dict[str, str]
) -> None:
    visit = book(db, settings, MONDAY_8AM, WEDNESDAY_9AM).appointment
    moves = []
    for start in (THURSDAY_10AM, WEDNESDAY_9AM, THURSDAY_10AM):
        with db.transaction() as session:
            move = reschedule_visit(session, visit.id, start, settings=settings, now=MONDAY_8AM)
            moves.append(move.texted)
            session.execute(  # the "moved" text goes before the next move
                update(OutboundMessage)
                .where(
                    OutboundMessage.appointment_id == visit.id,
                    OutboundMessage.kind == MessageKind.RESCHEDULED,
                    OutboundMessage.status == MessageStatus.PENDING,
                )
                .values(status=MessageStatus.SENT)
            )
    assert moves == [True, True, True]
    with db.session() as session:
        moved = session.scalars(
            select(OutboundMessage.planned_for)
            .where(
                OutboundMessage.appointment_id == visit.id,
                OutboundMessage.kind == MessageKind.RESCHEDULED,
            )
            .order_by(OutboundMessage.id)
        ).all()
    assert [when.replace(tzinfo=UTC) for when in moved] == [
        THURSDAY_10AM,
        WEDNESDAY_9AM,
        THURSDAY_10AM,
    ]
