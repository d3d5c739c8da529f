"""The booking API under load: gunicorn with two workers on PostgreSQL, twenty clients."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bench import dataset
from bench.cpu import CpuSampler
from bench.messaging import rss_mb
from bench.services import postmaster_pid
from ops.embedded_redis import EmbeddedRedis, free_port
from scheduler.calendar.availability import from_minutes
from scheduler.calendar.snapshot import free_slots
from scheduler.clinical.safety import QUESTIONS
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.models import Service
from tests.support.booking_requests import prove_phone
from tests.support.fault_stack import double_bookings
from tests.support.processes import BIN, ManagedProcess, wait_for_http
from tests.support.stack import process_env

CLIENTS = 20
SECONDS = 30.0
# Every booking passes the safety screen, as a real client's would: all answered no.
CLEAR_SCREEN = {q.code: False for q in QUESTIONS}


@dataclass
class Load:
    bookings_per_s: float
    p50_ms: float
    p99_ms: float
    conflicts: int
    errors: int
    error_codes: list[int]
    double_bookings: int
    web_rss_mb: float
    # CPU milliseconds per booking answered (201 or 409), per kind of process: "web" (gunicorn),
    # "postgresql" (the server and its backends), "client" (the load's own threads), "redis".
    cpu_ms: dict[str, float]

    def ceiling(self, web_hosts: int = 1, cores: int = 2) -> float:
        """Bookings a second the measured CPU per booking allows with the load's clients on
        other machines, PostgreSQL and the first web host sharing ``cores`` cores and each
        further web host (``cores`` each) taking an equal share of the web work: a projection,
        not a measurement."""
        web, database = self.cpu_ms.get("web", 0.0), self.cpu_ms.get("postgresql", 0.0)
        if web <= 0 or database <= 0:
            return 0.0  # not measured (no process seen): no projection
        share = web / web_hosts
        here = share + database + self.cpu_ms.get("redis", 0.0)
        bounds = [cores * 1000 / here]
        if web_hosts > 1:
            bounds.append(cores * 1000 / share)
        return min(bounds)


def _slots(db: Database) -> list[tuple[int, str]]:
    """Free (practitioner, start) pairs for acupuncture over the next 60 days that cannot
    collide with each other: on the hour (a visit and its buffer take 55 minutes), and no
    more at one time than there are rooms. Conflicts then come only from real races."""
    now = datetime.now(UTC)
    today = now.astimezone(dataset.ZONE).date()
    found: list[tuple[int, str]] = []
    with db.session() as session:
        service = session.scalars(select(Service).where(Service.code == "acupuncture")).one()
        for chunk in range(0, 60, 30):
            for option in free_slots(
                session,
                service_id=service.id,
                first_day=today + timedelta(days=chunk + 1),
                last_day=today + timedelta(days=chunk + 30),
                zone=dataset.ZONE,
                now=now,
            ):
                start = from_minutes(option.start)
                if start.minute:
                    continue
                found.extend(
                    (pid, start.isoformat()) for pid in option.practitioner_ids[: dataset.ROOMS]
                )
    return found


def _proofs(db: Database, phones: list[str]) -> dict[str, str]:
    """A proof for each phone, made before the clock starts: every booking presents one, as a
    real client's does after checking the code texted to it (not part of what is measured)."""
    settings = Settings(secret_key="bench-proofs")
    now = datetime.now(UTC)
    return {phone: prove_phone(db, settings, now, phone) for phone in phones}


def _phone(n: int, k: int) -> str:
    return f"+4474{n:02d}{k:06d}"


def _kind(pid: int, command: str) -> str:
    if pid == os.getpid():
        return "client"
    for kind, word in (("web", "gunicorn"), ("postgresql", "postgres"), ("redis", "redis")):
        if word in command:
            return kind
    return ""


def run_booking_load(database_url: str) -> Load:
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    db = Database(database_url)
    dataset.build(db, appointments=0)
    with db.session() as session:
        service_id = session.scalars(select(Service.id).where(Service.code == "acupuncture")).one()
    slots = _slots(db)
    proofs = _proofs(
        db, [_phone(n, k) for n in range(CLIENTS) for k in range(len(slots[n::CLIENTS]))]
    )
    redis = EmbeddedRedis(workdir / "redis").start()
    port = free_port()
    # Twenty clients on one address, on purpose: the limits on anonymous work are off.
    env = process_env(database_url, redis.url, workdir / "instance", None, RATE_LIMITS_ENABLED="0")
    web = ManagedProcess(
        "web",
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2", "web.wsgi:app"],
        env,
        workdir,
    ).start()
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    stop_at = 0.0

    def client(n: int) -> None:
        mine = slots[n::CLIENTS]
        for k, (practitioner_id, start) in enumerate(mine):
            if time.monotonic() >= stop_at:
                return
            body = json.dumps(
                {
                    "service_id": service_id,
                    "practitioner_id": practitioner_id,
                    "start": start,
                    "patient": {
                        "first_name": "Load",
                        "last_name": f"Client{n}",
                        "phone": _phone(n, k),
                    },
                    "consents": {"reminders": True, "diary_prompts": False},
                    "screen": CLEAR_SCREEN,
                    "phone_proof": proofs[_phone(n, k)],
                }
            )
            began = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/api/v1/bookings", body, {"Content-Type": "application/json"})
            status = conn.getresponse().status
            conn.close()
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                statuses.append(status)
                latencies.append(elapsed)

    roots = [os.getpid(), *filter(None, [postmaster_pid(database_url)])]
    sampler = CpuSampler(lambda: roots, _kind)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz")
        peak = 0.0
        stop_at = time.monotonic() + SECONDS
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        with sampler:
            sampler.mark()
            began = time.monotonic()
            for thread in threads:
                thread.start()
            while any(t.is_alive() for t in threads):
                assert web.process is not None
                peak = max(peak, rss_mb(web.process.pid))
                time.sleep(0.5)
            elapsed = time.monotonic() - began
    finally:
        web.stop()
        redis.stop()
    booked = [lat for lat, status in zip(latencies, statuses, strict=True) if status == 201]
    answered = [status for status in statuses if status in (201, 409)]
    quantiles = statistics.quantiles(latencies, n=100)
    result = Load(
        bookings_per_s=len(booked) / elapsed,
        p50_ms=statistics.median(latencies),
        p99_ms=quantiles[98],
        conflicts=statuses.count(409),
        errors=sum(1 for s in statuses if s not in (201, 409)),
        error_codes=sorted({s for s in statuses if s not in (201, 409)}),
        double_bookings=double_bookings(db),
        web_rss_mb=peak,
        cpu_ms={k: v * 1000 / max(1, len(answered)) for k, v in sampler.by_kind().items()},
    )
    db.dispose()
    return result
