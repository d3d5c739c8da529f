"""A whole sending system under test: PostgreSQL, its own Redis, fake Twilio, workers and beats.

Counts what the fake Twilio accepted against what was due (delivered, duplicated and lost), once
every timer that could still send something has run out.
"""

from __future__ import annotations

import ast
import os
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from ops.embedded_redis import EmbeddedRedis
from scheduler.config import Settings, load_settings
from scheduler.db import Database
from scheduler.models import (
    Channel,
    Consent,
    ConsentKind,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
)
from scheduler.patients.consent_wording import WORDING
from tests.fakes.fake_twilio import FakeTwilio
from tests.support.processes import (
    ManagedProcess,
    celery_beat,
    celery_worker,
    child_pids,
    connected_to,
    wait_until,
)
from tests.support.smtp_server import SmtpServer
from tests.support.stack import process_env

# What a reconciliation run logs when it settled rows: {'found': n, 'requeued': n, ...}.
RECONCILED = re.compile(r"reconciled stuck sends: (\{[^}]*\})")


@dataclass
class Report:
    expected: int
    delivered: int
    duplicated: int
    lost: int
    double_booked: int = 0

    def __str__(self) -> str:
        return (
            f"expected {self.expected}, delivered {self.delivered}, "
            f"duplicated {self.duplicated}, lost {self.lost}, double-booked {self.double_booked}"
        )


def _seed_patients(
    session: Session,
    patients: list[dict[str, object]],
    kinds: tuple[ConsentKind, ...],
    now: datetime,
) -> list[int]:
    """Insert ``patients`` (in order) with a granted consent of each of ``kinds``; their ids."""
    ids = session.scalars(
        insert(Patient).returning(Patient.id, sort_by_parameter_order=True),
        [
            {"last_name": "Fault", "time_zone": "Europe/London", "created_at": now, **p}
            for p in patients
        ],
    ).all()
    session.execute(
        insert(Consent),
        [
            {
                "patient_id": pid,
                "kind": kind,
                "granted": True,
                "wording": WORDING[kind],
                "channel": "api",
                "recorded_at": now,
            }
            for pid in ids
            for kind in kinds
        ],
    )
    return list(ids)


def _pending(pid: int, due: datetime, now: datetime, **row: object) -> dict[str, object]:
    """A pending confirmation row for patient ``pid``, due at ``due``."""
    return {
        "patient_id": pid,
        "kind": MessageKind.CONFIRMATION,
        "due_at": due,
        "status": MessageStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        **row,
    }


def seed_confirmations(db: Database, count: int, due: datetime, first: int = 0) -> None:
    """``count`` messages all due at ``due``, each to its own consenting patient.

    Patients are numbered from ``first``: each number gives its own phone and body, so batches
    seeded with ranges that do not overlap never share a phone or a text.
    """
    now = datetime.now(UTC)
    numbers = range(first, first + count)
    with db.transaction() as session:
        patients = [{"first_name": f"P{n}", "phone_e164": f"+4474{n:08d}"} for n in numbers]
        ids = _seed_patients(session, patients, (ConsentKind.REMINDERS,), now)
        rows = [
            _pending(
                pid,
                due,
                now,
                dedupe_key=f"fault:{pid}",
                to_phone=f"+4474{n:08d}",
                body=f"Hi P{n}, booked: message {n}",
                segments=1,
            )
            for n, pid in zip(numbers, ids, strict=True)
        ]
        session.execute(insert(OutboundMessage), rows)


def seed_emails(db: Database, count: int, due: datetime, first: int = 0) -> None:
    """``count`` confirmation emails all due at ``due``, each to its own patient, who gave an
    address and consented to email and to reminders; numbered from ``first`` as
    ``seed_confirmations`` numbers its patients (each number its own address and subject)."""
    now = datetime.now(UTC)
    numbers = range(first, first + count)
    with db.transaction() as session:
        patients = [
            {"first_name": f"E{n}", "phone_e164": f"+4475{n:08d}", "email": f"e{n}@fault.example"}
            for n in numbers
        ]
        kinds = (ConsentKind.REMINDERS, ConsentKind.EMAIL)
        ids = _seed_patients(session, patients, kinds, now)
        rows = [
            _pending(
                pid,
                due,
                now,
                channel=Channel.EMAIL,
                dedupe_key=f"fault-email:{pid}",
                to_email=f"e{n}@fault.example",
                subject=f"Your visit is booked: email {n}",
                body=f"Hello E{n}, you are booked: email {n}",
                segments=0,
            )
            for n, pid in zip(numbers, ids, strict=True)
        ]
        session.execute(insert(OutboundMessage), rows)


@dataclass
class FaultStack:
    db: Database
    database_url: str
    redis: EmbeddedRedis
    fake: FakeTwilio
    logs: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[ManagedProcess] = field(default_factory=list)
    expected: int = 0
    smtp: SmtpServer | None = None

    @property
    def env(self) -> dict[str, str]:
        return process_env(
            self.database_url,
            self.redis.url,
            self.logs / "instance",
            self.fake,
            REQUEUE_AFTER_SECONDS="5",
            RECONCILE_AFTER_SECONDS="6",
            RECONCILE_INTERVAL_SECONDS="2",
            SMS_RATE_PER_SECOND="1000",
            NEW_NUMBERS_PER_HOUR="0",  # every seeded patient is a number never texted
            TWILIO_REQUEST_TIMEOUT="3",
            **self.extra_env,
        )

    @property
    def settings(self) -> Settings:
        """What every worker and beat of this stack runs with."""
        return load_settings(self.env)

    @property
    def settle_seconds(self) -> float:
        """How long after the last claim any timer may still move a message: a lost claim is
        handed back at the first dispatch past REQUEUE_AFTER_SECONDS, an unknown send looked
        up at the first reconciliation past RECONCILE_AFTER_SECONDS, and a call started just
        before may take the whole request timeout; then one more round of reconciliation."""
        s = self.settings
        timers = max(
            s.requeue_after_s + s.dispatch_interval_s,
            s.reconcile_after_s + s.reconcile_interval_s,
        )
        return timers + s.twilio.request_timeout_s + s.reconcile_interval_s

    def seed(self, count: int) -> None:
        """``count`` confirmations due now, each to its own consenting patient."""
        seed_confirmations(self.db, count, datetime.now(UTC))
        self.expected = count

    def worker(self, name: str = "worker", concurrency: int = 4) -> ManagedProcess:
        process = celery_worker(self.env, self.logs, concurrency=concurrency, name=name)
        self.processes.append(process)
        return process

    def beat(self, name: str = "beat", loglevel: str = "INFO") -> ManagedProcess:
        process = celery_beat(self.env, self.logs, name=name, loglevel=loglevel)
        self.processes.append(process)
        return process

    def kill(self, process: ManagedProcess) -> None:
        process.signal(signal.SIGKILL)
        assert process.process is not None
        process.process.wait()

    def sent(self) -> int:
        with self.db.session() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(OutboundMessage)
                    .where(OutboundMessage.status == MessageStatus.SENT)
                )
                or 0
            )

    def accepted(self) -> int:
        return len(self.fake.messages)

    def wait_until_all_sent(self, timeout: float) -> None:
        wait_until(lambda: self.sent() >= self.expected, timeout, 0.5, "every message sent")

    def wait_until_settled(self, timeout: float) -> None:
        """Every message sent, then past every requeue and reconcile timer the last claim could
        have started (``settle_seconds``): a late resend would be counted too."""
        self.wait_until_all_sent(timeout)
        quiet_from = self.last_claim() + timedelta(seconds=self.settle_seconds)
        while (left := (quiet_from - datetime.now(UTC)).total_seconds()) > 0:
            time.sleep(min(left, 1.0))
        assert self.sent() == self.expected, "rows moved after every message was sent"

    def database_started(self) -> datetime:
        """When the PostgreSQL server last started."""
        with self.db.session() as session:
            started: datetime = session.execute(
                text("SELECT pg_postmaster_start_time()")
            ).scalar_one()
        return started

    def last_claim(self) -> datetime:
        with self.db.session() as session:
            claimed = session.scalar(select(func.max(OutboundMessage.claimed_at)))
        return claimed or datetime.now(UTC)

    def reconciled(self) -> Counter[str]:
        """Rows reconciliation settled, over every worker's log: found, requeued, unresolved."""
        total: Counter[str] = Counter()
        for process in self.processes:
            for counts in RECONCILED.findall(process.log()):
                total.update(ast.literal_eval(counts))
        return total

    def logged(self, text: str) -> int:
        """How many times ``text`` appears in the logs of every process of the stack."""
        return sum(process.log().count(text) for process in self.processes)

    def sending_child(self, worker: ManagedProcess) -> int | None:
        """A pool child of ``worker`` with a request to Twilio open right now, if any."""
        assert worker.process is not None
        port = urlsplit(self.fake.base_url).port
        assert port is not None
        busy = connected_to(child_pids(worker.process.pid), port)
        return busy[0] if busy else None

    def use_smtp(self, server: SmtpServer) -> None:
        """Workers started from now on send email through ``server``, waiting for it no longer
        than for Twilio (so ``settle_seconds`` covers an email call too)."""
        self.smtp = server
        self.extra_env.update(
            EMAIL_BACKEND="smtp",
            SMTP_URL=server.url,
            EMAIL_FROM="Fault Clinic <bookings@fault.example>",
            SMTP_TIMEOUT=self.env["TWILIO_REQUEST_TIMEOUT"],
        )

    def seed_emails(self, count: int) -> None:
        """``count`` confirmation emails due now, each to its own consenting patient."""
        seed_emails(self.db, count, datetime.now(UTC))
        self.expected = count

    def emails_received(self) -> int:
        """How many messages the stack's SMTP server took (repeats included)."""
        assert self.smtp is not None, "call use_smtp first"
        return len(self.smtp.received)

    def emailing_child(self, worker: ManagedProcess) -> int | None:
        """A pool child of ``worker`` with a connection open to the SMTP server right now."""
        assert worker.process is not None and self.smtp is not None
        busy = connected_to(child_pids(worker.process.pid), self.smtp.port)
        return busy[0] if busy else None

    def stop_mid_send(self, worker: ManagedProcess) -> int | None:
        """A pool child of ``worker`` caught with an SMTP session open: stopped (SIGSTOP) and
        seen still to hold the session, so a kill now lands mid-send, never just after the
        session closed; None (and the child let go on) when the session ended first."""
        child = self.emailing_child(worker)
        if child is None:
            return None
        assert self.smtp is not None
        try:
            os.kill(child, signal.SIGSTOP)
        except ProcessLookupError:
            return None
        if connected_to([child], self.smtp.port):
            return child
        os.kill(child, signal.SIGCONT)
        return None

    def kill_child(self, child: int) -> None:
        """SIGKILL one pool child only; its worker's main process lives on."""
        os.kill(child, signal.SIGKILL)

    def report(self) -> Report:
        bodies = Counter(m["body"] for m in self.fake.messages)
        delivered = len(bodies)
        return Report(
            expected=self.expected,
            delivered=delivered,
            duplicated=sum(c - 1 for c in bodies.values()),
            lost=self.expected - delivered,
            double_booked=double_bookings(self.db),
        )

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


def double_bookings(db: Database) -> int:
    """Pairs of active visits that overlap for one practitioner or one room (must be 0)."""
    from sqlalchemy import and_, or_
    from sqlalchemy.orm import aliased

    from scheduler.models import ACTIVE_STATUSES, Appointment

    a, b = aliased(Appointment), aliased(Appointment)
    with db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(a)
                .join(
                    b,
                    and_(
                        a.id < b.id,
                        a.starts_at < b.blocked_until,
                        b.starts_at < a.blocked_until,
                        or_(
                            a.practitioner_id == b.practitioner_id,
                            and_(a.room_id.is_not(None), a.room_id == b.room_id),
                        ),
                    ),
                )
                .where(a.status.in_(ACTIVE_STATUSES), b.status.in_(ACTIVE_STATUSES))
            )
            or 0
        )
