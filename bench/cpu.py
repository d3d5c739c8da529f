"""CPU seconds per kind of process during a benchmark, sampled from /proc: where the time goes."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

TICKS = os.sysconf("SC_CLK_TCK")

# A process's command line -> the kind it is counted as ("" leaves it out).
Classify = Callable[[int, str], str]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def _tree(pid: int) -> list[int]:
    """``pid`` and every process under it."""
    found, stack = [pid], [pid]
    while stack:
        kids = _children(stack.pop())
        found += kids
        stack += kids
    return found


def _cpu_seconds(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


class CpuSampler:
    """Samples, every ``interval`` seconds, the CPU time of every process under ``roots`` (and
    of the roots), from ``start()`` (or ``mark()``) to ``stop()``: a process that ends between
    samples keeps its last reading. ``by_kind()`` sums the seconds per ``classify`` answer."""

    def __init__(
        self, roots: Callable[[], list[int]], classify: Classify, interval: float = 0.1
    ) -> None:
        self._roots = roots
        self._classify = classify
        self._interval = interval
        self._seen: dict[int, tuple[str, float]] = {}
        self._base: dict[int, float] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the sampler thread and mark() / stop() both sample
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop sampling, after one last reading of every process."""
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join()
            self._sample()

    def mark(self) -> None:
        """Count from now: what each process used so far is left out."""
        self._sample()
        with self._lock:
            self._base = {pid: seconds for pid, (_kind, seconds) in self._seen.items()}

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sample()

    def _sample(self) -> None:
        with self._lock:
            self._sample_all()

    def _sample_all(self) -> None:
        for root in self._roots():
            for pid in _tree(root):
                seconds = _cpu_seconds(pid)
                if seconds is None:
                    continue
                known = self._seen.get(pid)
                kind = known[0] if known else self._classify(pid, command(pid))
                self._seen[pid] = (kind, seconds)

    def by_kind(self) -> dict[str, float]:
        """CPU seconds per kind since the start (or the mark)."""
        total: Counter[str] = Counter()
        with self._lock:
            seen = dict(self._seen)
        for pid, (kind, seconds) in seen.items():
            if kind:
                total[kind] += seconds - self._base.get(pid, 0.0)
        return dict(total)
