"""A whole sending system under test: PostgreSQL, its own Redis, fake Twilio, workers and beats.

Counts what the fake Twilio accepted against what was due: delivered, duplicated and lost.
"""

from __future__ import annotations

import signal
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from ops.embedded_redis import EmbeddedRedis
from scheduler.db import Database
from scheduler.models import (
    Consent,
    ConsentKind,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
)
from scheduler.patients.consent_wording import WORDING
from tests.fakes.fake_twilio import FakeTwilio
from tests.support.processes import ManagedProcess, celery_beat, celery_worker, wait_until
from tests.support.stack import process_env


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


def seed_confirmations(db: Database, count: int, due: datetime) -> None:
    """``count`` messages all due at ``due``, each to its own consenting patient."""
    now = datetime.now(UTC)
    with db.transaction() as session:
        session.execute(
            insert(Patient),
            [
                {
                    "first_name": f"P{n}",
                    "last_name": "Fault",
                    "phone_e164": f"+4474{n:08d}",
                    "time_zone": "Europe/London",
                    "created_at": now,
                }
                for n in range(count)
            ],
        )
        ids = session.scalars(select(Patient.id).order_by(Patient.id)).all()
        session.execute(
            insert(Consent),
            [
                {
                    "patient_id": pid,
                    "kind": ConsentKind.REMINDERS,
                    "granted": True,
                    "wording": WORDING[ConsentKind.REMINDERS],
                    "channel": "api",
                    "recorded_at": now,
                }
                for pid in ids
            ],
        )
        session.execute(
            insert(OutboundMessage),
            [
                {
                    "patient_id": pid,
                    "kind": MessageKind.CONFIRMATION,
                    "dedupe_key": f"fault:{pid}",
                    "to_phone": f"+4474{n:08d}",
                    "body": f"Hi P{n}, booked: message {n}",
                    "segments": 1,
                    "due_at": due,
                    "status": MessageStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, pid in enumerate(ids)
            ],
        )


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

    def seed(self, count: int) -> None:
        """``count`` confirmations due now, each to its own consenting patient."""
        seed_confirmations(self.db, count, datetime.now(UTC))
        self.expected = count

    def worker(self, name: str = "worker", concurrency: int = 4) -> ManagedProcess:
        process = celery_worker(self.env, self.logs, concurrency=concurrency, name=name)
        self.processes.append(process)
        return process

    def beat(self, name: str = "beat") -> ManagedProcess:
        process = celery_beat(self.env, self.logs, name=name)
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
