"""``make bench``: set up data and services, run every benchmark, print a table, write JSON."""

from __future__ import annotations

import sys
import time

from bench import booking_load, calendar_week, claims, dataset, messaging, scheduling
from bench.figures import Figure, print_table, write_results
from bench.services import postgres_database, sqlite_database
from scheduler.config import Settings
from scheduler.db import Database
from scheduler.records.audit import register_audit_listener


def scheduling_figures(backend: str, url: str) -> list[Figure]:
    db = Database(url)
    began = time.perf_counter()
    built = dataset.build(db)
    print(
        f"  {backend}: {built['appointments']:,} appointments written in "
        f"{time.perf_counter() - began:.1f} s",
        flush=True,
    )
    settings = Settings(database_url=url, secret_key="bench", clinic_timezone="Europe/London")
    measured = scheduling.measure(db, settings)
    week = calendar_week.measure(db, url)
    db.dispose()
    return [
        Figure("availability_8w_ms", backend, measured["availability_8w_ms"], "ms", "<= 10"),
        Figure("course_plan_ms", backend, measured["course_plan_ms"], "ms", "<= 50"),
        Figure("availability_8w_slots", backend, measured["availability_8w_slots"], "slots", ""),
        Figure("course_plan_visits", backend, measured["course_plan_visits"], "visits", ""),
        Figure("calendar_week_ms", backend, week.median_ms, "ms", "<= 50"),
        Figure("calendar_week_events", backend, float(week.events), "events", ""),
    ]


def dispatch_run(backend: str, workers: int) -> messaging.Dispatch:
    """One dispatch run (``messaging.MESSAGES`` messages) on a fresh database of ``backend``."""
    database = sqlite_database if backend == "sqlite" else postgres_database
    with database() as url:
        return messaging.run_dispatch(url, workers=workers)


def _split(cpu_ms: dict[str, float]) -> str:
    return ", ".join(f"{kind} {ms:.2f}" for kind, ms in sorted(cpu_ms.items(), key=lambda i: -i[1]))


def messaging_figures() -> list[Figure]:
    floor = messaging.run_floor(processes=2)
    floor_rate = messaging.MESSAGES / floor
    print(
        f"  {messaging.MESSAGES:,} posts from a bare twilio client loop in 2 processes to the "
        f"lean stand-in: {floor:.1f} s ({floor_rate:.0f} a second)"
    )
    tuned = messaging.run_floor(processes=2, gateway_client=True)
    print(f"  the same loop with the gateway's HTTP client: {tuned:.1f} s")
    figures: list[Figure] = [
        Figure("dispatch_floor_gateway_client_s", "none", tuned, "s", ""),
    ]
    runs: dict[tuple[str, int], messaging.Dispatch] = {}
    for backend in ("sqlite", "postgresql"):
        two = runs[backend, 2] = dispatch_run(backend, workers=2)
        print(
            f"  {backend}: {messaging.MESSAGES:,} messages, 2 worker processes: last accepted "
            f"{two.seconds:.1f} s after due; CPU ms a message: {_split(two.cpu_ms)}"
        )
        figures += [
            Figure("dispatch_10k_s", backend, two.seconds, "s", "<= 10"),
            Figure("dispatch_p99_lateness_s", backend, two.p99_lateness, "s", ""),
            Figure("dispatch_floor_s", backend, floor, "s", ""),
            Figure("dispatch_vs_floor_ratio", backend, floor / two.seconds, "ratio", ">= 0.8"),
            Figure("dispatch_vs_gateway_client_floor_ratio", backend, tuned / two.seconds, "ratio"),
            Figure("dispatch_worker_cpu_ms_per_msg", backend, two.cpu_ms.get("worker", 0), "ms"),
        ]
    for workers in (1, 4):
        run = runs["postgresql", workers] = dispatch_run("postgresql", workers)
        print(f"  postgresql, {workers} worker process(es): {run.per_second:.0f} messages a second")
    figures += [
        Figure(
            f"dispatch_msgs_per_s_{w}w", "postgresql", runs["postgresql", w].per_second, "msg/s", ""
        )
        for w in (1, 2, 4)
    ]
    figures.append(Figure("dispatch_floor_msgs_per_s", "postgresql", floor_rate, "msg/s", ""))
    with postgres_database() as url:
        error = messaging.run_rate_limit(url, rate=10.0)
    print(f"  a global rate of 10 a second across 4 workers: {error:.1f}% off")
    peak_rss = max(run.worker_rss_mb for run in runs.values())
    figures.append(Figure("rate_limit_error_pct", "postgresql", error, "%", "<= 10"))
    figures.append(Figure("worker_rss_mb", "postgresql", peak_rss, "MB", "<= 200"))
    return figures


def load_figures() -> list[Figure]:
    with postgres_database() as url:
        load = booking_load.run_booking_load(url)
    print(
        f"  20 clients for 30 s: {load.bookings_per_s:.0f} bookings/s, p99 {load.p99_ms:.0f} ms, "
        f"{load.conflicts} conflicts, {load.errors} errors {load.error_codes}; "
        f"CPU ms a booking: {_split(load.cpu_ms)}"
    )
    print(
        f"  projected from that CPU, clients elsewhere: {load.ceiling(1):.0f} bookings/s on "
        f"this host, {load.ceiling(2):.0f} with a second 2-core gunicorn host"
    )
    with postgres_database() as url:
        small, large = claims.run_claim_scale(url)
    print(f"  claiming 500 due: {small:.1f} ms among 10,000 rows, {large:.1f} ms among 1,000,000")
    return [
        Figure("booking_rps", "postgresql", load.bookings_per_s, "req/s", ">= 150"),
        Figure("booking_p50_ms", "postgresql", load.p50_ms, "ms", ""),
        Figure("booking_p99_ms", "postgresql", load.p99_ms, "ms", "<= 150"),
        Figure("double_bookings", "postgresql", float(load.double_bookings), "pairs", "<= 0"),
        Figure("booking_errors", "postgresql", float(load.errors), "requests", "<= 0"),
        Figure("web_rss_mb", "postgresql", load.web_rss_mb, "MB", "<= 150"),
        Figure("booking_web_cpu_ms", "postgresql", load.cpu_ms.get("web", 0), "ms"),
        Figure("booking_db_cpu_ms", "postgresql", load.cpu_ms.get("postgresql", 0), "ms"),
        Figure("booking_ceiling_1_host_rps", "postgresql", load.ceiling(1), "req/s"),
        Figure("booking_ceiling_2_hosts_rps", "postgresql", load.ceiling(2), "req/s"),
        Figure("claim_500_of_10k_ms", "postgresql", small, "ms", ""),
        Figure("claim_500_of_1m_ms", "postgresql", large, "ms", ""),
        Figure("claim_scale_ratio", "postgresql", large / small, "ratio", "<= 1.5"),
    ]


def main() -> int:
    register_audit_listener()  # measure the writes as the app and the worker make them
    figures: list[Figure] = []
    print("scheduling: 20 practitioners, 10 rooms, 200,000 appointments", flush=True)
    with sqlite_database() as url:
        figures += scheduling_figures("sqlite", url)
    with postgres_database() as url:
        figures += scheduling_figures("postgresql", url)
    print(
        "messaging: the lean Twilio stand-in in its own process, SQLite and PostgreSQL, "
        "embedded Redis",
        flush=True,
    )
    figures += messaging_figures()
    print("booking API under load, and the dispatcher's claim at scale", flush=True)
    figures += load_figures()
    print_table(figures)
    write_results(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
