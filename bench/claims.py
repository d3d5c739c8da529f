"""The dispatcher's claim with 10,000 and with 1,000,000 messages in the table."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from scheduler.db import Database
from scheduler.messaging.outbox import claim_due
from scheduler.models import MessageKind, Patient

DUE = 500
RUNS = 15


def _fill(db: Database, total: int, start: int) -> None:
    """Rows up to ``total``: 500 due and pending, the rest sent long ago."""
    now = datetime.now(UTC)
    with db.session() as session:
        patient = session.scalars(select(Patient.id)).first()
    if patient is None:
        with db.transaction() as session:
            session.execute(
                insert(Patient),
                [
                    {
                        "first_name": "Claim",
                        "last_name": "Bench",
                        "phone_e164": "+447400000001",
                        "time_zone": "Europe/London",
                        "created_at": now,
                    }
                ],
            )
        with db.session() as session:
            patient = session.scalars(select(Patient.id)).one()
    columns = [
        "patient_id", "kind", "dedupe_key", "to_phone", "body", "segments", "due_at",
        "status", "attempts", "created_at", "updated_at", "sent_at",
    ]  # fmt: skip
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(  # type: ignore[attr-defined]
            f"COPY outbound_messages ({', '.join(columns)}) FROM STDIN"
        ) as copy:
            for n in range(start, total):
                pending = n < DUE
                copy.write_row(
                    [
                        patient,
                        MessageKind.CONFIRMATION.value,
                        f"claim-bench:{n}",
                        "+447400000001",
                        "Hi",
                        1,
                        now - timedelta(minutes=1) if pending else now - timedelta(days=n % 900),
                        "pending" if pending else "sent",
                        0,
                        now,
                        now,
                        None if pending else now - timedelta(days=n % 900),
                    ]
                )
        raw.commit()
    finally:
        raw.close()
    with db.engine.begin() as conn:  # committed: statistics an ANALYZE wrote roll back with it
        conn.exec_driver_sql("ANALYZE outbound_messages")


def _claim_ms(db: Database) -> float:
    times = []
    for _ in range(RUNS):
        session = db.session()
        try:
            began = time.perf_counter()
            claimed = claim_due(session, datetime.now(UTC), DUE)
            times.append((time.perf_counter() - began) * 1000)
            assert len(claimed) == DUE
        finally:
            session.rollback()  # the same 500 stay due for the next run
            session.close()
    return statistics.median(times)


def run_claim_scale(database_url: str) -> tuple[float, float]:
    """(median ms with 10,000 rows, median ms with 1,000,000 rows)."""
    db = Database(database_url)
    _fill(db, 10_000, 0)
    small = _claim_ms(db)
    _fill(db, 1_000_000, 10_000)
    large = _claim_ms(db)
    db.dispose()
    return small, large
