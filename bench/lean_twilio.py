"""A lean stand-in for Twilio's Messages resource, so the benchmarks time the sender, not a fake."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["LeanTwilio", "main"]

API_VERSION = "2010-04-01"
_MESSAGES_PREFIX = f"/{API_VERSION}/Accounts/"
_MESSAGES_SUFFIX = "/Messages.json"


@dataclass
class _Message:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    service: str | None
    body: str
    stamp: str  # RFC 2822, as Twilio writes its dates
    day: date  # the GMT date it was sent, for the DateSent filters
    seq: int

    def resource(self) -> dict[str, Any]:
        """The message as Twilio's JSON gives it (the fields the twilio library reads)."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": self.stamp,
            "date_sent": self.stamp,
            "date_updated": self.stamp,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": self.service,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": None,
            "sid": self.sid,
            "status": "accepted" if self.service and not self.from_ else "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": self.to,
            "uri": uri,
        }


class _Store:
    """What was accepted: every message (by recipient too), the distinct bodies and the times."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._prefix = os.urandom(8).hex()
        self._seq = 0
        self._by_to: dict[str, list[_Message]] = {}
        self._bodies: set[str] = set()
        self._accepted_at: list[float] = []
        self._second = -1
        self._stamp = ""
        self._day = date.min

    def _clock(self) -> tuple[str, date]:
        now = time.time()
        second = int(now)
        if second != self._second:
            moment = datetime.fromtimestamp(second, UTC)
            self._second, self._stamp, self._day = second, format_datetime(moment), moment.date()
        return self._stamp, self._day

    def add(self, account_sid: str, form: dict[str, str]) -> _Message:
        """Keep one created message; returns it."""
        with self._lock:
            self._seq += 1
            stamp, day = self._clock()
            message = _Message(
                sid=f"SM{self._prefix}{self._seq:016x}",
                account_sid=account_sid,
                to=form.get("To", ""),
                from_=form.get("From") or None,
                service=form.get("MessagingServiceSid") or None,
                body=form.get("Body", ""),
                stamp=stamp,
                day=day,
                seq=self._seq,
            )
            self._by_to.setdefault(message.to, []).append(message)
            self._bodies.add(message.body)
            self._accepted_at.append(time.time())
        return message

    def find(self, to: str | None, keep: Callable[[_Message], bool]) -> list[_Message]:
        """Messages (to ``to``, or to anyone) that ``keep`` accepts, newest first."""
        with self._lock:
            if to is not None:
                pool = list(self._by_to.get(to, ()))
            else:
                pool = [m for messages in self._by_to.values() for m in messages]
        return sorted((m for m in pool if keep(m)), key=lambda m: m.seq, reverse=True)

    def stats(self) -> dict[str, Any]:
        """``count``, ``distinct_bodies`` and ``accepted_at`` (``time.time()`` per message)."""
        with self._lock:
            times = list(self._accepted_at)
            distinct = len(self._bodies)
        return {"count": len(times), "distinct_bodies": distinct, "accepted_at": times}

    def count(self) -> int:
        """How many messages were accepted: what ``GET /_fake/count`` answers, cheap to poll."""
        with self._lock:
            return len(self._accepted_at)


def _filter_day(value: str) -> date:
    """The GMT date of a DateSent value (ISO 8601 date or date-time, or RFC 2822)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        moment = parsedate_to_datetime(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


class _Handler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1; every answer goes out in one write, with no access log."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _send(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        reason = self.responses.get(status, ("",))[0]
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.wfile.write(head.encode("latin-1") + body)

    def _account(self, path: str) -> str | None:
        """The account sid of a Messages list path, else None."""
        if path.startswith(_MESSAGES_PREFIX) and path.endswith(_MESSAGES_SUFFIX):
            sid = path[len(_MESSAGES_PREFIX) : -len(_MESSAGES_SUFFIX)]
            return sid if sid and "/" not in sid else None
        return None

    def do_POST(self) -> None:
        """Create a message from the form: 201 with its resource."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        account = self._account(urlsplit(self.path).path)
        if account is None:
            self._send(404, {"code": 20404, "message": "Not found", "status": 404})
            return
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        self._send(201, self.server.store.add(account, form).resource())

    def do_GET(self) -> None:
        """The Messages list filtered by To, From and DateSent; or the stats."""
        parts = urlsplit(self.path)
        if parts.path == "/_fake/stats":
            self._send(200, self.server.store.stats())
            return
        if parts.path == "/_fake/count":
            self._send(200, {"count": self.server.store.count()})
            return
        if self._account(parts.path) is None:
            self._send(404, {"code": 20404, "message": "Not found", "status": 404})
            return
        args = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self._send(200, self._page(parts.path, args))

    def _page(self, path: str, args: dict[str, str]) -> dict[str, Any]:
        on = _filter_day(args["DateSent"]) if "DateSent" in args else None
        after = _filter_day(args["DateSent>"]) if "DateSent>" in args else None
        before = _filter_day(args["DateSent<"]) if "DateSent<" in args else None
        sender = args.get("From")

        def keep(m: _Message) -> bool:
            return (
                (sender is None or m.from_ == sender)
                and (on is None or m.day == on)
                and (after is None or m.day >= after)
                and (before is None or m.day <= before)
            )

        size = max(1, min(int(args.get("PageSize", 50)), 1000))
        items = [m.resource() for m in self.server.store.find(args.get("To"), keep)[:size]]
        return {
            "end": max(0, len(items) - 1),
            "first_page_uri": f"{path}?PageSize={size}&Page=0",
            "next_page_uri": None,
            "page": 0,
            "page_size": size,
            "previous_page_uri": None,
            "start": 0,
            "uri": f"{path}?PageSize={size}&Page=0",
            "messages": items,
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.store = _Store()


class LeanTwilio:
    """Serves Twilio's Messages resource without checks, in a background thread.

    ``POST /2010-04-01/Accounts/{sid}/Messages.json`` -> 201 ``queued``;
    ``GET`` of the same path filtered by ``To``, ``From``, ``DateSent``, ``DateSent>`` and
    ``DateSent<`` (GMT dates) -> one page, newest first; ``GET /_fake/stats`` and
    ``GET /_fake/count``.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind (port 0 picks a free port); `start` serves."""
        self._server = _Server((host, port))
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """E.g. ``http://127.0.0.1:54321``: give it to ``client.api.base_url``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stats(self) -> dict[str, Any]:
        """What ``GET /_fake/stats`` answers."""
        return self._server.store.stats()

    def start(self) -> LeanTwilio:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="lean-twilio", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LeanTwilio:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; print the base URL as the first line of stdout."""
    parser = argparse.ArgumentParser(prog="python -m bench.lean_twilio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with LeanTwilio(args.host, args.port) as server:
        print(server.base_url, flush=True)
        while not done.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
