"""Every message reaches Twilio exactly once while workers die, Redis restarts, Twilio fails,
and two beats dispatch at once."""

from __future__ import annotations

import time

from tests.faults.conftest import MESSAGES
from tests.support.fault_stack import FaultStack
from tests.support.processes import wait_until


def assert_exactly_once(stack: FaultStack) -> None:
    report = stack.report()
    print(f"\n{report}")
    assert (report.delivered, report.duplicated, report.lost) == (stack.expected, 0, 0), report


def test_a_worker_killed_mid_run_loses_and_repeats_nothing(stack: FaultStack) -> None:
    stack.seed(MESSAGES)
    stack.beat()
    first = stack.worker("first")
    wait_until(lambda: stack.accepted() >= MESSAGES // 5, 120, 0.05, "sending to start")
    stack.kill(first)
    assert stack.accepted() < MESSAGES, "the worker must die mid-run for this test to mean much"
    stack.worker("second")
    stack.wait_until_all_sent(240)
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
