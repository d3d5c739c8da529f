"""Email beside SMS in the outbox: a visit's confirmation by email with its calendar invite at a
real SMTP server, the invite following a move (same UID, higher SEQUENCE) and a cancel
(METHOD:CANCEL), a text that can never be delivered sent by email instead, unsubscribe
honoured at send time, quiet hours not holding email back, and an email whose outcome is
unknown never resent by itself."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from icalendar import Calendar
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.messaging.email.base import OutgoingEmail
from scheduler.messaging.email.smtp import SmtpBackend
from scheduler.messaging.outbox import claim_due
from scheduler.messaging.reconciliation import reconcile_stuck_sends
from scheduler.messaging.sending import SendOutcome, SendPolicy, send_outbound_messages
from scheduler.messaging.sms.base import ProviderReceipt
from scheduler.messaging.sms.twilio_gateway import TwilioGateway
from scheduler.messaging.texts import forbidden_words_in
from scheduler.models import (
    Channel,
    ClinicRules,
    ConsentKind,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
    StaffAlert,
)
from scheduler.patients.email_unsubscribe import unsubscribe, unsubscribe_token
from scheduler.visits.booking import book_visit
from scheduler.visits.cancellation import cancel_visit
from scheduler.visits.rescheduling import reschedule_visit
from tests.conftest import twilio_settings
from tests.fakes.fake_twilio import FakeTwilio
from tests.support.factories import book, booking_request, demo_clinic
from tests.support.smtp_server import SmtpServer

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
EMAIL = "ana.silva@example.org"


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


class Sender:
    """A dispatcher round by hand: claim what is due, send it through Twilio's fake and the
    real SMTP server."""

    def __init__(
        self, db: Database, settings: Settings, clock: FrozenClock, twilio: FakeTwilio, smtp: str
    ) -> None:
        self.db, self.clock = db, clock
        self.sms = TwilioGateway(twilio_settings(twilio))
        self.email = SmtpBackend.from_url(smtp, settings.email_from, timeout_s=2.0)
        self.policy = SendPolicy(settings=settings, zone=settings.zone)

    def round(self) -> dict[int, SendOutcome]:
        with self.db.transaction() as session:
            ids = claim_due(session, self.clock.now(), 500)
        return send_outbound_messages(
            self.db, ids, self.sms, self.clock, policy=self.policy, email_backend=self.email
        )


@pytest.fixture
def sender(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    fake_twilio: FakeTwilio,
    smtp_server: SmtpServer,
) -> Sender:
    return Sender(db, settings, clock, fake_twilio, smtp_server.url)


def book_with_email(db: Database, settings: Settings, now: datetime, consent: bool = True) -> int:
    result = book(db, settings, now, WEDNESDAY_10AM, email=EMAIL, consent_email=consent)
    return result.appointment.id


def invite_of(message: EmailMessage) -> Calendar:
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.walk()]
    return Calendar.from_ical(parts[0].get_content())


def event(calendar: Calendar) -> dict[str, object]:
    found = calendar.walk("VEVENT")[0]
    return {
        "method": str(calendar["METHOD"]),
        "uid": str(found["UID"]),
        "sequence": int(found["SEQUENCE"]),
        "start": found.decoded("DTSTART"),
        "summary": str(found["SUMMARY"]),
    }


def rows(db: Database, channel: Channel, kind: MessageKind | None = None) -> list[OutboundMessage]:
    query = select(OutboundMessage).where(OutboundMessage.channel == channel)
    if kind is not None:
        query = query.where(OutboundMessage.kind == kind)
    with db.session() as session:
        return list(session.scalars(query.order_by(OutboundMessage.id)))


def set_rules(db: Database, **values: object) -> None:
    with db.transaction() as session:
        rules = session.get(ClinicRules, 1) or ClinicRules(id=1)
        session.add(rules)
        for name, value in values.items():
            setattr(rules, name, value)


def test_a_booking_confirmed_by_email_carries_an_invite_and_an_unsubscribe(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    visit = book_with_email(db, settings, clock.now())
    outcomes = sender.round()
    assert sorted(outcomes.values()) == [SendOutcome.SENT, SendOutcome.SENT]  # text and email
    (received,) = smtp_server.wait_for(1)
    message = received.message
    assert received.rcpt_tos == (EMAIL,)
    assert message["Subject"] == "Your visit to Clearwater Clinic is booked: Wed 4 Mar at 10:00"
    assert message["List-Unsubscribe"].startswith("<https://book.example.test/email/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == f"<outbox-{rows(db, Channel.EMAIL)[0].id}@book.example.test>"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Wednesday 4 March 2026 at 10:00" in text
    assert "https://book.example.test/m/" in text
    assert forbidden_words_in(message["Subject"] + text) == []
    assert event(invite_of(message)) == {
        "method": "REQUEST",
        "uid": f"visit-{visit}@book.example.test",
        "sequence": 0,
        "start": WEDNESDAY_10AM,
        "summary": "Visit at Clearwater Clinic",
    }


def test_a_patient_without_consent_to_email_gets_only_the_text(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    book_with_email(db, settings, clock.now(), consent=False)
    assert list(sender.round().values()) == [SendOutcome.SENT]
    assert rows(db, Channel.EMAIL) == [] and smtp_server.received == []


def test_a_move_sends_the_same_uid_with_a_higher_sequence_and_a_cancel_takes_it_off(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    visit = book_with_email(db, settings, clock.now())
    sender.round()
    later = WEDNESDAY_10AM + timedelta(days=1)
    with db.transaction() as session:
        reschedule_visit(session, visit, later, settings=settings, now=clock.now())
    sender.round()
    with db.transaction() as session:
        cancel_visit(session, visit, clock.now(), settings=settings)
    sender.round()
    invites = [event(invite_of(r.message)) for r in smtp_server.wait_for(3)]
    uid = f"visit-{visit}@book.example.test"
    assert [(i["method"], i["uid"], i["sequence"], i["start"]) for i in invites] == [
        ("REQUEST", uid, 0, WEDNESDAY_10AM),
        ("REQUEST", uid, 1, later),
        ("CANCEL", uid, 2, later),
    ]
    subjects = [r.message["Subject"] for r in smtp_server.received]
    assert subjects[1] == "Your visit to Clearwater Clinic has moved: Thu 5 Mar at 10:00"
    assert subjects[2] == "Your visit to Clearwater Clinic is cancelled"


def test_a_cancel_before_any_invite_went_sends_no_cancel(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    visit = book_with_email(db, settings, clock.now())
    with db.transaction() as session:
        cancel_visit(session, visit, clock.now(), settings=settings)
    assert set(sender.round().values()) <= {SendOutcome.CANCELLED}
    assert smtp_server.received == []


def test_a_text_to_a_landline_goes_by_email_instead_and_says_so(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    sender: Sender,
    smtp_server: SmtpServer,
    fake_twilio: FakeTwilio,
) -> None:
    set_rules(db, message_channels={"confirmation": "sms"})  # confirmations by text only
    book_with_email(db, settings, clock.now())
    fake_twilio.reject_number("+447400123456", status=400, code=21614)
    assert list(sender.round().values()) == [SendOutcome.FAILED]
    (email,) = rows(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    (text,) = rows(db, Channel.SMS, MessageKind.CONFIRMATION)
    assert (email.fallback_for_id, email.kind, email.status) == (
        text.id,
        MessageKind.CONFIRMATION,
        MessageStatus.PENDING,
    )
    assert list(sender.round().values()) == [SendOutcome.SENT]
    (received,) = smtp_server.wait_for(1)
    assert received.message["Subject"].startswith("Your visit to Clearwater Clinic is booked")


def test_after_unsubscribing_no_email_goes_and_the_ledger_says_so(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    book_with_email(db, settings, clock.now())
    sender.round()
    smtp_server.wait_for(1)
    with db.session() as session:
        patient = session.scalars(select(Patient).where(Patient.email == EMAIL)).one()
        token = unsubscribe_token(settings.secret_key, patient.id, EMAIL)
    with db.transaction() as session:
        unsubscribe(session, token, clock.now(), "email", secret_key=settings.secret_key)
    clock.advance(WEDNESDAY_10AM - timedelta(hours=48) - clock.now())
    outcomes = sender.round()
    reminders = [r for r in rows(db, Channel.EMAIL) if r.kind == MessageKind.REMINDER_48H]
    assert [(r.status, r.error_message) for r in reminders] == [
        (MessageStatus.SKIPPED, "no consent to email")
    ]
    assert SendOutcome.SENT in outcomes.values()  # the text reminder still goes
    assert len(smtp_server.received) == 1
    with db.session() as session:
        patient = session.scalars(select(Patient).where(Patient.email == EMAIL)).one()
        assert not patient.consents_to(ConsentKind.EMAIL)
        assert patient.consents_to(ConsentKind.REMINDERS)


def test_quiet_hours_hold_back_the_text_but_not_the_email(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    set_rules(db, reminder_hours_before=13)  # Wed 10:00's reminder: Tue 21:00, a quiet hour
    book_with_email(db, settings, clock.now())
    sender.round()
    text, email = (
        rows(db, channel, MessageKind.REMINDER_48H)[0] for channel in (Channel.SMS, Channel.EMAIL)
    )
    assert text.due_at == datetime(2026, 3, 3, 19, 59, tzinfo=UTC)  # the evening before, earlier
    assert email.due_at == datetime(2026, 3, 3, 21, 0, tzinfo=UTC)  # when the plan says
    clock.advance(email.due_at - clock.now())  # both due; the text must wait for the morning
    assert sorted(sender.round().values()) == [SendOutcome.DEFERRED, SendOutcome.SENT]
    assert len(smtp_server.wait_for(2)) == 2
    (sent,) = rows(db, Channel.EMAIL, MessageKind.REMINDER_48H)
    assert sent.sent_at == datetime(2026, 3, 3, 21, 0, tzinfo=UTC)


def test_an_email_whose_outcome_is_unknown_is_not_resent_and_staff_are_told(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    book_with_email(db, settings, clock.now())
    smtp_server.hang_after_content(4.0, keep=True)  # taken, but the answer never comes in time
    outcomes = sender.round()
    assert SendOutcome.OUTCOME_UNKNOWN in outcomes.values()
    clock.advance(timedelta(minutes=10))
    counts = reconcile_stuck_sends(db, sender.sms, clock, timedelta(minutes=5))
    assert counts["unknown"] == 1
    (email,) = rows(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    assert (email.status, email.error_code) == (MessageStatus.FAILED, "outcome-unknown")
    with db.session() as session:
        alert = session.scalars(select(StaffAlert).where(StaffAlert.message_id == email.id)).one()
        assert alert.kind == "email_outcome_unknown"
    sender.round()  # nothing goes again by itself
    assert len(smtp_server.wait_for(1)) == 1


def test_a_kind_sent_by_email_goes_by_text_to_a_patient_who_cannot_be_emailed(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    set_rules(db, message_channels={"confirmation": "email"})
    book_with_email(db, settings, clock.now(), consent=False)
    assert [r.kind for r in rows(db, Channel.SMS, MessageKind.CONFIRMATION)] == [
        MessageKind.CONFIRMATION
    ]
    assert rows(db, Channel.EMAIL) == []
    book(
        db,
        settings,
        clock.now(),
        WEDNESDAY_10AM + timedelta(days=1),
        phone="07400123499",
        email="other@example.org",
        consent_email=True,
    )
    emailed = rows(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    assert [r.to_email for r in emailed] == ["other@example.org"]
    assert len(rows(db, Channel.SMS, MessageKind.CONFIRMATION)) == 1  # by email only for them


def test_back_and_forth_moves_by_email_only_keep_the_calendar_in_step(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    set_rules(db, message_channels={"rescheduled": "email"})
    visit = book_with_email(db, settings, clock.now())
    sender.round()
    a, b = WEDNESDAY_10AM, WEDNESDAY_10AM + timedelta(days=1)
    for start in (b, a, b):
        with db.transaction() as session:
            reschedule_visit(session, visit, start, settings=settings, now=clock.now())
        sender.round()
    invites = [event(invite_of(r.message)) for r in smtp_server.wait_for(4)]
    assert [(i["sequence"], i["start"]) for i in invites] == [(0, a), (1, b), (2, a), (3, b)]
    assert rows(db, Channel.SMS, MessageKind.RESCHEDULED) == []


def test_a_cancel_while_the_invite_may_be_on_its_way_still_sends_the_cancel(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    visit = book_with_email(db, settings, clock.now())
    (confirmation,) = rows(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    with db.transaction() as session:  # a send whose outcome is not known yet
        session.get_one(OutboundMessage, confirmation.id).status = MessageStatus.SENDING
    with db.transaction() as session:
        cancel_visit(session, visit, clock.now(), settings=settings)
    (cancel,) = rows(db, Channel.EMAIL, MessageKind.CANCELLATION)
    assert cancel.invite is not None and "METHOD:CANCEL" in cancel.invite


def test_a_patient_who_stopped_texts_gets_the_visit_messages_by_email(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    visit = book_with_email(db, settings, clock.now())
    sender.round()
    with db.transaction() as session:
        patient = session.scalars(select(Patient).where(Patient.email == EMAIL)).one()
        patient.sms_opted_out_at = clock.now()
    with db.transaction() as session:  # a move re-plans the short reminder, text-only by route
        reschedule_visit(
            session, visit, WEDNESDAY_10AM + timedelta(days=1), settings=settings, now=clock.now()
        )
    assert [r.kind for r in rows(db, Channel.EMAIL, MessageKind.REMINDER_2H)] == [
        MessageKind.REMINDER_2H
    ]
    assert [r.status for r in rows(db, Channel.SMS, MessageKind.REMINDER_2H)] == [
        MessageStatus.CANCELLED  # the one planned before the move
    ]


def test_a_short_reminder_email_sent_the_evening_before_says_tomorrow(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    set_rules(db, message_channels={"reminder_2h": "email"}, short_reminder_hours_before=13)
    book_with_email(db, settings, clock.now())
    (email,) = rows(db, Channel.EMAIL, MessageKind.REMINDER_2H)
    assert email.due_at == datetime(2026, 3, 3, 21, 0, tzinfo=UTC)
    assert "See you at 10:00 tomorrow." in email.body


def test_an_email_the_mail_server_never_took_does_not_blame_the_address(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    book_with_email(db, settings, clock.now())
    (email,) = rows(db, Channel.EMAIL, MessageKind.CONFIRMATION)
    with db.transaction() as session:  # every try but the last used up
        session.get_one(OutboundMessage, email.id).attempts = 7
    smtp_server.refuse_mail("451 4.3.0 Try again later")
    sender.round()
    with db.session() as session:
        assert session.get_one(OutboundMessage, email.id).status == MessageStatus.FAILED
        alert = session.scalars(select(StaffAlert).where(StaffAlert.message_id == email.id)).one()
    assert alert.kind == "email_not_sent" and "address" not in alert.detail


def test_a_new_address_given_at_a_later_booking_takes_the_emails_still_to_go(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    first = book_with_email(db, settings, clock.now())
    sender.round()  # the first visit's confirmation goes to the first address
    with db.transaction() as session:
        session.get_one(
            Patient, rows(db, Channel.EMAIL)[0].patient_id
        ).phone_verified_at = clock.now()
    request = booking_request(
        db,
        WEDNESDAY_10AM + timedelta(days=7),
        email="ana.new@example.org",
        consent_email=True,
        phone_proven=True,
    )
    with db.transaction() as session:
        book_visit(session, request, settings=settings, now=clock.now())
    reminders = [
        r for r in rows(db, Channel.EMAIL, MessageKind.REMINDER_48H) if r.appointment_id == first
    ]
    assert [r.to_email for r in reminders] == ["ana.new@example.org"]
    sender.round()
    assert [r.rcpt_tos for r in smtp_server.wait_for(2)][1] == ("ana.new@example.org",)


class SlowEmail:
    """The real SMTP backend, each send taking ``seconds`` longer (a slow mail server)."""

    def __init__(self, backend: SmtpBackend, seconds: float) -> None:
        self.backend, self.seconds = backend, seconds

    def send(self, email: OutgoingEmail) -> ProviderReceipt:
        time.sleep(self.seconds)
        return self.backend.send(email)


def test_emails_a_send_task_has_no_time_left_for_go_back_unsent_and_go_next_round(
    db: Database, settings: Settings, clock: FrozenClock, sender: Sender, smtp_server: SmtpServer
) -> None:
    """Each email is its own SMTP session: a task of many stops starting them when its budget
    is spent (its soft time limit must not interrupt it between a send and its record)."""
    for n, start in enumerate((WEDNESDAY_10AM, WEDNESDAY_10AM + timedelta(hours=1))):
        book(
            db,
            settings,
            clock.now(),
            start,
            email=f"p{n}@example.org",
            phone=f"+44740012345{n}",
            consent_email=True,
        )
    with db.transaction() as session:
        ids = claim_due(session, clock.now(), 500)
    emails = [r.id for r in rows(db, Channel.EMAIL, MessageKind.CONFIRMATION)]
    assert len(emails) == 2 and set(emails) <= set(ids)
    policy = dataclasses.replace(sender.policy, task_budget_s=2.0)
    slow = SlowEmail(sender.email, seconds=3.0)
    outcomes = send_outbound_messages(
        db,
        ids,
        sender.sms,
        clock,
        policy=policy,
        email_backend=slow,  # type: ignore[arg-type]
    )
    assert [outcomes[i] for i in emails] == [SendOutcome.SENT, SendOutcome.DEFERRED]
    assert len(smtp_server.received) == 1
    late = rows(db, Channel.EMAIL, MessageKind.CONFIRMATION)[1]
    assert (late.status, late.attempts) == (MessageStatus.PENDING, 0)
    assert sender.round() == {emails[1]: SendOutcome.SENT}
    assert len(smtp_server.wait_for(2)) == 2
