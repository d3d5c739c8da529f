"""A send task's SQL statements: a handful for its whole batch, as many for 60 texts as for 5."""

from __future__ import annotations

from datetime import timedelta

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.messaging.outbox import claim_due
from scheduler.messaging.sending import SendOutcome, SendPolicy, send_outbound_messages
from scheduler.messaging.sms.twilio_gateway import TwilioGateway
from tests.conftest import twilio_settings
from tests.fakes.fake_twilio import FakeTwilio
from tests.integration.test_query_counts import counting
from tests.support.fault_stack import seed_confirmations

# Measured when written (SQLite's include its BEGINs): the channel look-up, the claim, the rows
# with their patients and consents, and one executemany recording what was sent.
MOST = {"sqlite": 9, "postgresql": 6}


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
