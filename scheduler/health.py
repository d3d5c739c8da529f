"""Health of the moving parts: the database, Redis and the workers' heartbeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

HEARTBEAT_KEY = "clinic:worker:heartbeat"
HEARTBEAT_STALE_AFTER_S = 60.0


@dataclass(frozen=True)
class WorkerHeartbeat:
    last_seen: datetime | None
    age_s: float | None

    @property
    def status(self) -> str:
        if self.age_s is None:
            return "missing"
        return "ok" if self.age_s <= HEARTBEAT_STALE_AFTER_S else "stale"


def record_heartbeat(redis: Any, now: datetime) -> None:
    """Called by a worker: the time it last did periodic work."""
    redis.set(HEARTBEAT_KEY, now.isoformat(), ex=24 * 3600)


def read_heartbeat(redis: Any, now: datetime) -> WorkerHeartbeat:
    raw = redis.get(HEARTBEAT_KEY)
    if raw is None:
        return WorkerHeartbeat(None, None)
    seen = datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else raw)
    return WorkerHeartbeat(seen, max(0.0, (now - seen).total_seconds()))
