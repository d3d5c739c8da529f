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
        Figure("availability_8w_ms", backend, measured["availability_8w_ms"], "ms", "<= 25"),
        Figure("course_plan_ms", backend, measured["course_plan_ms"], "ms", "<= 50"),
        Figure("availability_8w_slots", backend, measured["availability_8w_slots"], "slots", ""),
        Figure("course_plan_visits", backend, measured["course_plan_visits"], "visits", ""),
        Figure("calendar_week_ms", backend, week.median_ms, "ms", "<= 50"),
        Figure("calendar_week_events", backend, float(week.events), "events", ""),
    ]


def messaging_figures() -> list[Figure]:
    figures: list[Figure] = []
    with postgres_database() as url:
        two = messaging.run_dispatch(url, workers=2)
    print(f"  10,000 messages, 2 worker processes: last accepted {two.seconds:.1f} s after due")
    floor = messaging.run_floor(processes=2)
    print(f"  the same posts from a bare twilio client loop in 2 processes: {floor:.1f} s")
    figures += [
        Figure("dispatch_10k_s", "postgresql", two.seconds, "s", "<= 10"),
        Figure("dispatch_p99_lateness_s", "postgresql", two.p99_lateness, "s", ""),
        Figure("dispatch_floor_s", "postgresql", floor, "s", ""),
        Figure("dispatch_vs_floor_ratio", "postgresql", floor / two.seconds, "ratio", ">= 0.5"),
    ]
    peak_rss = two.worker_rss_mb
    for workers in (1, 2, 4):
        if workers == 2:
            figures.append(
                Figure("dispatch_msgs_per_s_2w", "postgresql", two.per_second, "msg/s", "")
            )
            continue
        with postgres_database() as url:
            run = messaging.run_dispatch(url, workers=workers)
        print(f"  {workers} worker process(es): {run.per_second:.0f} messages a second")
        peak_rss = max(peak_rss, run.worker_rss_mb)
        figures.append(
            Figure(f"dispatch_msgs_per_s_{workers}w", "postgresql", run.per_second, "msg/s", "")
        )
    with postgres_database() as url:
        error = messaging.run_rate_limit(url, rate=10.0)
    print(f"  a global rate of 10 a second across 4 workers: {error:.1f}% off")
    figures += [
        Figure("rate_limit_error_pct", "postgresql", error, "%", "<= 10"),
        Figure("worker_rss_mb", "postgresql", peak_rss, "MB", "<= 200"),
    ]
    order = ["1w", "2w", "4w"]
    return sorted(
        figures,
        key=lambda f: (
            f.name.startswith("dispatch_msgs"),
            order.index(f.name[-2:]) if f.name.startswith("dispatch_msgs") else 0,
        ),
    )


def load_figures() -> list[Figure]:
    with postgres_database() as url:
        load = booking_load.run_booking_load(url)
    print(
        f"  20 clients for 30 s: {load.bookings_per_s:.0f} bookings/s, p99 {load.p99_ms:.0f} ms, "
        f"{load.conflicts} conflicts, {load.errors} errors {load.error_codes}"
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
    print("messaging: the fake Twilio in its own process, PostgreSQL, embedded Redis", flush=True)
    figures += messaging_figures()
    print("booking API under load, and the dispatcher's claim at scale", flush=True)
    figures += load_figures()
    print_table(figures)
    write_results(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
