"""GET /healthz: the database, Redis and the workers' heartbeat, for load balancers and people."""

from __future__ import annotations

from typing import Any

import redis
from flask import Blueprint, Response, jsonify

from ops.embedded_redis import resolve_redis_url
from scheduler.health import WorkerHeartbeat, read_heartbeat
from web.context import clock, db, settings

bp = Blueprint("health", __name__)


def _redis_client() -> redis.Redis:
    url = resolve_redis_url(settings().redis_url, settings().instance_path)
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 while the database and Redis answer (``degraded`` if no worker beat lately), else 503."""
    checks = {"database": _database_check(), **_redis_checks()}
    core_ok = checks["database"]["status"] == "ok" and checks["redis"]["status"] == "ok"
    status = "ok" if core_ok and checks["worker"]["status"] == "ok" else "degraded"
    if not core_ok:
        status = "error"
    return jsonify({"status": status, "checks": checks}), 200 if core_ok else 503


def _database_check() -> dict[str, Any]:
    try:
        db().ping()
    except Exception as exc:  # any failure to reach it is the answer
        return {"status": "error", "error": type(exc).__name__}
    return {"status": "ok", "backend": db().dialect}


def _redis_checks() -> dict[str, dict[str, Any]]:
    """Redis, and the workers' heartbeat read from it (unknown while Redis does not answer)."""
    try:
        client = _redis_client()
        client.ping()
        beat = read_heartbeat(client, clock().now())
    except redis.exceptions.RedisError as exc:
        return {
            "redis": {"status": "error", "error": type(exc).__name__},
            "worker": {"status": "unknown"},
        }
    return {"redis": {"status": "ok"}, "worker": _worker_check(beat)}


def _worker_check(beat: WorkerHeartbeat) -> dict[str, Any]:
    return {
        "status": beat.status,
        "last_seen": beat.last_seen.isoformat() if beat.last_seen else None,
        "age_seconds": round(beat.age_s, 1) if beat.age_s is not None else None,
    }
