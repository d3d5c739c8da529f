"""``make run``: Redis, migrations, demo data, then web, worker and beat, stopped as one.

Ctrl-C (or SIGTERM, or any child dying) stops every process it started, whole process groups,
so nothing is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ops.demo_staff import ensure_demo_staff
from ops.embedded_redis import EmbeddedRedis
from ops.migrations import upgrade_database
from scheduler.config import load_settings
from scheduler.db import Database
from scheduler.demo import load_demo_clinic
from scheduler.records.audit import register_audit_listener

BIN = Path(sys.executable).parent


def _commands(port: int) -> dict[str, list[str]]:
    return {
        "web": [
            str(BIN / "gunicorn"),
            "--bind", f"127.0.0.1:{port}",
            "--workers", "2",
            "--access-logfile", "-",
            "web.wsgi:app",
        ],
        "worker": [
            str(BIN / "celery"), "-A", "workers.celery_app", "worker",
            "--loglevel", "INFO", "--concurrency", "2", "-Q", "clinic",
        ],
        "beat": [str(BIN / "celery"), "-A", "workers.celery_app", "beat", "--loglevel", "INFO"],
    }  # fmt: skip


def _stop(processes: dict[str, subprocess.Popen[bytes]], grace: float = 10.0) -> None:
    for process in processes.values():
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> int:
    settings = load_settings()
    env = dict(os.environ)
    redis_server: EmbeddedRedis | None = None
    if not settings.redis_url:
        redis_server = EmbeddedRedis(settings.instance_path / "redis").start()
        env["REDIS_URL"] = redis_server.url
        print(f"redis: embedded server at {redis_server.url}", flush=True)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def _on_signal(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        upgrade_database(settings.database_url)
        register_audit_listener()
        db = Database(settings.database_url)
        with db.transaction() as session:
            if load_demo_clinic(session):
                print("database: demo clinic loaded", flush=True)
        staff_lines = ensure_demo_staff(db, settings.instance_path)
        db.dispose()
        port = int(env.get("PORT", "5000"))
        for name, command in _commands(port).items():
            processes[name] = subprocess.Popen(command, env=env, start_new_session=True)
        print(
            f"\n  Booking page:  http://127.0.0.1:{port}/\n"
            f"  API:           http://127.0.0.1:{port}/api/v1/openapi.json\n"
            f"  Health:        http://127.0.0.1:{port}/healthz\n"
            f"  Staff console: http://127.0.0.1:{port}/staff (demo accounts below)\n"
            f"{staff_lines}"
            f"  SMS backend:   {settings.sms_backend}"
            f"{' (messages are printed here)' if settings.sms_backend == 'console' else ''}\n"
            "  Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        while not stopping:
            dead = [name for name, p in processes.items() if p.poll() is not None]
            if dead:
                print(f"{', '.join(dead)} stopped; stopping everything", flush=True)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        _stop(processes)
        if redis_server is not None:
            redis_server.stop()
        print("all processes stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
