"""Every message reaches Twilio exactly once while workers die, Redis restarts, Twilio fails,
and two beats dispatch at once."""

from __future__ import annotations

import time

import pytest

from tests.fakes.fake_twilio import Behaviour
from tests.faults.conftest import FULL, MESSAGES, PHASE_SECONDS
from tests.support.fault_stack import FaultStack
from tests.support.processes import wait_until
from tests.support.services import PostgresDatabases, restart_postgres


def assert_exactly_once(stack: FaultStack) -> None:
    report = stack.report()
    print(f"\n{report}")
    assert (report.delivered, report.duplicated, report.lost, report.double_booked) == (
        stack.expected,
        0,
        0,
        0,
    ), report


def test_workers_killed_again_and_again_mid_run_lose_and_repeat_nothing(
    stack: FaultStack,
) -> None:
    stack.seed(MESSAGES)
    stack.beat()
    kills = 5 if FULL else 2
    worker = stack.worker("worker-0")
    for n in range(1, kills + 1):
        wait_until(
            lambda n=n: stack.accepted() >= MESSAGES * n // (kills + 2), 300, 0.05, "progress"
        )
        stack.kill(worker)
        assert stack.accepted() < MESSAGES, "each kill must land mid-run to mean much"
        worker = stack.worker(f"worker-{n}")
    stack.wait_until_all_sent(600)
    assert_exactly_once(stack)


def test_redis_killed_and_restarted_mid_run_loses_and_repeats_nothing(stack: FaultStack) -> None:
    stack.seed(MESSAGES)
    stack.beat()
    stack.worker()
    wait_until(lambda: stack.accepted() >= MESSAGES // 5, 120, 0.05, "sending to start")
    stack.redis.kill()
    assert stack.accepted() < MESSAGES, "Redis must die mid-run for this test to mean much"
    time.sleep(2)
    stack.redis.restart()
    stack.wait_until_all_sent(240)
    assert_exactly_once(stack)


def test_twilio_answering_500_for_a_while_still_gets_each_message_once(
    stack: FaultStack,
) -> None:
    stack.seed(MESSAGES)
    stack.fake.fail_for(5, status=500)
    stack.beat()
    stack.worker()
    stack.wait_until_all_sent(240)
    refused = [r for r in stack.fake.requests if r["method"] == "POST"]
    assert len(refused) > stack.expected  # some were refused with 500 and tried again
    assert_exactly_once(stack)


def test_two_beats_and_two_workers_at_once_send_each_message_once(stack: FaultStack) -> None:
    stack.seed(MESSAGES)
    stack.beat("beat-a")
    stack.beat("beat-b")
    stack.worker("worker-a")
    stack.worker("worker-b")
    stack.wait_until_all_sent(240)
    assert_exactly_once(stack)


def test_postgresql_restarted_mid_run_loses_and_repeats_nothing(
    stack: FaultStack, postgres_databases: PostgresDatabases
) -> None:
    if postgres_databases.server is None:
        pytest.skip("TEST_DATABASE_URL names a server this test cannot restart")
    stack.seed(MESSAGES)
    stack.beat()
    stack.worker()
    wait_until(lambda: stack.accepted() >= MESSAGES // 5, 120, 0.05, "sending to start")
    restart_postgres(postgres_databases.server)
    assert stack.accepted() < MESSAGES, "PostgreSQL must restart mid-run to mean much"
    stack.wait_until_all_sent(600)
    assert_exactly_once(stack)


def test_twilio_failing_then_throttling_then_timing_out_still_gets_each_message_once(
    stack: FaultStack,
) -> None:
    """500s for a while, then 429 with Retry-After, then answers too slow for the client
    (which Twilio nevertheless took): afterwards every message is there exactly once."""
    stack.seed(MESSAGES)
    stack.fake.fail_for(PHASE_SECONDS, status=500)
    stack.fake.script(
        *([Behaviour.error(429, 20429, retry_after=1)] * 50),
        *([Behaviour.accepted_but_slow(4.0)] * 20),
    )
    stack.beat()
    stack.worker()
    stack.wait_until_all_sent(900)
    statuses = [r for r in stack.fake.requests if r["method"] == "POST"]
    assert len(statuses) > stack.expected + 50  # the refusals were really there
    assert_exactly_once(stack)
