"""Real processes for tests (web, worker, beat, fakes), with logs kept and clean shutdown."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import requests

from scheduler.config import PROJECT_ROOT

BIN = Path(sys.executable).parent


class ManagedProcess:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name: str, command: list[str], env: Mapping[str, str], log_dir: Path):
        self.name = name
        self.command = command
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def signal(self, signum: int) -> None:
        if self.running:
            assert self.process is not None
            os.killpg(self.process.pid, signum)

    def stop(self, grace: float = 10.0) -> None:
        """Ask the main process to stop (a Celery worker then finishes its running tasks and
        stops its own pool, as in a deployment; a SIGTERM to the whole group would kill the
        pool mid-task); after ``grace`` seconds, SIGKILL the whole group."""
        if self.process is None:
            return
        if self.running:
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait()
        with contextlib.suppress(ProcessLookupError):  # anything of its group left behind
            os.killpg(self.process.pid, signal.SIGKILL)


def wait_until(
    condition: Callable[[], object], timeout: float, interval: float = 0.1, what: str = ""
) -> object:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    def ready() -> bool:
        try:
            return requests.get(url, timeout=1).status_code < 500
        except requests.RequestException:
            return False

    wait_until(ready, timeout, 0.2, f"{url} to answer")


def celery_worker(
    env: Mapping[str, str],
    log_dir: Path,
    concurrency: int = 2,
    name: str = "worker",
    loglevel: str = "INFO",
):
    process = ManagedProcess(
        name,
        [
            str(BIN / "celery"), "-A", "workers.celery_app", "worker",
            "--loglevel", loglevel, "--concurrency", str(concurrency), "-Q", "clinic",
            "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle",
        ],
        env,
        log_dir,
    ).start()  # fmt: skip
    wait_until(lambda: "ready." in process.log() or not process.running, 60, 0.2, "worker")
    assert process.running, process.log()
    return process


def celery_beat(
    env: Mapping[str, str], log_dir: Path, name: str = "beat", loglevel: str = "INFO"
) -> ManagedProcess:
    """Beat, logging at ``loglevel`` (DEBUG shows each periodic run it sends)."""
    schedule = log_dir / f"{name}-schedule"
    return ManagedProcess(
        name,
        [
            str(BIN / "celery"), "-A", "workers.celery_app", "beat",
            "--loglevel", loglevel, "--schedule", str(schedule),
        ],
        env,
        log_dir,
    ).start()  # fmt: skip


def child_pids(pid: int) -> list[int]:
    """The direct children of ``pid`` (a Celery worker's prefork pool), from /proc."""
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    return [int(child) for child in found]


def connected_to(pids: list[int], port: int) -> list[int]:
    """Those of ``pids`` holding an open TCP connection to 127.0.0.1:``port`` right now."""
    inodes = _established_inodes(port)
    if not inodes:
        return []
    return [pid for pid in pids if _socket_inodes(pid) & inodes]


def _established_inodes(port: int) -> set[str]:
    """Socket inodes of established IPv4 connections whose far end is ``port`` on this host."""
    remote = f"0100007F:{port:04X}"
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[2] == remote and fields[3] == "01":  # 01: ESTABLISHED
            inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue  # closed meanwhile
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except FileNotFoundError:
        pass  # the process has gone
    return inodes


def serving_on(pids: list[int], port: int) -> list[int]:
    """Those of ``pids`` holding an accepted connection on 127.0.0.1:``port`` right now (a
    web worker in the middle of a request)."""
    local = f"0100007F:{port:04X}"
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == "01":  # 01: ESTABLISHED
            inodes.add(fields[9])
    if not inodes:
        return []
    return [pid for pid in pids if _socket_inodes(pid) & inodes]
