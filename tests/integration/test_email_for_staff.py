"""What staff see of email beside texts, on both databases: the patient's thread (channel,
address, subject, plain words, the invite and the fallback), retrying a failed email to the
current address, the messaging monitor and the dashboard per channel, choosing each kind's
channel in set-up, and the demo clinic's patients who get emails."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.errors import ValidationFailed
from scheduler.messaging.email_plans import load_routes, plan_visit_email
from scheduler.messaging.monitor import retry_failed
from scheduler.models import (
    Appointment,
    Channel,
    ClinicRules,
    ConsentKind,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
)
from scheduler.records.statistics import ChannelMessages, operations
from scheduler.setup.rules import ReminderPlanInput, save_reminder_plan
from scheduler.visits.cancellation import cancel_visit
from scheduler.visits.rescheduling import reschedule_visit
from tests.integration.test_demo_history import NOW as DEMO_NOW
from tests.integration.test_demo_history import demo, fresh_urls  # noqa: F401 (fixtures)
from tests.support.factories import book, demo_clinic
from tests.support.staff import create_accounts, csrf, sign_in
from tests.support.table_rows import table_rows

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
EMAIL = "ana.silva@example.org"
PLAN = ("48", "2", "10", "7", "90")


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


@pytest.fixture
def accounts(db: Database, clock: FrozenClock) -> dict[str, str]:
    return create_accounts(db, clock)


def book_with_email(
    db: Database, settings: Settings, now: datetime, start: datetime = WEDNESDAY_10AM
) -> tuple[int, int]:
    """A visit booked with an address and consent to email: (patient id, visit id)."""
    result = book(db, settings, now, start, email=EMAIL, consent_email=True)
    return result.patient.id, result.appointment.id


def messages(db: Database, channel: Channel, kind: MessageKind) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(
        OutboundMessage.channel == channel, OutboundMessage.kind == kind
    )
    with db.session() as session:
        return list(session.scalars(query.order_by(OutboundMessage.id)))


def set_status(
    db: Database, message_id: int, status: MessageStatus, code: str | None = None
) -> None:
    with db.transaction() as session:
        row = session.get_one(OutboundMessage, message_id)
        row.status, row.error_code = status, code
        if status in (MessageStatus.SENT, MessageStatus.DELIVERED):
            row.sent_at = row.due_at


def thread_section(page: str) -> str:
    match = re.search(r'<section id="texts".*?</section>', page, re.S)
    assert match, page[:300]
    return match.group(0)


# -- 1. The patient's thread -------------------------------------------------------------------


def test_the_thread_shows_an_email_with_its_address_subject_words_and_invite(
    db: Database, settings: Settings, clock: FrozenClock, client: FlaskClient, accounts: Any
) -> None:
    patient_id, _visit = book_with_email(db, settings, clock.now())
    sign_in(client, accounts["desk"])
    page = client.get(f"/staff/patients/{patient_id}").get_data(as_text=True)
    thread = thread_section(page)
    assert '<h2 id="texts-heading">Messages</h2>' in thread
    assert ">Text</td>" in thread and ">Email</td>" in thread
    assert f"To {EMAIL}" in thread
    assert "Your visit to Clearwater Clinic is booked: Wed 4 Mar at 10:00" in thread
    assert "With a calendar invite (new)." in thread
    assert "You are booked for Wednesday 4 March 2026 at 10:00." in thread
    assert "&lt;p&gt;" not in thread and "<!doctype" not in thread  # the text part, not HTML
    assert "/m/…" in thread and not re.search(r"/m/[A-Za-z0-9_-]{8,}", thread)  # link masked

    rows = client.get(f"/api/v1/staff/patients/{patient_id}/messages").get_json()
    by_channel = {r["channel"]: r for r in rows if r["kind"] == "confirmation"}
    assert set(by_channel) == {"sms", "email"}
    assert by_channel["email"]["to_email"] == EMAIL
    assert by_channel["email"]["subject"].startswith("Your visit to Clearwater Clinic is booked")
    assert by_channel["email"]["invite"] == "new"
    assert by_channel["sms"]["to_email"] is None and by_channel["sms"]["subject"] is None


def test_the_thread_tells_a_moved_invite_from_a_cancel(
    db: Database, settings: Settings, clock: FrozenClock, client: FlaskClient, accounts: Any
) -> None:
    patient_id, visit = book_with_email(db, settings, clock.now())
    (confirmation,) = messages(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    set_status(db, confirmation.id, MessageStatus.SENT)  # the invite went
    with db.transaction() as session:
        reschedule_visit(
            session, visit, WEDNESDAY_10AM + timedelta(days=1), settings=settings, now=clock.now()
        )
    with db.transaction() as session:
        cancel_visit(session, visit, clock.now(), settings=settings)
    sign_in(client, accounts["desk"])
    rows = client.get(f"/api/v1/staff/patients/{patient_id}/messages").get_json()
    invites = {r["kind"]: r["invite"] for r in rows if r["channel"] == "email" and r["invite"]}
    assert invites == {"confirmation": "new", "rescheduled": "moved", "cancellation": "cancel"}
    thread = thread_section(client.get(f"/staff/patients/{patient_id}").get_data(as_text=True))
    assert "With a calendar invite (moved)." in thread
    assert "With a calendar invite (cancel)." in thread


def test_an_email_sent_instead_of_an_undeliverable_text_says_so(
    db: Database, settings: Settings, clock: FrozenClock, client: FlaskClient, accounts: Any
) -> None:
    set_rules(db, message_channels={"confirmation": "sms"})
    patient_id, visit = book_with_email(db, settings, clock.now())
    (text,) = messages(db, Channel.SMS, MessageKind.CONFIRMATION)
    set_status(db, text.id, MessageStatus.FAILED, "21614")
    with db.transaction() as session:
        failed = session.get_one(OutboundMessage, text.id)
        email = plan_visit_email(
            session,
            session.get_one(Appointment, visit),
            MessageKind.CONFIRMATION,
            f"{text.dedupe_key}:fallback",
            clock.now(),
            settings,
            "https://book.example.test/m/abc",
            clock.now(),
            fallback_for=failed,
        )
        assert email is not None
    sign_in(client, accounts["desk"])
    rows = client.get(f"/api/v1/staff/patients/{patient_id}/messages").get_json()
    fallback = [r for r in rows if r["channel"] == "email" and r["kind"] == "confirmation"]
    assert [r["fallback_for_id"] for r in fallback] == [text.id]
    thread = thread_section(client.get(f"/staff/patients/{patient_id}").get_data(as_text=True))
    assert "Sent by email because the text could not be delivered." in thread
    assert "error 21614" in thread


def test_an_email_of_unknown_outcome_is_explained_and_sent_again_from_the_thread(
    db: Database, settings: Settings, clock: FrozenClock, client: FlaskClient, accounts: Any
) -> None:
    patient_id, _visit = book_with_email(db, settings, clock.now())
    (email,) = messages(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    set_status(db, email.id, MessageStatus.FAILED, "outcome-unknown")
    sign_in(client, accounts["desk"])
    record = f"/staff/patients/{patient_id}"
    thread = thread_section(client.get(record).get_data(as_text=True))
    assert "outcome unknown: check with the patient" in thread
    assert thread.count("Send again") == 1
    retry = f"{record}/messages/{email.id}/retry"
    assert client.post(retry).status_code == 400  # no CSRF token
    answer = client.post(retry, data={"csrf_token": csrf(client, record)})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("#texts")
    with db.session() as session:
        again = session.get_one(OutboundMessage, email.id)
        assert (again.status, again.to_email) == (MessageStatus.PENDING, EMAIL)


def test_a_message_of_another_patient_cannot_be_retried_through_this_one(
    db: Database, settings: Settings, clock: FrozenClock, client: FlaskClient, accounts: Any
) -> None:
    patient_id, _visit = book_with_email(db, settings, clock.now())
    (email,) = messages(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    set_status(db, email.id, MessageStatus.FAILED, "outcome-unknown")
    other = book(
        db, settings, clock.now(), WEDNESDAY_10AM + timedelta(hours=2), phone="+447400123457"
    )
    sign_in(client, accounts["desk"])
    record = f"/staff/patients/{other.patient.id}"
    answer = client.post(
        f"{record}/messages/{email.id}/retry", data={"csrf_token": csrf(client, record)}
    )
    assert answer.status_code == 404
    with db.session() as session:
        assert session.get_one(OutboundMessage, email.id).status == MessageStatus.FAILED
    assert patient_id != other.patient.id


# -- 2. Retry ----------------------------------------------------------------------------------


def test_retrying_an_email_goes_to_the_patients_current_address(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    patient_id, _visit = book_with_email(db, settings, clock.now())
    (email,) = messages(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    (text,) = messages(db, Channel.SMS, MessageKind.CONFIRMATION)
    set_status(db, email.id, MessageStatus.FAILED, "outcome-unknown")
    set_status(db, text.id, MessageStatus.FAILED, "30003")
    with db.transaction() as session:
        session.get_one(Patient, patient_id).email = "ana.new@example.org"
    with db.transaction() as session:
        again = retry_failed(session, email.id, clock.now())
        assert again is not None
        assert (again.status, again.to_email, again.to_phone) == (
            MessageStatus.PENDING,
            "ana.new@example.org",
            None,
        )
        text_again = retry_failed(session, text.id, clock.now())
        assert text_again is not None and text_again.to_phone == "+447400123456"
        assert text_again.to_email is None


def test_retrying_an_email_is_refused_when_the_patient_has_no_address_any_more(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    patient_id, _visit = book_with_email(db, settings, clock.now())
    (email,) = messages(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    set_status(db, email.id, MessageStatus.FAILED, "outcome-unknown")
    with db.transaction() as session:
        session.get_one(Patient, patient_id).email = None
    with db.transaction() as session:
        assert retry_failed(session, email.id, clock.now()) is None
    with db.session() as session:
        row = session.get_one(OutboundMessage, email.id)
        assert (row.status, row.to_email, row.error_code) == (
            MessageStatus.FAILED,
            EMAIL,
            "outcome-unknown",
        )


# -- 3. The messaging monitor ------------------------------------------------------------------


def test_the_monitor_counts_each_channel_and_shows_a_failed_emails_address(
    db: Database, settings: Settings, clock: FrozenClock, client: FlaskClient, accounts: Any
) -> None:
    book_with_email(db, settings, clock.now())
    (email,) = messages(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    set_status(db, email.id, MessageStatus.FAILED, "outcome-unknown")
    sign_in(client, accounts["desk"])
    view = client.get("/api/v1/staff/messages/monitor").get_json()
    assert set(view["channels"]) == {"sms", "email"}
    sms, mail = view["channels"]["sms"], view["channels"]["email"]
    assert mail["counts"]["failed"] == 1 and "failed" not in sms["counts"]
    assert sms["counts"]["pending"] >= 1  # the text confirmation and its reminders
    for status, total in view["counts"].items():
        assert total == sms["counts"].get(status, 0) + mail["counts"].get(status, 0)
    assert view["overdue"] == sms["overdue"] + mail["overdue"]
    (failed,) = view["failed"]
    assert (failed["channel"], failed["to_email"], failed["error_code"]) == (
        "email",
        EMAIL,
        "outcome-unknown",
    )
    page = client.get("/staff/messages").get_data(as_text=True)
    assert f"Email to {EMAIL}" in page
    assert '<th scope="col">Texts</th><th scope="col">Emails</th>' in page


def test_a_stuck_email_is_listed_with_its_address(
    db: Database, settings: Settings, clock: FrozenClock, client: FlaskClient, accounts: Any
) -> None:
    book_with_email(db, settings, clock.now())
    (email,) = messages(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    with db.transaction() as session:
        row = session.get_one(OutboundMessage, email.id)
        row.status, row.claimed_at = MessageStatus.SENDING, clock.now() - timedelta(minutes=30)
    sign_in(client, accounts["admin"])
    (stuck,) = client.get("/api/v1/staff/messages/monitor").get_json()["stuck"]
    assert (stuck["id"], stuck["channel"], stuck["to_email"]) == (email.id, "email", EMAIL)
    assert f"(email to {EMAIL}): sending since" in client.get("/staff/messages").get_data(
        as_text=True
    )


# -- 4. The dashboard --------------------------------------------------------------------------


def test_the_dashboard_counts_reminders_per_channel(
    db: Database, settings: Settings, clock: FrozenClock, client: FlaskClient, accounts: Any
) -> None:
    booked_at = clock.now() - timedelta(days=12)
    start = datetime(2026, 2, 25, 10, 0, tzinfo=UTC)  # a Wednesday last week
    book_with_email(db, settings, booked_at, start)
    (text,) = messages(db, Channel.SMS, MessageKind.REMINDER_48H)
    (email,) = messages(db, Channel.EMAIL, MessageKind.REMINDER_48H)
    set_status(db, text.id, MessageStatus.DELIVERED)
    set_status(db, email.id, MessageStatus.FAILED, "550")
    with db.session() as session:
        ops = operations(session, now=clock.now(), zone=settings.zone, weeks=4)
    assert ops.reminders_by_channel == {
        "sms": ChannelMessages(sent=1, delivered=1, failed=0),
        "email": ChannelMessages(sent=0, delivered=0, failed=1),
    }
    set_status(db, email.id, MessageStatus.SENT)
    sign_in(client, accounts["desk"])
    page = client.get("/staff/dashboard?weeks=4").get_data(as_text=True)
    table = re.search(r'<table class="plan reminders-by-channel">.*?</table>', page, re.S)
    assert table, page[:300]
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table.group(0)))
    assert "Texts 1 1 0" in cells
    assert "Emails 1 not reported for email 0" in cells


# -- 5. Set-up: the channel of each kind -------------------------------------------------------


def set_rules(db: Database, **values: object) -> None:
    with db.transaction() as session:
        rules = session.get(ClinicRules, 1) or ClinicRules(id=1)
        session.add(rules)
        for name, value in values.items():
            setattr(rules, name, value)


def test_the_reminder_plan_saves_each_kinds_channel_and_plans_follow_it(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    channels = {"confirmation": "email", "reminder_2h": "both"}
    with db.transaction() as session:
        save_reminder_plan(session, ReminderPlanInput(*PLAN, channels=channels))
    with db.session() as session:
        rules = session.get_one(ClinicRules, 1)
        assert rules.message_channels == channels
        routes = {kind.value: route.value for kind, route in load_routes(session).items()}
    assert routes == {
        "confirmation": "email",
        "reminder_48h": "both",
        "reminder_2h": "both",
        "rescheduled": "both",
    }
    with db.transaction() as session:  # a plan saved without channels keeps them
        save_reminder_plan(session, ReminderPlanInput(*PLAN))
    with db.session() as session:
        assert session.get_one(ClinicRules, 1).message_channels == channels
    book_with_email(db, settings, clock.now())
    assert messages(db, Channel.SMS, MessageKind.CONFIRMATION) == []
    assert len(messages(db, Channel.EMAIL, MessageKind.CONFIRMATION)) == 1
    assert len(messages(db, Channel.EMAIL, MessageKind.REMINDER_2H)) == 1


@pytest.mark.parametrize(
    ("channels", "field", "message"),
    [
        ({"confirmation": "fax"}, "channel_confirmation", 'Choose "Text" or "Email" or'),
        ({"cancellation": "email"}, "channels", "no channel to choose: cancellation"),
        ({"aftercare": "email"}, "channels", "no channel to choose: aftercare"),
    ],
)
def test_a_channel_not_offered_is_refused_and_nothing_is_written(
    db: Database, channels: dict[str, str], field: str, message: str
) -> None:
    set_rules(db, message_channels={"confirmation": "sms"})
    before = table_rows(db, ClinicRules)
    with pytest.raises(ValidationFailed) as caught, db.transaction() as session:
        save_reminder_plan(
            session, ReminderPlanInput("24", "2", "10", "7", "90", channels=channels)
        )
    assert message in " ".join(caught.value.fields[field])
    assert table_rows(db, ClinicRules) == before


def test_the_set_up_page_offers_a_select_per_kind_and_saves_the_choice(
    db: Database, client: FlaskClient, accounts: Any
) -> None:
    sign_in(client, accounts["admin"])
    page = client.get("/staff/setup/rules").get_data(as_text=True)
    for kind in ("confirmation", "reminder_48h", "reminder_2h", "rescheduled"):
        assert f'<select id="channel_{kind}" name="channel_{kind}"' in page
    assert 'name="channel_cancellation"' not in page
    assert "Emails go only to patients who gave an address and agreed to email" in page
    assert re.search(r'<option value="both" selected>Text and email</option>', page)
    form = {
        "csrf_token": csrf(client, "/staff/setup/rules"),
        **dict(zip(("reminder_hours_before", "short_reminder_hours_before", "aftercare_hour",
                    "maintenance_notice_days", "link_grace_days"), PLAN, strict=True)),
        "channel_confirmation": "email",
        "channel_reminder_48h": "sms",
        "channel_reminder_2h": "sms",
        "channel_rescheduled": "both",
    }  # fmt: skip
    assert client.post("/staff/setup/rules/reminders", data=form).status_code == 303
    with db.session() as session:
        assert session.get_one(ClinicRules, 1).message_channels["confirmation"] == "email"
    before = table_rows(db, ClinicRules)
    refused = client.post(
        "/staff/setup/rules/reminders", data={**form, "channel_reminder_2h": "pigeon"}
    )
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'id="channel_reminder_2h-error"' in body and "Choose &#34;Text&#34;" in body
    assert table_rows(db, ClinicRules) == before


# -- 6. The demo clinic ------------------------------------------------------------------------


def test_demo_patients_with_an_address_get_emails_with_invites(
    demo: Database,  # noqa: F811 (the fixture)
) -> None:
    with demo.session() as session:
        emailed = [
            p
            for p in session.scalars(select(Patient).where(Patient.email.is_not(None)))
            if p.consents_to(ConsentKind.EMAIL)
        ]
        assert len(emailed) >= 2
        sent = session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.channel == Channel.EMAIL,
                OutboundMessage.status == MessageStatus.SENT,
                OutboundMessage.invite.is_not(None),
                OutboundMessage.kind == MessageKind.CONFIRMATION,
            )
        ).all()
        assert sent and all(m.provider_sid and m.provider_sid.startswith("EM") for m in sent)
        assert all(m.due_at <= DEMO_NOW for m in sent)
        failed_emails = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                OutboundMessage.channel == Channel.EMAIL,
                OutboundMessage.status == MessageStatus.FAILED,
            )
        )
        assert failed_emails == 0  # mail servers report no delivery failures in the demo
