"""A chaos soak's moving parts: the web app under gunicorn, booking clients, a seeder and faults.

Each part runs in its own thread against a ``FaultStack`` and records what it did: every
booking's answer (with when it was asked and answered), every batch of texts made due, every
fault with its time. ``count_messages`` then compares the outbox with what the fake Twilio
stored, keyed by (to, body) so that two patients' texts are never confused.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from ops.embedded_redis import free_port
from scheduler.calendar.availability import from_minutes
from scheduler.calendar.snapshot import free_slots
from scheduler.clinical.safety import QUESTIONS
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import MessageStatus, OutboundMessage, Practitioner, Service
from tests.support.booking_requests import prove_phone
from tests.support.fault_stack import FaultStack, seed_confirmations
from tests.support.processes import (
    BIN,
    ManagedProcess,
    child_pids,
    serving_on,
    wait_for_http,
    wait_until,
)
from tests.support.services import restart_postgres

T = TypeVar("T")
ZONE = ZoneInfo("Europe/London")
CLEAR_SCREEN = {q.code: False for q in QUESTIONS}
UNSENT = (MessageStatus.PENDING, MessageStatus.QUEUED, MessageStatus.SENDING)
# What the product decided not to send (a visit cancelled or moved, no consent): not lost.
NOT_TO_SEND = (MessageStatus.CANCELLED, MessageStatus.SKIPPED)
NO_ANSWER = "no answer"
# A request that loses its connection this long around a kill is put down to the kill.
KILL_GRACE_S = 5.0
# Phones each booking client has proven ahead of its bookings.
PROOFS_AHEAD = 8
FAULT_KINDS = ("web worker", "celery worker", "pool child", "beat", "redis", "postgres")
# Kills that may leave a booking without an answer (its web worker, or its database, died).
KILLS_THAT_DROP_REQUESTS = ("web worker", "postgres")


def gunicorn_web(env: dict[str, str], logs: Path, workers: int = 2) -> tuple[ManagedProcess, str]:
    """The web app served by gunicorn with ``workers`` sync workers; (process, base URL)."""
    port = free_port()
    web = ManagedProcess(
        "web",
        [
            str(BIN / "gunicorn"), "--config", "python:ops.gunicorn_conf",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "web.wsgi:app",
        ],
        env,
        logs,
    ).start()  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{base_url}/healthz", timeout=60)
    return web, base_url


def web_workers(web: ManagedProcess) -> list[int]:
    """The gunicorn master's worker processes."""
    assert web.process is not None
    return child_pids(web.process.pid)


def booking_slots(db: Database, days_ahead: int = 3, days: int = 84) -> list[tuple[int, int, str]]:
    """(service, practitioner, start) for acupuncture on the hour and half hour, from
    ``days_ahead`` days on: far enough that no reminder falls due during the soak. Starts half
    an hour apart overlap, so some of them are refused even without a race."""
    now = datetime.now(UTC)
    today = now.astimezone(ZONE).date()
    found: list[tuple[int, int, str]] = []
    with db.session() as session:
        service = session.scalars(select(Service).where(Service.code == "acupuncture")).one()
        giving = {p.id for p in session.scalars(select(Practitioner)) if p.offers(service)}
        for chunk in range(days_ahead, days_ahead + days, 28):
            for option in free_slots(
                session,
                service_id=service.id,
                first_day=today + timedelta(days=chunk),
                last_day=today + timedelta(days=min(chunk + 27, days_ahead + days - 1)),
                zone=ZONE,
                now=now,
            ):
                start = from_minutes(option.start)
                if start.minute % 30:
                    continue
                found.extend(
                    (service.id, pid, start.isoformat())
                    for pid in option.practitioner_ids
                    if pid in giving
                )
    return found


@dataclass
class Fault:
    kind: str
    at: datetime
    seconds: float
    detail: str

    def line(self, began: datetime) -> str:
        offset = (self.at - began).total_seconds()
        return (
            f"{self.at:%H:%M:%S} (+{offset:6.1f}s) {self.kind:<13} "
            f"{self.seconds:5.1f}s  {self.detail}"
        )


@dataclass
class Booking:
    status: int | str
    asked: float
    answered: float


class Part:
    """A thread doing one job until told to stop; an error in it is kept for the test."""

    name = "part"

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []

    def start(self, count: int = 1) -> None:
        for n in range(count):
            thread = threading.Thread(
                target=self._guarded, args=(n,), name=f"{self.name}-{n}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _guarded(self, n: int) -> None:
        try:
            self.run(n)
        except BaseException as exc:  # handed to the test, which fails on it
            self.errors.append(exc)

    def run(self, n: int) -> None:
        raise NotImplementedError

    def stop(self, timeout: float = 300.0) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout)
            assert not thread.is_alive(), f"{thread.name} did not stop"


def until_database_answers(work: Callable[[], Any], tries: int = 120) -> Any:
    """``work()``, tried again while the database is restarting (up to a minute)."""
    for attempt in range(tries):
        try:
            return work()
        except DBAPIError:
            if attempt == tries - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def wait_until_or_none(condition: Callable[[], T | None], timeout: float) -> T | None:
    """What ``condition`` returns once it is truthy, polled closely; None after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.005)
    return None


class Seeder(Part):
    """Every ``interval`` seconds a batch of confirmations due now, each batch to new patients."""

    name = "seeder"

    def __init__(self, db: Database, per_minute: int, interval: float = 3.0) -> None:
        super().__init__()
        self.db = db
        self.batch = max(1, round(per_minute * interval / 60))
        self.interval = interval
        self.seeded = 0

    def run(self, n: int) -> None:
        while not self.stopping.is_set():
            began = time.monotonic()
            until_database_answers(
                partial(seed_confirmations, self.db, self.batch, datetime.now(UTC), self.seeded)
            )
            self.seeded += self.batch
            self.stopping.wait(max(0.0, self.interval - (time.monotonic() - began)))


class BookingClients(Part):
    """Clients booking over HTTP, each with a freshly proven phone. Slots are handed out in
    order from one list, every third one to two clients at once, so some bookings race."""

    name = "booker"

    def __init__(
        self, db: Database, base_url: str, slots: list[tuple[int, int, str]], pause: float
    ) -> None:
        super().__init__()
        self.db = db
        self.base_url = base_url
        self.pause = pause
        self.settings = Settings(secret_key="soak-proofs")
        tickets = [s for n, s in enumerate(slots) for _ in range(2 if n % 3 == 0 else 1)]
        self._tickets = itertools.cycle(tickets)
        self._lock = threading.Lock()
        self._phones = itertools.count()
        self.bookings: list[Booking] = []

    def _next(self) -> tuple[int, int, str]:
        with self._lock:
            return next(self._tickets)

    def _proven(self) -> tuple[str, str]:
        """A new phone and a proof for it; raises while the database is down."""
        with self._lock:
            phone = f"+4475{next(self._phones):08d}"
        return phone, prove_phone(self.db, self.settings, datetime.now(UTC), phone)

    def _top_up(self, ready: list[tuple[str, str]]) -> None:
        """Proofs made ahead, so that bookings keep reaching the web app while the database
        is down (a client that waited for the database to prove a phone would not)."""
        while len(ready) < PROOFS_AHEAD:
            try:
                ready.append(self._proven())
            except DBAPIError:
                if ready:
                    return
                time.sleep(0.5)

    def run(self, n: int) -> None:
        ready: list[tuple[str, str]] = []
        while not self.stopping.is_set():
            self._top_up(ready)
            phone, proof = ready.pop(0)
            service_id, practitioner_id, start = self._next()
            body = {
                "service_id": service_id,
                "practitioner_id": practitioner_id,
                "start": start,
                "patient": {"first_name": "Soak", "last_name": f"Client{n}", "phone": phone},
                "consents": {"reminders": True, "diary_prompts": False},
                "screen": CLEAR_SCREEN,
                "phone_proof": proof,
            }
            asked = time.monotonic()
            status: int | str
            try:
                status = requests.post(
                    f"{self.base_url}/api/v1/bookings", json=body, timeout=90
                ).status_code
            except requests.RequestException:
                status = NO_ANSWER
            with self._lock:
                self.bookings.append(Booking(status, asked, time.monotonic()))
            self.stopping.wait(random.uniform(0.5, 1.5) * self.pause)

    def statuses(self) -> Counter[str]:
        with self._lock:
            return Counter(str(b.status) for b in self.bookings)


class FaultScheduler(Part):
    """Every ``low`` to ``high`` seconds one fault, the kinds dealt from a shuffled deck so
    each comes round; each fault is logged with its time as it happens."""

    name = "faults"

    def __init__(
        self,
        stack: FaultStack,
        web: ManagedProcess,
        workers: list[ManagedProcess],
        beat: ManagedProcess,
        postgres: Any,
        low: float = 8.0,
        high: float = 20.0,
    ) -> None:
        super().__init__()
        self.stack = stack
        self.web = web
        self.workers = workers
        self.beat = beat
        self.postgres = postgres
        self.low, self.high = low, high
        self.faults: list[Fault] = []
        # Celery processes that exited without being killed, and were started again.
        self.exits: list[Fault] = []
        self.began = datetime.now(UTC)
        self._windows: list[tuple[str, float, float]] = []
        self._spawned = itertools.count(1)

    def run(self, n: int) -> None:
        deck: list[str] = []
        while not self._wait_supervising(random.uniform(self.low, self.high)):
            if not deck:
                deck = list(FAULT_KINDS)
                random.shuffle(deck)
            kind = deck.pop()
            at, began = datetime.now(UTC), time.monotonic()
            detail = self._inflict(kind)
            ended = time.monotonic()
            self._windows.append((kind, began - KILL_GRACE_S, ended + KILL_GRACE_S))
            fault = Fault(kind, at, ended - began, detail)
            self.faults.append(fault)
            print(f"fault {fault.line(self.began)}", flush=True)

    def _wait_supervising(self, seconds: float) -> bool:
        """Wait ``seconds`` (True if told to stop meanwhile), restarting, as the deployment's
        supervisor does (``restart: unless-stopped``), any Celery process that exited."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self.stopping.wait(min(left, 0.5)):
                return True
            self.supervise()
        return False

    def supervise(self) -> None:
        """Start again each Celery worker or beat that has exited on its own, logging why."""
        for index, worker in enumerate(self.workers):
            if not worker.running:
                self.workers[index] = self._replace(
                    worker, self.stack.worker(f"worker-{next(self._spawned)}")
                )
        if not self.beat.running:
            self.beat = self._replace(self.beat, self.stack.beat(f"beat-{next(self._spawned)}"))

    def _replace(self, gone: ManagedProcess, new: ManagedProcess) -> ManagedProcess:
        assert gone.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(gone.process.pid, signal.SIGKILL)  # any pool child it left behind
        lines = [line for line in gone.log().splitlines() if "CRITICAL" in line]
        why = lines[-1].split("] ", 1)[-1] if lines else f"exit code {gone.process.returncode}"
        detail = f"{gone.name} exited on its own ({why[:120]}); started {new.name}"
        exit_ = Fault(f"{gone.name.split('-')[0]} exited", datetime.now(UTC), 0.0, detail)
        self.exits.append(exit_)
        print(f"exit  {exit_.line(self.began)}", flush=True)
        return new

    def _inflict(self, kind: str) -> str:
        if kind == "web worker":
            return self._kill_web_worker()
        if kind == "celery worker":
            return self._kill_celery_worker()
        if kind == "pool child":
            return self._kill_pool_child()
        if kind == "beat":
            self.stack.kill(self.beat)
            self.beat = self.stack.beat(f"beat-{next(self._spawned)}")
            return f"killed and restarted as {self.beat.name}"
        if kind == "redis":
            self.stack.redis.kill()
            time.sleep(2)
            self.stack.redis.restart()
            return "killed, down 2s, restarted"
        if kind == "postgres":
            restart_postgres(self.postgres)
            return "immediate-mode restart"
        raise AssertionError(kind)

    def _kill_web_worker(self) -> str:
        """SIGKILL a gunicorn worker, one in the middle of a request when there is one."""
        before = web_workers(self.web)
        busy = wait_until_or_none(lambda: serving_on(before, self.web_port), 5)
        victim = busy[0] if busy else random.choice(before)
        self.stack.kill_child(victim)
        wait_until(
            lambda: len(set(web_workers(self.web)) - {victim}) == len(before),
            60,
            0.1,
            "gunicorn to replace its worker",
        )
        state = "mid-request" if busy else "idle"
        return f"SIGKILL gunicorn worker {victim} ({state}); replaced"

    def _kill_celery_worker(self) -> str:
        index = random.randrange(len(self.workers))
        victim = self.workers[index]
        self.stack.kill(victim)  # the main process and its whole pool
        self.workers[index] = self.stack.worker(f"worker-{next(self._spawned)}")
        return f"SIGKILL {victim.name} (main + pool); started {self.workers[index].name}"

    def _kill_pool_child(self) -> str:
        worker = random.choice(self.workers)
        child = wait_until_or_none(lambda: self.stack.sending_child(worker), 10)
        if child is not None:
            self.stack.kill_child(child)
            return f"SIGKILL pool child {child} of {worker.name} mid-send"
        assert worker.process is not None
        idle = child_pids(worker.process.pid)
        if not idle:
            return f"no pool child of {worker.name} to kill"
        self.stack.kill_child(idle[0])
        return f"SIGKILL pool child {idle[0]} of {worker.name} (none was mid-send)"

    @property
    def web_port(self) -> int:
        port = self.web.command[self.web.command.index("--bind") + 1].rsplit(":", 1)[1]
        return int(port)

    def during_a_kill(
        self, booking: Booking, kinds: tuple[str, ...] = KILLS_THAT_DROP_REQUESTS
    ) -> bool:
        """Whether a booking was in flight while a fault of one of ``kinds`` was under way (by
        default: its web worker, or the database, was killed)."""
        return any(
            kind in kinds and booking.asked <= end and start <= booking.answered
            for kind, start, end in self._windows
        )

    def by_kind(self) -> dict[str, int]:
        counted = Counter(f.kind for f in self.faults)
        return {kind: counted[kind] for kind in FAULT_KINDS}

    def stop(self, timeout: float = 300.0) -> None:
        super().stop(timeout)
        self.supervise()
        # Faults stopped: what they killed and restarted must be running again.
        for process in (self.web, *self.workers, self.beat):
            assert process.running, f"{process.name} has stopped:\n{process.log()[-3000:]}"
        assert web_workers(self.web), "gunicorn has no workers"


@dataclass
class MessageCount:
    due: int
    delivered: int
    duplicated: int
    lost: int
    unexpected: int
    not_to_send: int
    statuses: dict[str, int] = field(default_factory=dict)


def unsettled(db: Database) -> int:
    """Messages due by now still waiting, claimed or being sent (a row handed back by a requeue
    or a reconciliation is due again from that moment, so "by now", not by the load's stop)."""
    with db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(
                    OutboundMessage.due_at <= datetime.now(UTC),
                    OutboundMessage.status.in_(UNSENT),
                )
            )
            or 0
        )


def wait_until_due_settled(stack: FaultStack, timeout: float) -> None:
    """Every message due out of the waiting states, then past every requeue and reconcile
    timer the last claim could have started (``FaultStack.settle_seconds``), and still none."""
    wait_until(lambda: unsettled(stack.db) == 0, timeout, 1.0, "every due message sent")
    quiet_from = stack.last_claim() + timedelta(seconds=stack.settle_seconds)
    while (left := (quiet_from - datetime.now(UTC)).total_seconds()) > 0:
        time.sleep(min(left, 1.0))
    assert unsettled(stack.db) == 0, "rows moved after every message was sent"


def count_messages(
    db: Database, stored: list[dict[str, Any]], counted_at: datetime
) -> MessageCount:
    """The outbox rows due by ``counted_at`` against the messages Twilio stored, by (to, body).

    Unexpected: a stored message no outbox row accounts for, or one whose rows are all still
    to come (sent before it was due)."""
    with db.session() as session:
        rows = session.execute(
            select(
                OutboundMessage.to_phone,
                OutboundMessage.body,
                OutboundMessage.status,
                OutboundMessage.due_at,
            )
        ).all()
    due = [(to, body, status) for to, body, status, at in rows if at <= counted_at]
    statuses = Counter(str(status) for _, _, status in due)
    expected = Counter((to, body) for to, body, status in due if status not in NOT_TO_SEND)
    got = Counter((m["to"], m["body"]) for m in stored)
    return MessageCount(
        due=sum(expected.values()),
        delivered=sum(min(n, got[key]) for key, n in expected.items()),
        duplicated=sum(max(0, got[key] - n) for key, n in expected.items()),
        lost=sum(max(0, n - got[key]) for key, n in expected.items()),
        unexpected=sum(n for key, n in got.items() if key not in expected),
        not_to_send=sum(statuses[str(s)] for s in NOT_TO_SEND),
        statuses=dict(statuses),
    )
