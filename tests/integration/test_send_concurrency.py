"""How many provider calls a send task makes at once: one while answers come quickly, up to
``SEND_CONCURRENCY`` once one is slow."""

from __future__ import annotations

import threading
from datetime import timedelta

from scheduler.clock import FrozenClock
from scheduler.db import Database
from scheduler.messaging.outbox import claim_due
from scheduler.messaging.sending import SendOutcome, SendPolicy, send_outbound_messages
from scheduler.messaging.sms.base import OutgoingSms, ProviderReceipt
from scheduler.messaging.sms.twilio_gateway import TwilioGateway
from tests.conftest import twilio_settings
from tests.fakes.fake_twilio import Behaviour, FakeTwilio
from tests.support.fault_stack import seed_confirmations

TEXTS = 8


class Watched:
    """The real gateway (real HTTP to the fake Twilio), watched: how many calls were under
    way at once, at most, and while the first call was."""

    def __init__(self, gateway: TwilioGateway) -> None:
        self.gateway = gateway
        self.lock = threading.Lock()
        self.under_way = 0
        self.most = 0
        self.calls = 0
        self.with_first = 0

    def send(self, sms: OutgoingSms) -> ProviderReceipt:
        with self.lock:
            self.calls += 1
            first = self.calls == 1
            self.under_way += 1
            self.most = max(self.most, self.under_way)
        try:
            return self.gateway.send(sms)
        finally:
            with self.lock:
                if first:
                    self.with_first = self.most
                self.under_way -= 1

    def __getattr__(self, name: str) -> object:
        return getattr(self.gateway, name)


# Quick is "within 20 ms" in a worker; here within half a second, so that a busy test machine
# cannot make a quick answer look slow, and the slow answers take a whole second.
POLICY = SendPolicy(quick_answer_s=0.5)
SLOW = 1.0


def send_batch(db: Database, clock: FrozenClock, watched: Watched, first: int = 0) -> None:
    seed_confirmations(db, TEXTS, clock.now() - timedelta(minutes=1), first=first)
    with db.transaction() as session:
        claimed = claim_due(session, clock.now(), 500)
    outcomes = send_outbound_messages(
        db,
        claimed,
        watched,  # type: ignore[arg-type]
        clock,
        None,
        POLICY,
        concurrency=4,
    )
    assert list(outcomes.values()) == [SendOutcome.SENT] * TEXTS


def test_a_provider_that_answers_at_once_is_called_one_text_at_a_time(
    db: Database, clock: FrozenClock, fake_twilio: FakeTwilio, backend: str
) -> None:
    watched = Watched(TwilioGateway(twilio_settings(fake_twilio)))
    send_batch(db, clock, watched)
    assert watched.calls == TEXTS
    assert watched.most == 1
    assert len(fake_twilio.messages) == TEXTS


def test_after_a_slow_answer_the_rest_of_the_batch_goes_up_to_four_at_once(
    db: Database, clock: FrozenClock, fake_twilio: FakeTwilio, backend: str
) -> None:
    fake_twilio.script(*[Behaviour.slow(SLOW)] * TEXTS)
    watched = Watched(TwilioGateway(twilio_settings(fake_twilio)))
    send_batch(db, clock, watched)
    assert watched.calls == TEXTS
    assert watched.with_first == 1  # the first call went alone
    assert 1 < watched.most <= 4
    assert len({m["body"] for m in fake_twilio.messages}) == TEXTS
