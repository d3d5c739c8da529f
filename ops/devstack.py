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
from collections.abc import Mapping
from pathlib import Path

from ops.demo_staff import ensure_demo_staff
from ops.embedded_redis import EmbeddedRedis
from ops.migrations import upgrade_database
from scheduler.clock import SystemClock
from scheduler.config import ConfigurationError, Settings, load_settings
from scheduler.db import Database
from scheduler.demo import load_demo_clinic
from scheduler.records.audit import register_audit_listener

BIN = Path(sys.executable).parent
DEFAULT_PORT = 5000


def _commands(port: int) -> dict[str, list[str]]:
    return {
        "web": [
            str(BIN / "gunicorn"),
            "--config", "python:ops.gunicorn_conf",  # an access log that masks tokens
            "--bind", f"127.0.0.1:{port}",
            "--workers", "2",
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


class _StopRequest:
    """Set by Ctrl-C (SIGINT) or SIGTERM once it is installed: the stack is asked to stop."""

    def __init__(self) -> None:
        self.received = False
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.received = True


def _embedded_redis(settings: Settings, env: dict[str, str]) -> EmbeddedRedis | None:
    """An embedded Redis when ``REDIS_URL`` is unset, its URL put in the children's ``env``."""
    if settings.redis_url:
        return None
    server = EmbeddedRedis(settings.instance_path / "redis").start()
    env["REDIS_URL"] = server.url
    print(f"redis: embedded server at {server.url}", flush=True)
    return server


DEMO_MODES = {"full": True, "empty": False}  # DEMO: whether the demo clinic has a history


def demo_history(environ: Mapping[str, str]) -> bool:
    """``DEMO=full`` (the default) loads the demo clinic with its history and the weeks ahead
    booked; ``DEMO=empty`` its set-up only.

    :raise ConfigurationError: for any other value, before anything is started or written.
    """
    mode = environ.get("DEMO", "").strip().lower() or "full"
    if mode not in DEMO_MODES:
        raise ConfigurationError(f"DEMO {environ['DEMO']!r} is not one of: full, empty")
    return DEMO_MODES[mode]


def _prepare_database(settings: Settings, history: bool) -> str:
    """Migrate, load the demo clinic and its staff when empty; returns the staff's sign-in lines."""
    upgrade_database(settings.database_url)
    register_audit_listener()
    db = Database(settings.database_url)
    started = time.monotonic()
    with db.transaction() as session:
        if load_demo_clinic(session, settings, SystemClock().now(), history=history):
            what = "with its history" if history else "empty (set-up only)"
            seconds = time.monotonic() - started
            print(f"database: demo clinic loaded {what} in {seconds:.1f} s", flush=True)
    staff_lines = ensure_demo_staff(db, settings.instance_path)
    db.dispose()
    return staff_lines


def _banner(port: int, staff_lines: str, sms_backend: str) -> str:
    """Where everything is, and how to stop it."""
    printed_here = " (messages are printed here)" if sms_backend == "console" else ""
    return (
        f"\n  Booking page:  http://127.0.0.1:{port}/\n"
        f"  API:           http://127.0.0.1:{port}/api/v1/openapi.json\n"
        f"  Health:        http://127.0.0.1:{port}/healthz\n"
        f"  Staff console: http://127.0.0.1:{port}/staff (demo accounts below)\n"
        f"{staff_lines}"
        f"  SMS backend:   {sms_backend}{printed_here}\n"
        "  Press Ctrl-C to stop everything.\n"
    )


def _watch(processes: dict[str, subprocess.Popen[bytes]], stop: _StopRequest) -> int:
    """Wait for a stop request (0) or for any process to die (1)."""
    while not stop.received:
        dead = [name for name, p in processes.items() if p.poll() is not None]
        if dead:
            print(f"{', '.join(dead)} stopped; stopping everything", flush=True)
            return 1
        time.sleep(0.5)
    return 0


def stack_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the stack's processes: ``PUBLIC_BASE_URL`` follows ``PORT`` unless
    it is set, so every texted link and feed address points at the web server it starts."""
    env = dict(environ)
    port = env.setdefault("PORT", str(DEFAULT_PORT))
    if not env.get("PUBLIC_BASE_URL"):
        env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    return env


def main() -> int:
    """Run the development stack until Ctrl-C, SIGTERM or a process dying (exit status 1)."""
    env = stack_env(os.environ)
    settings = load_settings(env)
    try:
        history = demo_history(env)
    except ConfigurationError as exc:
        print(f"make run: {exc}", file=sys.stderr, flush=True)
        return 2
    redis_server = _embedded_redis(settings, env)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    stop = _StopRequest()
    try:
        staff_lines = _prepare_database(settings, history)
        port = int(env["PORT"])
        for name, command in _commands(port).items():
            processes[name] = subprocess.Popen(command, env=env, start_new_session=True)
        print(_banner(port, staff_lines, settings.sms_backend), flush=True)
        return _watch(processes, stop)
    finally:
        _stop(processes)
        if redis_server is not None:
            redis_server.stop()
        print("all processes stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
