"""No email ever reaches the SMTP server twice while workers or their pool children die mid-send;
an email whose outcome is unknown is settled as failed with staff alerted, never resent."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from scheduler.messaging.reconciliation import UNKNOWN_EMAIL
from scheduler.models import Channel, MessageStatus, OutboundMessage, StaffAlert
from tests.faults.conftest import FULL, MESSAGES
from tests.support.fault_stack import FaultStack
from tests.support.processes import wait_until
from tests.support.smtp_server import SmtpServer

# The Message-ID every attempt at one outbox row carries: <outbox-<row id>@<host>>.
MESSAGE_ID = re.compile(r"^<outbox-(\d+)@[^>]+>$")
UNSETTLED = (MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING)


@dataclass(frozen=True)
class EmailReport:
    """What the SMTP server took, keyed by Message-ID, against how the outbox rows ended.

    - ``due``: the email rows seeded;
    - ``sent``: rows in ``sent``; ``sent_not_once``: of those, how many the server did not
      take exactly once (must be 0);
    - ``delivered``: rows the server took at least once; ``duplicated``: copies taken beyond
      the first, over all rows (must be 0);
    - ``unknown``: rows failed with ``outcome-unknown`` (a worker died, or the answer was
      lost, after the content may have gone); ``unknown_arrived``: of those, how many the
      server did take; ``unknown_missing`` the rest: undelivered, and staff were told;
      ``unalerted``: unknown rows without their staff alert (must be 0);
    - ``lost``: rows neither delivered nor flagged to staff, ``due - delivered -
      unknown_missing`` (must be 0);
    - ``other``: rows ending in any other state, by state (must be empty), and ``stray``:
      messages taken that name no seeded row (must be 0).
    """

    due: int
    sent: int
    sent_not_once: int
    delivered: int
    duplicated: int
    unknown: int
    unknown_arrived: int
    unalerted: int
    other: dict[str, int]
    stray: int

    @property
    def unknown_missing(self) -> int:
        return self.unknown - self.unknown_arrived

    @property
    def lost(self) -> int:
        return self.due - self.delivered - self.unknown_missing

    def __str__(self) -> str:
        return (
            f"due {self.due}, sent {self.sent}, delivered {self.delivered}, "
            f"duplicated {self.duplicated}, unknown {self.unknown} (arrived "
            f"{self.unknown_arrived}, staff alerted for {self.unknown - self.unalerted}), "
            f"lost {self.lost}, other {self.other}, stray {self.stray}"
        )


def email_report(stack: FaultStack) -> EmailReport:
    """Count what the stack's SMTP server took against the email rows' final states."""
    assert stack.smtp is not None
    taken: Counter[int] = Counter()
    stray = 0
    for received in stack.smtp.received:
        match = MESSAGE_ID.match(str(received.message["Message-ID"]).strip())
        if match is None:
            stray += 1
        else:
            taken[int(match.group(1))] += 1
    with stack.db.session() as session:
        rows = session.execute(
            select(OutboundMessage.id, OutboundMessage.status, OutboundMessage.error_code).where(
                OutboundMessage.channel == Channel.EMAIL
            )
        ).all()
        alerted = set(
            session.scalars(
                select(StaffAlert.message_id).where(StaffAlert.kind == "email_outcome_unknown")
            )
        )
    ids = {row.id for row in rows}
    sent = [row.id for row in rows if row.status == MessageStatus.SENT]
    unknown = [
        row.id
        for row in rows
        if row.status == MessageStatus.FAILED and row.error_code == UNKNOWN_EMAIL
    ]
    ended = set(sent) | set(unknown)
    other = Counter(f"{row.status.value}:{row.error_code}" for row in rows if row.id not in ended)
    return EmailReport(
        due=stack.expected,
        sent=len(sent),
        sent_not_once=sum(1 for i in sent if taken[i] != 1),
        delivered=sum(1 for i in taken if i in ids),
        duplicated=sum(count - 1 for count in taken.values()),
        unknown=len(unknown),
        unknown_arrived=sum(1 for i in unknown if taken[i]),
        unalerted=sum(1 for i in unknown if i not in alerted),
        other=dict(other),
        stray=stray + sum(count for i, count in taken.items() if i not in ids),
    )


def received(stack: FaultStack, count: int) -> bool:
    """Whether the SMTP server has taken ``count`` messages yet."""
    return stack.emails_received() >= count


def unsettled(stack: FaultStack) -> int:
    """Email rows still pending, queued or sending."""
    with stack.db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(
                    OutboundMessage.channel == Channel.EMAIL,
                    OutboundMessage.status.in_(UNSETTLED),
                )
            )
            or 0
        )


def wait_until_emails_settled(stack: FaultStack, timeout: float) -> EmailReport:
    """No email row left to move, then past every requeue and reconcile timer the last claim
    could have started (``settle_seconds``): a late send would be counted too."""
    wait_until(lambda: unsettled(stack) == 0, timeout, 0.5, "every email row settled")
    quiet_from = stack.last_claim() + timedelta(seconds=stack.settle_seconds)
    wait_until(lambda: datetime.now(UTC) >= quiet_from, stack.settle_seconds + 5, 0.5)
    report = email_report(stack)
    assert unsettled(stack) == 0, "rows moved after every email row had settled"
    return report


def assert_never_twice(report: EmailReport, kills: int) -> None:
    """Nothing taken twice, every row sent once or flagged to staff, nothing lost."""
    print(f"\n{report}")
    assert report.duplicated == 0, report
    assert report.other == {}, report  # each row sent, or failed with its outcome unknown
    assert report.sent + report.unknown == report.due, report
    assert report.sent_not_once == 0, report
    assert report.unalerted == 0, report
    assert (report.lost, report.stray) == (0, 0), report
    # Each kill left at least the row its open connection carried in `sending`.
    assert report.unknown >= kills, report


@pytest.fixture
def email_stack(stack: FaultStack) -> Iterator[FaultStack]:
    """The fault stack with a real SMTP server its workers send email through."""
    with SmtpServer() as server:
        stack.use_smtp(server)
        try:
            yield stack
        finally:
            stack.stop()  # the workers first, while the server still answers


def test_workers_killed_again_and_again_mid_send_never_repeat_an_email(
    email_stack: FaultStack,
) -> None:
    stack = email_stack
    stack.seed_emails(MESSAGES)
    stack.beat()
    kills = 5 if FULL else 2
    worker = stack.worker("worker-0")
    for n in range(1, kills + 1):
        wait_until(partial(received, stack, MESSAGES * n // (kills + 2)), 300, 0.05, "progress")
        wait_until(partial(stack.stop_mid_send, worker), 60, 0.005, "a child mid-send")
        stack.kill(worker)  # the main process and its whole pool, an SMTP session open
        assert stack.emails_received() < MESSAGES, "each kill must land mid-run to mean much"
        worker = stack.worker(f"worker-{n}")
    report = wait_until_emails_settled(stack, 600)
    print(f"\nworkers killed mid-send: {kills}, reconciled: {dict(stack.reconciled())}")
    assert_never_twice(report, kills)


def test_pool_children_killed_mid_send_never_repeat_an_email(email_stack: FaultStack) -> None:
    """SIGKILL one prefork child at a time, each while it has an SMTP session open; the
    worker's main process lives on and starts a new child."""
    stack = email_stack
    stack.seed_emails(MESSAGES)
    worker = stack.worker()
    stack.beat()
    kills = 5 if FULL else 3
    killed: list[int] = []
    for n in range(1, kills + 1):
        wait_until(partial(received, stack, MESSAGES * n // (kills + 2)), 300, 0.05, "progress")
        child = wait_until(lambda: stack.stop_mid_send(worker), 60, 0.005, "a child mid-send")
        assert isinstance(child, int)
        stack.kill_child(child)
        killed.append(child)
        assert stack.emails_received() < MESSAGES, "each kill must land mid-run to mean much"
    report = wait_until_emails_settled(stack, 600)
    print(f"\nchildren killed mid-send: {len(killed)}, reconciled: {dict(stack.reconciled())}")
    assert worker.running, "the worker's main process must live through its children's deaths"
    log = worker.log()
    assert all(f"pid:{child} exited with 'signal 9" in log for child in killed), killed
    assert_never_twice(report, kills)
