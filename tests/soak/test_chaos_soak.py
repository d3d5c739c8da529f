"""Minutes of bookings and texts while web workers, Celery workers, pool children, beat, Redis
and PostgreSQL are killed at random: every due text reaches Twilio exactly once, no slot is
given twice, and no booking is answered 500.

``SOAK_MINUTES`` (default 10) sets how long; texts fall due at 2,100 a minute (21,000 in ten
minutes) besides the phone codes and confirmations the bookings write.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ops.embedded_redis import EmbeddedRedis
from scheduler.config import PROJECT_ROOT
from scheduler.db import Database
from tests.fakes.fake_twilio import FakeTwilio
from tests.support.chaos import (
    NO_ANSWER,
    BookingClients,
    FaultScheduler,
    MessageCount,
    Seeder,
    booking_slots,
    count_messages,
    gunicorn_web,
    wait_until_due_settled,
)
from tests.support.factories import demo_clinic
from tests.support.fault_stack import FaultStack, double_bookings

MINUTES = float(os.environ.get("SOAK_MINUTES", "10"))
TEXTS_PER_MINUTE = 2_100
CLIENTS = 5
# Each client waits about this long between bookings (each booking also proves a phone).
BOOKING_PAUSE_S = 0.3
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS", PROJECT_ROOT / "test-artifacts"))
# Answers a booking may get: booked, taken, a clean refusal, or "try again later".
CLEAN = {201, 409, 503} | set(range(400, 500))


@pytest.fixture
def stack(soak_postgres: tuple[str, Any]) -> Iterator[FaultStack]:
    """The whole system; every process's log kept in test-artifacts/soak-logs/ afterwards."""
    url, _server = soak_postgres
    logs = ARTIFACTS / "soak-logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    redis = EmbeddedRedis(logs / "redis").start()
    fake = FakeTwilio().start()
    db = Database(url)
    built = FaultStack(
        db=db,
        database_url=url,
        redis=redis,
        fake=fake,
        logs=logs,
        # Every booking comes from 127.0.0.1, on purpose: the limits on anonymous work are off.
        extra_env={"RATE_LIMITS_ENABLED": "0"},
    )
    try:
        yield built
    finally:
        built.stop()
        fake.stop()
        redis.stop()
        shutil.rmtree(logs / "redis", ignore_errors=True)
        db.dispose()


def figures(
    faults: FaultScheduler,
    texts: MessageCount,
    bookings: Counter[str],
    unexplained: int,
    double_booked: int,
) -> dict[str, Any]:
    return {
        "minutes": MINUTES,
        "faults": faults.by_kind(),
        "fault_log": [
            {
                "kind": f.kind,
                "at": f.at.isoformat(),
                "seconds": round(f.seconds, 1),
                "detail": f.detail,
            }
            for f in faults.faults
        ],
        "exited_on_their_own": [f"{f.at:%H:%M:%S} {f.detail}" for f in faults.exits],
        "messages": {
            "due": texts.due,
            "delivered": texts.delivered,
            "duplicated": texts.duplicated,
            "lost": texts.lost,
            "unexpected": texts.unexpected,
            "not_to_send": texts.not_to_send,
            "outbox_statuses": texts.statuses,
        },
        "bookings": dict(sorted(bookings.items())),
        "no_answer_outside_a_kill": unexplained,
        "double_booked": double_booked,
    }


def table(found: dict[str, Any]) -> str:
    texts = found["messages"]
    rows = [
        ("minutes", f"{found['minutes']:g}"),
        ("faults", ", ".join(f"{k} {n}" for k, n in found["faults"].items())),
        ("exited on their own", len(found["exited_on_their_own"])),
        ("messages due", texts["due"]),
        ("delivered", texts["delivered"]),
        ("duplicated", texts["duplicated"]),
        ("lost", texts["lost"]),
        ("sent though not due", texts["unexpected"]),
        ("bookings", ", ".join(f"{k}: {n}" for k, n in found["bookings"].items())),
        ("no answer outside a kill", found["no_answer_outside_a_kill"]),
        ("double-booked", found["double_booked"]),
        ("500s while PostgreSQL restarted", found["500_while_postgres_restarted"]),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


@pytest.mark.timeout(int(MINUTES * 60) + 1800)
def test_a_soak_of_bookings_and_texts_under_random_kills_loses_repeats_and_doubles_nothing(
    stack: FaultStack, soak_postgres: tuple[str, Any]
) -> None:
    _url, postgres = soak_postgres
    demo_clinic(stack.db)
    slots = booking_slots(stack.db)
    web, base_url = gunicorn_web(stack.env, stack.logs)
    stack.processes.append(web)
    workers = [stack.worker("worker-a"), stack.worker("worker-b")]
    beat = stack.beat("beat-0")
    faults = FaultScheduler(stack, web, workers, beat, postgres)
    seeder = Seeder(stack.db, TEXTS_PER_MINUTE)
    clients = BookingClients(stack.db, base_url, slots, BOOKING_PAUSE_S)
    print(f"\nsoak: {MINUTES:g} min, {len(slots)} slots, {CLIENTS} booking clients", flush=True)
    seeder.start()
    clients.start(CLIENTS)
    faults.start()
    stop_event = faults.stopping
    stop_event.wait(MINUTES * 60)
    faults.stop()
    seeder.stop()
    clients.stop()
    cutoff = datetime.now(UTC)
    for part in (faults, seeder, clients):
        assert not part.errors, part.errors
    print(f"load stopped at {cutoff:%H:%M:%S}; seeded {seeder.seeded}; settling", flush=True)
    wait_until_due_settled(stack, timeout=1800)

    texts = count_messages(stack.db, stack.fake.messages, datetime.now(UTC))
    bookings = clients.statuses()
    unexplained = sum(
        1 for b in clients.bookings if b.status == NO_ANSWER and not faults.during_a_kill(b)
    )
    failed_while_restarting = sum(
        1 for b in clients.bookings if b.status == 500 and faults.during_a_kill(b, ("postgres",))
    )
    found = figures(faults, texts, bookings, unexplained, double_bookings(stack.db))
    found["500_while_postgres_restarted"] = failed_while_restarting
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "soak.json").write_text(json.dumps(found, indent=2) + "\n")
    events = sorted(faults.faults + faults.exits, key=lambda f: f.at)
    print("\n".join(f.line(faults.began) for f in events))
    print(table(found), flush=True)

    assert all(n > 0 for n in found["faults"].values()) or MINUTES < 2, found["faults"]
    assert (texts.lost, texts.duplicated, texts.unexpected) == (0, 0, 0), found["messages"]
    assert found["double_booked"] == 0
    assert bookings["500"] == 0, (
        f"{bookings['500']} bookings answered 500, "
        f"{failed_while_restarting} of them while PostgreSQL restarted"
    )
    unclean = {s: n for s, n in bookings.items() if s != NO_ANSWER and int(s) not in CLEAN}
    assert not unclean, unclean
    assert unexplained == 0, "a booking got no answer while nothing was being killed"
    assert bookings["201"] > 0 and bookings["409"] > 0, bookings
    if MINUTES >= 10:
        assert texts.due >= 20_000, texts.due
