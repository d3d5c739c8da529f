"""A benchmark figure (a measured value and its target), the printed table, the results file."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results.json"


@dataclass
class Figure:
    name: str
    backend: str
    value: float
    unit: str
    target: str = ""  # "<= 10", ">= 0.8"; none for a figure shown to explain the others

    @property
    def verdict(self) -> str:
        if not self.target:
            return ""
        op, limit = self.target.split(" ", 1)
        good = self.value <= float(limit) if op == "<=" else self.value >= float(limit)
        return "pass" if good else "miss"


def print_table(figures: list[Figure]) -> None:
    print(f"\n{'figure':<40}{'backend':<12}{'value':>12}  {'unit':<8}{'target':<10}result")
    for f in figures:
        print(f"{f.name:<40}{f.backend:<12}{f.value:>12.2f}  {f.unit:<8}{f.target:<10}{f.verdict}")


def write_results(figures: list[Figure], kept: list[dict[str, Any]] | None = None) -> None:
    """Write ``figures`` (after ``kept``, earlier results to keep) to ``bench/results.json``."""
    RESULTS.write_text(json.dumps((kept or []) + [asdict(f) for f in figures], indent=2) + "\n")
    print(f"\nwrote {RESULTS}")
