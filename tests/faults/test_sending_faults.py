"""Every message reaches Twilio exactly once while workers or their pool children die, Redis
restarts, Twilio fails, and two beats dispatch at once; counted once every timer has run out."""

from __future__ import annotations

import itertools
import time
from collections import Counter

import pytest

from tests.fakes.fake_twilio import Behaviour
from tests.faults.conftest import FULL, MESSAGES, PHASE_SECONDS
from tests.support.fault_stack import FaultStack
from tests.support.processes import wait_until
from tests.support.services import PostgresDatabases, restart_postgres


def assert_exactly_once(stack: FaultStack) -> None:
    """Counted from what the fake Twilio stored, after every requeue and reconcile timer."""
    report = stack.report()
    print(f"\n{report}")
    assert (report.delivered, report.duplicated, report.lost, report.double_booked) == (
        stack.expected,
        0,
        0,
        0,
    ), report


# Near Twilio's pace: each create answered after this long (slower than a quick answer, so the
# workers send several at once). The kill scenarios need sends in flight to kill; against a
# fake that answers at once, a worker sends one text at a time and a run of 1,000 can end
# between two kills. At 10,000 messages these runs take about five minutes.
TWILIO_ANSWERS_S = 0.03


def answer_at_twilios_pace(stack: FaultStack) -> None:
    """Every create of the run (its retries too) answered after ``TWILIO_ANSWERS_S``."""
    stack.fake.script(*[Behaviour.slow(TWILIO_ANSWERS_S)] * (3 * MESSAGES))


@pytest.mark.timeout(900)
def test_workers_killed_again_and_again_mid_run_lose_and_repeat_nothing(
    stack: FaultStack,
) -> None:
    stack.seed(MESSAGES)
    answer_at_twilios_pace(stack)
    stack.beat()
    kills = 5 if FULL else 2
    worker = stack.worker("worker-0")
    for n in range(1, kills + 1):
        wait_until(
            lambda n=n: stack.accepted() >= MESSAGES * n // (kills + 2), 300, 0.05, "progress"
        )
        wait_until(lambda w=worker: stack.sending_child(w), 60, 0.005, "a child mid-send")
        stack.kill(worker)  # the main process and its whole pool, a request to Twilio open
        assert stack.accepted() < MESSAGES, "each kill must land mid-run to mean much"
        worker = stack.worker(f"worker-{n}")
    stack.wait_until_settled(600)
    settled = stack.reconciled()
    print(f"\nworkers killed mid-send: {kills}, reconciled: {dict(settled)}")
    assert settled["found"] + settled["requeued"] >= kills  # rows left in `sending` settled
    assert_exactly_once(stack)


@pytest.mark.timeout(900)
def test_pool_children_killed_mid_send_while_the_worker_lives_lose_and_repeat_nothing(
    stack: FaultStack,
) -> None:
    """SIGKILL one prefork child at a time, each while it has a request open to Twilio; the
    worker's main process lives on, gets its task back and starts a new child."""
    stack.seed(MESSAGES)
    answer_at_twilios_pace(stack)
    worker = stack.worker()
    stack.beat()
    kills = 5 if FULL else 3
    killed: list[int] = []
    for n in range(1, kills + 1):
        wait_until(
            lambda n=n: stack.accepted() >= MESSAGES * n // (kills + 2), 300, 0.05, "progress"
        )
        child = wait_until(lambda: stack.sending_child(worker), 60, 0.005, "a child mid-send")
        stack.kill_child(child)  # type: ignore[arg-type]
        killed.append(child)  # type: ignore[arg-type]
        assert stack.accepted() < MESSAGES, "each kill must land mid-run to mean much"
    stack.wait_until_settled(600)
    settled = stack.reconciled()
    print(f"\nchildren killed mid-send: {len(killed)}, reconciled: {dict(settled)}")
    assert worker.running, "the worker's main process must live through its children's deaths"
    log = worker.log()
    assert all(f"pid:{child} exited with 'signal 9" in log for child in killed), killed
    assert settled["found"] + settled["requeued"] >= kills  # rows left in `sending` settled
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
    stack.wait_until_settled(240)
    assert stack.logged("Connection to broker lost") >= 1, "the worker must have seen it go"
    assert_exactly_once(stack)


def test_twilio_answering_500_for_a_while_still_gets_each_message_once(
    stack: FaultStack,
) -> None:
    stack.seed(MESSAGES)
    stack.fake.fail_for(5, status=500)
    stack.beat()
    stack.worker()
    stack.wait_until_settled(240)
    refused = Counter(stack.fake.answers())["failing 500"]
    print(f"\nanswered 500: {refused}, reconciled: {dict(stack.reconciled())}")
    assert refused > 0
    # Each 500 left its row in `sending`; Twilio had nothing, so each was handed back once.
    settled = stack.reconciled()
    assert settled["found"] + settled["requeued"] == stack.logged("not sent: unknown (")
    assert settled["requeued"] >= refused
    assert_exactly_once(stack)


def test_two_beats_and_two_workers_at_once_send_each_message_once(stack: FaultStack) -> None:
    # Both workers listening (each start waits for "ready.") before any work is due: else on
    # a busy machine the first one up may take every task before the second is there.
    workers = [stack.worker("worker-a"), stack.worker("worker-b")]
    stack.seed(MESSAGES)
    beats = [stack.beat("beat-a", loglevel="DEBUG"), stack.beat("beat-b", loglevel="DEBUG")]
    stack.wait_until_settled(240)
    dispatches = [b.log().count("Sending due task dispatch-due-messages") for b in beats]
    sends = [
        sum("clinic.send_messages[" in line and line.endswith("received") for line in lines)
        for lines in (w.log().splitlines() for w in workers)
    ]
    print(f"\ndispatches sent by each beat: {dispatches}, send tasks seen by each worker: {sends}")
    assert min(dispatches) > 0 and min(sends) > 0, "both beats and both workers must take part"
    assert_exactly_once(stack)


def test_postgresql_restarted_mid_run_loses_and_repeats_nothing(
    stack: FaultStack, postgres_databases: PostgresDatabases
) -> None:
    if postgres_databases.server is None:
        pytest.skip("TEST_DATABASE_URL names a server this test cannot restart")
    stack.seed(MESSAGES)
    stack.beat()
    stack.worker()
    started = stack.database_started()
    wait_until(lambda: stack.accepted() >= MESSAGES // 5, 120, 0.05, "sending to start")
    restart_postgres(postgres_databases.server)
    assert stack.accepted() < MESSAGES, "PostgreSQL must restart mid-run to mean much"
    stack.wait_until_settled(600)
    assert stack.database_started() > started, "PostgreSQL must really have restarted"
    assert_exactly_once(stack)


def test_twilio_failing_then_throttling_then_timing_out_still_gets_each_message_once(
    stack: FaultStack,
) -> None:
    """500s for a while, then 429 with Retry-After, then answers slower than the client waits
    (which Twilio nevertheless took), in that order: each phase happens and does what it
    should, and afterwards every message is there exactly once."""
    throttled, late = 50, 20
    slow = stack.settings.twilio.request_timeout_s + 1
    stack.seed(MESSAGES)
    stack.fake.fail_for(PHASE_SECONDS, status=500)
    stack.fake.script(
        *([Behaviour.error(429, 20429, retry_after=1)] * throttled),
        *([Behaviour.accepted_but_slow(slow)] * late),
    )
    stack.beat()
    stack.worker()
    stack.wait_until_settled(900)
    phases = phase_counts(stack, f"scripted 201 after {slow:g}s")
    print(f"\nphases: {phases}")
    assert phases["answered 500"] > 0
    assert (phases["answered 429"], phases["answered late"]) == (throttled, late)
    assert phases["client timed out"] >= late
    assert phases["rescheduled after 429"] == throttled
    # Every unknown outcome (a 500, a timeout) was settled once by a lookup at Twilio: the
    # 500s, which Twilio never took, handed back; the late answers, which it took, found.
    assert phases["found"] + phases["requeued"] == phases["outcome unknown"]
    assert phases["requeued"] >= phases["answered 500"] and phases["found"] >= late
    assert phases["lookups"] >= phases["outcome unknown"]
    assert_exactly_once(stack)


def phase_counts(stack: FaultStack, late_label: str) -> dict[str, int]:
    """What each phase of Twilio's trouble did, checking the phases came in order."""
    answers = stack.fake.answers()
    order = [label for label in ("failing 500", "scripted 429", late_label) if label in answers]
    spans = [(answers.index(x), len(answers) - answers[::-1].index(x)) for x in order]
    assert order == ["failing 500", "scripted 429", late_label], order
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(spans)), spans
    counted = Counter(answers)
    reconciled = stack.reconciled()
    return {
        "answered 500": counted["failing 500"],
        "answered 429": counted["scripted 429"],
        "answered late": counted[late_label],
        "answered 201": counted["201"],
        "client timed out": stack.logged("not sent: unknown (timeout)"),
        "outcome unknown": stack.logged("not sent: unknown ("),
        "rescheduled after 429": stack.logged("not sent: retry_later (20429)"),
        "lookups": sum(
            1 for r in stack.fake.requests if r["method"] == "GET" and "To" in r["query"]
        ),
        "found": reconciled["found"],
        "requeued": reconciled["requeued"],
        "unresolved": reconciled["unresolved"],
    }
