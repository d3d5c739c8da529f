"""The outbox end to end without Celery: claims, send-time checks, Twilio answers, reconciliation.

The twilio library makes real HTTP calls to the local fake Twilio.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.messaging.outbox import claim_due, requeue_lost_claims
from scheduler.messaging.reconciliation import reconcile_stuck_sends
from scheduler.messaging.sending import SendOutcome, send_outbound_message
from scheduler.messaging.sms.twilio_gateway import TwilioGateway
from scheduler.models import (
    Appointment,
    Consent,
    ConsentKind,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
)
from scheduler.visits.cancellation import cancel_visit
from tests.conftest import twilio_settings
from tests.fakes.fake_twilio import Behaviour, FakeTwilio
from tests.support.factories import book, demo_clinic

WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
DAYS = [0, 1, 2, 5, 6]  # Wednesday to Friday, Monday, Tuesday (all before the DST change)
HOURS = [-1, 0, 1, 2, 4, 5, 6, 7]  # 09:00 to 17:00 around the lunch break
CALLBACK = "https://book.example.test/webhooks/twilio/status"


@pytest.fixture(autouse=True)
def clinic(db: Database) -> None:
    demo_clinic(db)


@pytest.fixture
def gateway(fake_twilio: FakeTwilio) -> TwilioGateway:
    return TwilioGateway(twilio_settings(fake_twilio))


def statuses(db: Database) -> dict[MessageKind, MessageStatus]:
    with db.session() as session:
        return dict(session.execute(select(OutboundMessage.kind, OutboundMessage.status)).all())


def claim(db: Database, clock: FrozenClock, limit: int = 500) -> list[int]:
    with db.transaction() as session:
        return claim_due(session, clock.now(), limit)


def send_all_due(db: Database, gateway: TwilioGateway, clock: FrozenClock) -> list[SendOutcome]:
    return [send_outbound_message(db, i, gateway, clock, CALLBACK) for i in claim(db, clock)]


def test_only_due_messages_are_claimed_and_each_only_once(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    book(db, settings, clock.now(), WEDNESDAY_10AM)
    first = claim(db, clock)
    assert len(first) == 1  # the confirmation; the reminders are not due
    assert claim(db, clock) == []
    clock.advance(WEDNESDAY_10AM - timedelta(hours=48) - clock.now())
    assert len(claim(db, clock)) == 1


def test_concurrent_dispatchers_claim_disjoint_batches_that_cover_every_due_row(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    for n in range(40):
        book(
            db,
            settings,
            clock.now(),
            WEDNESDAY_10AM + timedelta(hours=HOURS[n % 8], days=DAYS[n // 8]),
            phone=f"+4474001234{n:02d}",
        )
    barrier = threading.Barrier(4)
    batches: list[list[int]] = []

    def dispatcher() -> None:
        barrier.wait()
        for _ in range(10):
            batches.append(claim(db, clock, limit=3))

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [i for batch in batches for i in batch]
    assert len(claimed) == 40
    assert len(set(claimed)) == 40


def test_a_claimed_message_is_sent_once_through_twilio_and_its_sid_recorded(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    gateway: TwilioGateway,
    fake_twilio: FakeTwilio,
) -> None:
    book(db, settings, clock.now(), WEDNESDAY_10AM)
    (message_id,) = claim(db, clock)
    assert send_outbound_message(db, message_id, gateway, clock, CALLBACK) == SendOutcome.SENT
    # The same task delivered again (a redelivery) finds nothing to do.
    again = send_outbound_message(db, message_id, gateway, clock, CALLBACK)
    assert again == SendOutcome.NOT_CLAIMED
    (sent,) = fake_twilio.messages
    assert sent["to"] == "+447400123456"
    assert sent["body"].startswith("Hi Ana, booked: Clearwater Clinic, Wed 4 Mar at 10:00.")
    (request,) = [r for r in fake_twilio.requests if r["method"] == "POST"]
    assert request["form"]["StatusCallback"] == CALLBACK
    with db.session() as session:
        row = session.get_one(OutboundMessage, message_id)
        assert row.status == MessageStatus.SENT
        assert row.provider_sid == sent["sid"]
        assert row.sent_at == clock.now()
        assert row.attempts == 1


def test_cancelling_a_visit_cancels_its_unsent_messages_and_nothing_goes_out(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    gateway: TwilioGateway,
    fake_twilio: FakeTwilio,
) -> None:
    result = book(db, settings, clock.now(), WEDNESDAY_10AM)
    (confirmation,) = claim(db, clock)  # claimed (queued) but not yet sent
    with db.transaction() as session:
        visit = cancel_visit(session, result.appointment.id, clock.now()).visit
        assert visit.status == "cancelled"
    assert set(statuses(db).values()) == {MessageStatus.CANCELLED}
    outcome = send_outbound_message(db, confirmation, gateway, clock, CALLBACK)
    assert outcome == SendOutcome.NOT_CLAIMED
    clock.advance(timedelta(days=3))
    assert claim(db, clock) == []
    assert fake_twilio.messages == []


def test_a_cancellation_under_24_hours_is_recorded_as_late(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    result = book(db, settings, clock.now(), WEDNESDAY_10AM)
    clock.advance(timedelta(days=1, hours=12))  # Tuesday 20:00, 14 h before
    with db.transaction() as session:
        cancelled = cancel_visit(session, result.appointment.id, clock.now())
        assert cancelled.visit.status == "cancelled_late" and cancelled.late


def test_a_reminder_for_a_moved_visit_is_not_sent(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    gateway: TwilioGateway,
    fake_twilio: FakeTwilio,
) -> None:
    result = book(db, settings, clock.now(), WEDNESDAY_10AM)
    clock.advance(WEDNESDAY_10AM - timedelta(hours=48) - clock.now())
    due = claim(db, clock)
    with db.transaction() as session:  # moved behind the outbox's back
        visit = session.get_one(Appointment, result.appointment.id)
        visit.starts_at += timedelta(hours=1)
        visit.ends_at += timedelta(hours=1)
        visit.blocked_until += timedelta(hours=1)
    outcomes = [send_outbound_message(db, i, gateway, clock, CALLBACK) for i in due]
    assert SendOutcome.CANCELLED in outcomes
    assert all(m["body"].find("reminder") == -1 for m in fake_twilio.messages)


def test_consent_is_checked_at_send_time(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    gateway: TwilioGateway,
    fake_twilio: FakeTwilio,
) -> None:
    result = book(db, settings, clock.now(), WEDNESDAY_10AM)
    with db.transaction() as session:
        session.add(
            Consent(
                patient_id=result.patient.id,
                kind=ConsentKind.REMINDERS,
                granted=False,
                wording="withdrawn on the manage page",
                channel="web",
                recorded_at=clock.now(),
            )
        )
    assert send_all_due(db, gateway, clock) == [SendOutcome.SKIPPED]
    assert fake_twilio.messages == []
    with db.session() as session:
        row = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == MessageKind.CONFIRMATION)
        ).one()
        assert row.status == MessageStatus.SKIPPED
        assert "consent" in (row.error_message or "")


def test_an_invalid_number_fails_permanently_with_its_code(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    gateway: TwilioGateway,
    fake_twilio: FakeTwilio,
) -> None:
    book(db, settings, clock.now(), WEDNESDAY_10AM)
    fake_twilio.reject_number("+447400123456", status=400, code=21211)
    assert send_all_due(db, gateway, clock) == [SendOutcome.FAILED]
    with db.session() as session:
        row = session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == MessageKind.CONFIRMATION)
        ).one()
        assert (row.status, row.error_code) == (MessageStatus.FAILED, "21211")


def test_an_unsubscribed_recipient_is_recorded_as_opted_out(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    gateway: TwilioGateway,
    fake_twilio: FakeTwilio,
) -> None:
    result = book(db, settings, clock.now(), WEDNESDAY_10AM)
    fake_twilio.reject_number("+447400123456", status=400, code=21610)
    assert send_all_due(db, gateway, clock) == [SendOutcome.FAILED]
    with db.session() as session:
        assert session.get_one(Patient, result.patient.id).sms_opted_out_at == clock.now()
    clock.advance(WEDNESDAY_10AM - timedelta(hours=48) - clock.now())
    assert send_all_due(db, gateway, clock) == [SendOutcome.SKIPPED]


def test_too_many_requests_puts_the_message_back_with_a_backoff(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    gateway: TwilioGateway,
    fake_twilio: FakeTwilio,
) -> None:
    book(db, settings, clock.now(), WEDNESDAY_10AM)
    fake_twilio.script(Behaviour.error(429, 20429, retry_after=1))
    assert send_all_due(db, gateway, clock) == [SendOutcome.RETRY_SCHEDULED]
    with db.session() as session:
        row = session.scalars(select(OutboundMessage).where(OutboundMessage.attempts > 0)).one()
        assert row.status == MessageStatus.PENDING
        assert row.due_at > clock.now()
        assert row.error_code == "20429"
    assert send_all_due(db, gateway, clock) == []  # not due yet
    clock.advance(timedelta(minutes=5))
    assert send_all_due(db, gateway, clock) == [SendOutcome.SENT]
    assert len(fake_twilio.messages) == 1


def test_a_server_error_is_not_resent_blindly_but_reconciled_first(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    gateway: TwilioGateway,
    fake_twilio: FakeTwilio,
) -> None:
    book(db, settings, clock.now(), WEDNESDAY_10AM)
    fake_twilio.script(Behaviour.error(500))
    assert send_all_due(db, gateway, clock) == [SendOutcome.OUTCOME_UNKNOWN]
    assert statuses(db)[MessageKind.CONFIRMATION] == MessageStatus.SENDING
    clock.advance(timedelta(minutes=5))
    counts = reconcile_stuck_sends(db, gateway, clock, timedelta(seconds=90))
    assert counts == {"found": 0, "requeued": 1, "unresolved": 0, "unknown": 0}
    assert send_all_due(db, gateway, clock) == [SendOutcome.SENT]
    assert len(fake_twilio.messages) == 1


def test_a_send_that_timed_out_after_twilio_took_it_is_found_and_not_repeated(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    fake_twilio: FakeTwilio,
) -> None:
    quick = TwilioGateway(
        twilio_settings(fake_twilio).__class__(
            **{**twilio_settings(fake_twilio).__dict__, "request_timeout_s": 0.5}
        )
    )
    book(db, settings, clock.now(), WEDNESDAY_10AM)
    fake_twilio.script(Behaviour.accepted_but_slow(2.0))
    assert send_all_due(db, quick, clock) == [SendOutcome.OUTCOME_UNKNOWN]
    clock.advance(timedelta(minutes=5))
    counts = reconcile_stuck_sends(db, quick, clock, timedelta(seconds=90))
    assert counts == {"found": 1, "requeued": 0, "unresolved": 0, "unknown": 0}
    assert statuses(db)[MessageKind.CONFIRMATION] == MessageStatus.SENT
    assert send_all_due(db, quick, clock) == []
    assert len(fake_twilio.messages) == 1


def test_a_claim_whose_task_was_lost_is_handed_back_and_sent_once(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    gateway: TwilioGateway,
    fake_twilio: FakeTwilio,
) -> None:
    book(db, settings, clock.now(), WEDNESDAY_10AM)
    lost = claim(db, clock)  # the send task never arrives
    clock.advance(timedelta(minutes=3))
    with db.transaction() as session:
        assert requeue_lost_claims(session, clock.now(), timedelta(minutes=2)) == 1
    again = claim(db, clock)
    assert again == lost
    # The old task turns up late after all: only one of the two sends.
    outcomes = [send_outbound_message(db, i, gateway, clock, CALLBACK) for i in lost + again]
    assert sorted(outcomes) == [SendOutcome.NOT_CLAIMED, SendOutcome.SENT]
    assert len(fake_twilio.messages) == 1


def test_a_reconciliation_that_overlaps_a_new_attempt_leaves_that_attempt_alone(
    db: Database, settings: Settings, clock: FrozenClock
) -> None:
    """Two reconciliation runs overlap: the first hands a stuck row back and it is sent again;
    the second, which looked the row up before that, must not hand it back a second time."""
    book(db, settings, clock.now(), WEDNESDAY_10AM)
    (message_id,) = claim(db, clock)
    with db.transaction() as session:
        row = session.get_one(OutboundMessage, message_id)
        row.status = MessageStatus.SENDING  # an attempt whose outcome is unknown
    clock.advance(timedelta(minutes=5))
    newer = clock.now() + timedelta(seconds=1)

    class Overlapping:
        """An SMS backend whose lookup is overtaken: meanwhile a new attempt started."""

        name = "overlap"

        def send(self, sms):  # type: ignore[no-untyped-def]
            raise AssertionError("reconciliation never sends")

        def find_sent(self, to, body, since):  # type: ignore[no-untyped-def]
            with db.transaction() as session:
                again = session.get_one(OutboundMessage, message_id)
                again.claimed_at = newer  # handed back by the other run, claimed, sending
            return None

    counts = reconcile_stuck_sends(db, Overlapping(), clock, timedelta(seconds=90))
    assert counts == {"found": 0, "requeued": 0, "unresolved": 0, "unknown": 0}
    with db.session() as session:
        row = session.get_one(OutboundMessage, message_id)
        assert (row.status, row.claimed_at) == (MessageStatus.SENDING, newer)


def test_a_send_not_started_before_its_deadline_is_handed_back_unsent(
    db: Database,
    settings: Settings,
    clock: FrozenClock,
    gateway: TwilioGateway,
    fake_twilio: FakeTwilio,
) -> None:
    """Reconciliation may look a row up once it is past the deadline: no call may start then."""
    from scheduler.messaging.sending import SendPolicy, send_outbound_messages

    book(db, settings, clock.now(), WEDNESDAY_10AM)
    ids = claim(db, clock)
    outcomes = send_outbound_messages(
        db, ids, gateway, clock, CALLBACK, SendPolicy(deadline_s=-1.0)
    )
    assert set(outcomes.values()) == {SendOutcome.DEFERRED}
    assert fake_twilio.messages == []
    assert statuses(db)[MessageKind.CONFIRMATION] == MessageStatus.PENDING
