"""A send task's SQL statements: a handful for its whole batch, as many for 60 texts as for 5."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.clock import FrozenClock
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.messaging.outbox import claim_due
from scheduler.messaging.sending import SendOutcome, SendPolicy, send_outbound_messages
from scheduler.messaging.sms.twilio_gateway import TwilioGateway
from tests.conftest import twilio_settings
from tests.fakes.fake_twilio import FakeTwilio
from tests.integration.test_query_counts import counting
from tests.support.factories import book, demo_clinic
from tests.support.fault_stack import seed_confirmations

# Measured when written (SQLite's include its BEGINs): the claim of the texts, one query reading
# them with their patients' consents and visits, and one executemany recording what was sent.
MOST = {"sqlite": 5, "postgresql": 3}
WEDNESDAY_10AM = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def send(db: Database, clock: FrozenClock, gateway: TwilioGateway, count: int, first: int) -> int:
    """Seed ``count`` due texts, claim them, and send them as one task: the statements run."""
    seed_confirmations(db, count, clock.now() - timedelta(minutes=1), first=first)
    with db.transaction() as session:
        claimed = claim_due(session, clock.now(), 500)
    assert len(claimed) == count
    with counting(db.engine) as statements:
        outcomes = send_outbound_messages(db, claimed, gateway, clock, None, SendPolicy())
    assert set(outcomes.values()) == {SendOutcome.SENT}
    return len(statements)


def test_a_send_task_runs_as_many_statements_for_60_texts_as_for_5(
    db: Database, clock: FrozenClock, fake_twilio: FakeTwilio, backend: str
) -> None:
    gateway = TwilioGateway(twilio_settings(fake_twilio))
    few = send(db, clock, gateway, 5, first=0)
    many = send(db, clock, gateway, 60, first=100)
    assert few == many <= MOST[backend]
    assert len(fake_twilio.messages) == 65


def send_visit_texts(
    db: Database, settings: Settings, clock: FrozenClock, gateway: TwilioGateway, days: list[int]
) -> int:
    """Book a visit on each of ``days`` (after a Wednesday, at 10:00), each for its own
    patient, and send their confirmations as one task: the statements run."""
    for day in days:
        start = WEDNESDAY_10AM + timedelta(days=day)
        book(db, settings, clock.now(), start, phone=f"+4474005{day:05d}")
    with db.transaction() as session:
        claimed = claim_due(session, clock.now(), 500)
    assert len(claimed) == len(days)
    with counting(db.engine) as statements:
        outcomes = send_outbound_messages(db, claimed, gateway, clock, None, SendPolicy())
    assert set(outcomes.values()) == {SendOutcome.SENT}
    return len(statements)


def test_visit_texts_are_checked_against_their_visits_without_a_query_each(
    db: Database, settings: Settings, clock: FrozenClock, fake_twilio: FakeTwilio, backend: str
) -> None:
    demo_clinic(db)
    gateway = TwilioGateway(twilio_settings(fake_twilio))
    one = send_visit_texts(db, settings, clock, gateway, [0])
    four = send_visit_texts(db, settings, clock, gateway, [1, 2, 5, 6])
    assert one == four <= MOST[backend]
    assert len(fake_twilio.messages) == 5
