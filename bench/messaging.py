"""Messaging figures: 10,000 messages due at one instant, the bare-client floor, scale-out,
the shared send rate, and the workers' memory; all against the lean Twilio stand-in."""

from __future__ import annotations

import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select, text, update

from bench.cpu import CpuSampler
from bench.services import postmaster_pid
from ops.embedded_redis import EmbeddedRedis
from scheduler.db import Database
from scheduler.models import MessageStatus, OutboundMessage
from tests.fakes.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from tests.support.fault_stack import seed_confirmations
from tests.support.processes import ManagedProcess, celery_beat, celery_worker, wait_until
from tests.support.stack import process_env

MESSAGES = 10_000


LEAN = "bench.lean_twilio"
CONTRACT = "tests.fakes.fake_twilio"


@contextmanager
def fake_twilio_process(module: str = LEAN) -> Iterator[str]:
    """Twilio's stand-in in its own process (the lean one unless ``module`` names the contract
    fake); yields its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(10)


def stats(url: str) -> dict[str, Any]:
    """The stand-in's counts: ``count``, ``distinct_bodies``, ``accepted_at``."""
    reply: dict[str, Any] = requests.get(f"{url}/_fake/stats", timeout=30).json()
    return reply


def accepted(url: str) -> int:
    """How many messages the stand-in has accepted (a small answer, cheap to poll)."""
    return int(requests.get(f"{url}/_fake/count", timeout=30).json()["count"])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (a Celery worker's pool), in MB."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total = max(total, int(line.split()[1]))
        except FileNotFoundError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    return [int(c) for c in found]


def _env(
    database_url: str, redis_url: str, workdir: Path, fake_url: str, rate: float
) -> dict[str, str]:
    """Workers and beat sending through the twilio library to the stand-in, at ``rate`` a second."""
    return process_env(
        database_url,
        redis_url,
        workdir / "instance",
        None,
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=DEFAULT_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=DEFAULT_AUTH_TOKEN,
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=fake_url,
        SMS_RATE_PER_SECOND=str(rate),
        DISPATCH_INTERVAL_SECONDS="0.25",
        # Thousands of numbers texted for the first time, on purpose: no hourly ceiling.
        NEW_NUMBERS_PER_HOUR="0",
    )


class DispatchIncomplete(SystemExit):
    """Some messages did not arrive exactly once: no figure is given, and the run ends with
    this message and a non-zero status."""

    def __init__(self, expected: int, accepted: int, distinct: int, unsettled: int) -> None:
        lost, duplicated = expected - distinct, accepted - distinct
        super().__init__(
            f"dispatch benchmark failed: of {expected:,} messages, {lost:,} lost and "
            f"{duplicated:,} duplicated at Twilio ({unsettled:,} not yet recorded as sent); "
            "no figure reported"
        )
        self.lost, self.duplicated = lost, duplicated


def check_exactly_once(expected: int, accepted: int, distinct: int, unsettled: int) -> None:
    """:raise DispatchIncomplete: unless every one of ``expected`` messages (each its own
    text) reached the stand-in exactly once and no row is left unsent."""
    if distinct != expected or accepted != expected or unsettled:
        raise DispatchIncomplete(expected, accepted, distinct, unsettled)


@dataclass
class Dispatch:
    seconds: float
    p99_lateness: float
    per_second: float
    worker_rss_mb: float
    # CPU milliseconds per message from the due instant on, per kind of process: "worker"
    # (main and pool), "beat", "twilio" (the stand-in), "redis", "postgresql".
    cpu_ms: dict[str, float]


def _kind(pid: int, command: str) -> str:
    if " beat " in f"{command} ":
        return "beat"
    for kind, word in (
        ("worker", "celery"),
        ("twilio", "lean_twilio"),
        ("redis", "redis"),
        ("postgresql", "postgres"),
    ):
        if word in command:
            return kind
    return ""


def run_dispatch(
    database_url: str,
    workers: int,
    messages: int = MESSAGES,
    rate: float = 100_000,
    workdir: Path | None = None,
) -> Dispatch:
    """Seed ``messages`` due a few seconds ahead, start ``workers`` worker processes and beat,
    and time the Twilio stand-in's acceptances from the due instant.

    :raise DispatchIncomplete: when, by the deadline, not every message reached the Twilio stand-in
        exactly once with every row recorded as sent.
    """
    workdir = workdir or Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    redis = EmbeddedRedis(workdir / "redis").start()
    db = Database(database_url)
    roots = [os.getpid(), *filter(None, [postmaster_pid(database_url)])]
    with fake_twilio_process() as fake_url, CpuSampler(lambda: roots, _kind) as cpu:
        env = _env(database_url, redis.url, workdir, fake_url, rate)
        processes: list[ManagedProcess] = []
        try:
            # The stack is up and idle, as in a clinic, before the messages come due.
            processes.append(celery_worker(env, workdir, concurrency=workers))
            processes.append(beat := celery_beat(env, workdir))
            wait_until(lambda: "beat: Starting" in beat.log(), 60, 0.2, "beat")
            # Seeded due far ahead, then all made due at one instant a little after the
            # seeding and the statistics are done, whatever they took.
            seed_confirmations(db, messages, datetime.fromtimestamp(time.time() + 86_400, UTC))
            due = time.time() + 2
            _make_due(db, datetime.fromtimestamp(due, UTC))
            _analyze(db)
            time.sleep(max(0.0, due - time.time() - 0.1))
            cpu.mark()
            peak = 0.0
            deadline = time.monotonic() + 600
            while not _all_sent(db, fake_url, messages) and time.monotonic() < deadline:
                peak = max(peak, rss_mb(processes[0].process.pid))  # type: ignore[union-attr]
                time.sleep(0.2)
            final = stats(fake_url)
            unsettled = _unsent(db)
            cpu.stop()
        finally:
            for process in processes:
                process.stop()
            redis.stop()
            db.dispose()
    accepted = sorted(final["accepted_at"])
    check_exactly_once(messages, len(accepted), int(final["distinct_bodies"]), unsettled)
    late = [max(0.0, t - due) for t in accepted]
    span = accepted[-1] - max(due, accepted[0])
    return Dispatch(
        seconds=accepted[-1] - due,
        p99_lateness=statistics.quantiles(late, n=100)[98],
        per_second=len(accepted) / max(span, 1e-6),
        worker_rss_mb=peak,
        cpu_ms={kind: seconds * 1000 / messages for kind, seconds in cpu.by_kind().items()},
    )


def _make_due(db: Database, due: datetime) -> None:
    """Every seeded row due at ``due``."""
    with db.transaction() as session:
        session.execute(update(OutboundMessage).values(due_at=due))


def _analyze(db: Database) -> None:
    """Fresh planner statistics for the tables just seeded, as autovacuum keeps them for an
    outbox that fills over days: planned on the empty tables' statistics, PostgreSQL scans
    the whole outbox for each claim (about 100 times slower at 10,000 rows)."""
    with db.engine.begin() as connection:
        for table in ("outbound_messages", "patients", "consents"):
            connection.execute(text(f"ANALYZE {table}"))


def _unsent(db: Database) -> int:
    """Rows not yet recorded as sent."""
    with db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.status != MessageStatus.SENT)
            )
            or 0
        )


def _all_sent(db: Database, fake_url: str, messages: int) -> bool:
    """Every row recorded as sent, and the Twilio stand-in holding at least that many messages.

    Once every row is `sent`, no requeue or reconciliation can send any of them again."""
    return accepted(fake_url) >= messages and _unsent(db) == 0


def _floor_sender(url: str, start: int, count: int, gateway_client: bool = False) -> None:
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    from scheduler.messaging.sms.twilio_gateway import http_client

    client = Client(
        DEFAULT_ACCOUNT_SID,
        DEFAULT_AUTH_TOKEN,
        http_client=http_client(10, url) if gateway_client else TwilioHttpClient(timeout=10),
        environment={},
    )
    client.api.base_url = url
    for n in range(start, start + count):
        client.messages.create(to=f"+4474{n:08d}", from_="+15005550006", body=f"floor {n}")


def run_floor(
    processes: int = 2,
    messages: int = MESSAGES,
    module: str = LEAN,
    gateway_client: bool = False,
) -> float:
    """The same posts from a plain loop of the twilio client in ``processes`` processes, to
    the stand-in in ``module`` (the lean one by default): wall seconds. The client is the
    library's default one, or with ``gateway_client`` the one the gateway makes (the
    environment read once, not on every request)."""
    with fake_twilio_process(module) as url:
        share = messages // processes
        pool = [
            multiprocessing.Process(
                target=_floor_sender, args=(url, i * share, share, gateway_client)
            )
            for i in range(processes)
        ]
        began = time.monotonic()
        for p in pool:
            p.start()
        for p in pool:
            p.join()
        return time.monotonic() - began


def run_rate_limit(database_url: str, rate: float = 10.0, messages: int = 200) -> float:
    """Observed sends a second across four worker processes held to ``rate``: error in %."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-rate-"))
    redis = EmbeddedRedis(workdir / "redis").start()
    db = Database(database_url)
    with fake_twilio_process() as fake_url:
        env = _env(database_url, redis.url, workdir, fake_url, rate)
        processes = [celery_worker(env, workdir, concurrency=1, name=f"w{n}") for n in range(4)]
        try:
            seed_confirmations(db, messages, datetime.now(UTC))
            processes.append(celery_beat(env, workdir))
            wait_until(lambda: stats(fake_url)["count"] >= messages, 120 + messages / rate, 0.5)
            accepted = sorted(stats(fake_url)["accepted_at"])
        finally:
            for process in processes:
                process.stop()
            redis.stop()
            db.dispose()
    # Past the first second (the bucket starts full), the steady rate.
    steady = [t for t in accepted if t >= accepted[0] + 1.0]
    observed = (len(steady) - 1) / (steady[-1] - steady[0])
    return abs(observed - rate) / rate * 100
