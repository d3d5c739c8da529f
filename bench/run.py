"""``make bench``: set up data and services, run every benchmark, print a table, write JSON."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import dataset, scheduling
from bench.services import postgres_database, sqlite_database
from scheduler.config import Settings
from scheduler.db import Database

RESULTS = Path(__file__).parent / "results.json"


@dataclass
class Figure:
    name: str
    backend: str
    value: float
    unit: str
    target: str

    @property
    def verdict(self) -> str:
        if not self.target:
            return ""
        op, limit = self.target.split(" ", 1)
        good = self.value <= float(limit) if op == "<=" else self.value >= float(limit)
        return "pass" if good else "miss"


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
    db.dispose()
    return [
        Figure("availability_8w_ms", backend, measured["availability_8w_ms"], "ms", "<= 25"),
        Figure("course_plan_ms", backend, measured["course_plan_ms"], "ms", "<= 50"),
        Figure("availability_8w_slots", backend, measured["availability_8w_slots"], "slots", ""),
        Figure("course_plan_visits", backend, measured["course_plan_visits"], "visits", ""),
    ]


def print_table(figures: list[Figure]) -> None:
    print(f"\n{'figure':<26}{'backend':<12}{'value':>12}  {'unit':<8}{'target':<10}result")
    for f in figures:
        print(f"{f.name:<26}{f.backend:<12}{f.value:>12.2f}  {f.unit:<8}{f.target:<10}{f.verdict}")


def main() -> int:
    figures: list[Figure] = []
    print("scheduling: 20 practitioners, 10 rooms, 200,000 appointments", flush=True)
    with sqlite_database() as url:
        figures += scheduling_figures("sqlite", url)
    with postgres_database() as url:
        figures += scheduling_figures("postgresql", url)
    print_table(figures)
    RESULTS.write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n")
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
