"""A local fake of Twilio's Messaging REST API (2010-04-01) for tests, in-process or as a CLI."""

from __future__ import annotations

import argparse
import copy
import hmac
import json
import math
import re
import signal
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import urlencode

import requests
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

__all__ = ["DEFAULT_ACCOUNT_SID", "DEFAULT_AUTH_TOKEN", "Behaviour", "FakeTwilio", "main"]

DEFAULT_ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
DEFAULT_AUTH_TOKEN = "test-auth-token"
API_VERSION = "2010-04-01"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_BODY_LENGTH = 1600

# Twilio's texts for the error codes the fake produces (https://www.twilio.com/docs/errors/<code>).
ERROR_MESSAGES: dict[int, str] = {
    20001: "Invalid parameter",
    20003: "Authenticate",
    20004: "Method not allowed",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21701: "The Messaging Service Sid is invalid.",
}

# Values of the spec's `message_enum_status`.
MESSAGE_STATUSES = frozenset(
    {
        "queued",
        "sending",
        "sent",
        "failed",
        "delivered",
        "undelivered",
        "receiving",
        "received",
        "accepted",
        "scheduled",
        "read",
        "partially_delivered",
        "canceled",
    }
)

_E164 = re.compile(r"^(?:[a-z]+:)?\+[1-9]\d{1,14}$")
_MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")


@dataclass(frozen=True)
class Behaviour:
    """How the fake answers one create-message request; queue them with `FakeTwilio.script`.

    - `status=None, accepted=False`: wait `delay` seconds, then process the request normally.
    - `status=4xx/5xx, accepted=False`: wait `delay`, answer that error, record nothing.
    - `accepted=True`: validate and record the message as accepted *first*, then wait `delay`,
      then answer 201 (or `status`, if set).  A client that times out, or gets the error, cannot
      tell the message was accepted: the reconciliation case.

    Error bodies are Twilio's JSON (`code`, `message`, `more_info`, `status`) when `code` is set
    and plain text otherwise.  A 429 carries `Retry-After: retry_after` (1 by default).
    """

    status: int | None = None
    code: int | None = None
    message: str | None = None
    delay: float = 0.0
    accepted: bool = False
    retry_after: int | None = None

    @classmethod
    def error(
        cls,
        status: int,
        code: int | None = None,
        message: str | None = None,
        *,
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> Behaviour:
        """Answer `status` with Twilio error `code` (plain-text body when `code` is None)."""
        return cls(status=status, code=code, message=message, delay=delay, retry_after=retry_after)

    @classmethod
    def slow(cls, seconds: float) -> Behaviour:
        """Wait `seconds` before processing the request normally (nothing recorded before)."""
        return cls(delay=seconds)

    @classmethod
    def accepted_but_slow(cls, seconds: float, status: int | None = None) -> Behaviour:
        """Record the message as accepted, then wait `seconds` and answer 201 (or `status`)."""
        return cls(delay=seconds, accepted=True, status=status)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Behaviour:
        """Build from JSON such as `{"status": 429, "code": 20429, "retry_after": 2}`."""
        unknown = set(data) - {"status", "code", "message", "delay", "accepted", "retry_after"}
        if unknown:
            raise ValueError(f"unknown behaviour keys: {sorted(unknown)}")
        return cls(
            status=_optional_int(data.get("status")),
            code=_optional_int(data.get("code")),
            message=None if data.get("message") is None else str(data["message"]),
            delay=float(data.get("delay", 0.0)),
            accepted=bool(data.get("accepted", False)),
            retry_after=_optional_int(data.get("retry_after")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form accepted by `from_dict` and `POST /_fake/script`."""
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "delay": self.delay,
            "accepted": self.accepted,
            "retry_after": self.retry_after,
        }


@dataclass
class _Stored:
    resource: dict[str, Any]
    status_callback: str | None
    sent_at: datetime | None
    seq: int
    accepted_at: float = 0.0  # time.time() when taken, for timing benchmarks


@dataclass
class _State:
    messages: list[_Stored] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: deque[Behaviour] = field(default_factory=deque)
    rejected: dict[str, Behaviour] = field(default_factory=dict)
    failing_until: float = 0.0
    # A failing window armed but not started: it starts with the next create request.
    failing_for: float = 0.0
    failing: Behaviour | None = None
    seq: int = 0
    # One label per create request, in the order they were answered: see `FakeTwilio.answers`.
    answers: list[str] = field(default_factory=list)


class _QuietHandler(WSGIRequestHandler):
    """Request handler without per-request access logging; one connection per request."""

    protocol_version = "HTTP/1.0"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class FakeTwilio:
    """Fake of `https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages...`.

    Serves, with HTTP Basic auth (account sid + auth token):

    - `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form) -> 201 message resource
    - `GET  /2010-04-01/Accounts/{AccountSid}/Messages.json` with `To`, `From`, `DateSent`,
      `DateSent<`, `DateSent>`, `PageSize`, `Page`, `PageToken` -> 200 list page, newest first.
      Date filters compare GMT *dates* (inclusive), as Twilio documents; the time of day in a
      value such as the library's `2024-05-01T10:00:00Z` is ignored.
    - `GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json` -> 200 message resource

    and, without auth, control endpoints for out-of-process use: `GET /_fake/messages`,
    `GET /_fake/requests`, `GET /_fake/stats` (see `stats`), `POST /_fake/reset`,
    `POST /_fake/script` (JSON list of `Behaviour.to_dict()` objects) and
    `POST /_fake/deliver` (JSON `{"sid", "status", "error_code"}` -> `{"status": <callback
    HTTP status>}`).

    A created message is `queued` (`accepted` when sent through a Messaging Service without
    `From`) and has `date_sent` set at creation, like the spec's examples; it changes only
    through `deliver()`.  Thread-safe; every accessor returns copies.
    """

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Configure (not start) the fake; `clock` returns aware UTC datetimes for timestamps."""
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.host = host
        self.port = port
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.RLock()
        self._state = _State()
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._url_map = Map(
            [
                Rule(f"/{API_VERSION}/Accounts/<account_sid>/Messages.json", endpoint="messages"),
                Rule(f"/{API_VERSION}/Accounts/<account_sid>/Messages/<sid>.json", endpoint="one"),
                Rule("/_fake/messages", endpoint="ctl_messages", methods=["GET"]),
                Rule("/_fake/requests", endpoint="ctl_requests", methods=["GET"]),
                Rule("/_fake/reset", endpoint="ctl_reset", methods=["POST"]),
                Rule("/_fake/script", endpoint="ctl_script", methods=["POST"]),
                Rule("/_fake/deliver", endpoint="ctl_deliver", methods=["POST"]),
                Rule("/_fake/stats", endpoint="ctl_stats", methods=["GET"]),
            ],
            strict_slashes=False,
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        """Serve in a background daemon thread (port 0 picks a free port); returns self."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("FakeTwilio is already running")
            self._stopping.clear()
            server = make_server(
                self.host, self.port, self.wsgi_app, threaded=True, request_handler=_QuietHandler
            )
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-twilio:{server.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; scripted delays still pending are cut short.  Idempotent."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """E.g. `http://127.0.0.1:54321`: give it to `client.api.base_url`."""
        server = self._server
        if server is None:
            raise RuntimeError("FakeTwilio is not running; call start() first")
        return f"http://{self.host}:{server.port}"

    # -- scripting -------------------------------------------------------------------------

    def script(self, *responses: Behaviour | Mapping[str, Any]) -> None:
        """Queue behaviours, consumed one per authenticated create request, in order."""
        behaviours = [r if isinstance(r, Behaviour) else Behaviour.from_dict(r) for r in responses]
        with self._lock:
            self._state.script.extend(behaviours)

    def reject_number(
        self,
        to: str,
        status: int = 400,
        code: int = 21610,
        message: str | None = None,
    ) -> None:
        """Refuse every create to `to` with this error (default: 21610, unsubscribed)."""
        with self._lock:
            self._state.rejected[to] = Behaviour.error(status, code, message)

    def fail_for(self, seconds: float, status: int = 500, code: int | None = None) -> None:
        """Fail every create with `status` (plain text unless `code`) for `seconds` from the next
        create request: the window is measured from the first request it refuses, so a slow
        start (a busy machine, a worker still booting) cannot let it pass unseen."""
        with self._lock:
            self._state.failing_for = seconds
            self._state.failing_until = 0.0
            self._state.failing = Behaviour.error(status, code)

    def reset(self) -> None:
        """Forget messages, requests, script, rejected numbers and `fail_for`."""
        with self._lock:
            self._state = _State()

    # -- inspection ------------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages as API resources (the JSON Twilio returns), in creation order."""
        with self._lock:
            return [copy.deepcopy(m.resource) for m in self._state.messages]

    def answers(self) -> list[str]:
        """How each create request was answered, in the order they came: `failing 500` (a
        `fail_for` window), `scripted 429`, `scripted 201 after 4s` (a `Behaviour` from the
        script, its delay if any), or the plain status (`201`, `400`, ...); `""` while a
        request is still being answered."""
        with self._lock:
            return list(self._state.answers)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every API request seen (not `/_fake/*`): `method`, `path`, and dicts of str `query`,
        `form` (first value of each field), `headers` (incl. `Authorization`)."""
        with self._lock:
            return copy.deepcopy(self._state.requests)

    # -- status callbacks ------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """How many messages were accepted, and when (``time.time()``), in order; how many
        times each body was accepted more than once; and how many create requests got each
        answer (the labels of `answers`)."""
        with self._lock:
            times = [stored.accepted_at for stored in self._state.messages]
            bodies = Counter(stored.resource["body"] for stored in self._state.messages)
            answers = Counter(self._state.answers)
        return {
            "count": len(times),
            "accepted_at": times,
            "distinct_bodies": len(bodies),
            "answers": dict(answers),
        }

    def deliver(
        self,
        sid: str,
        status: str = "delivered",
        error_code: int | None = None,
        *,
        timeout: float = 5.0,
    ) -> int:
        """Set the message's status and POST Twilio's signed status callback; return its status.

        The form has `AccountSid`, `ApiVersion`, `From`, `MessageSid`, `MessageStatus`,
        `SmsSid`, `SmsStatus`, `To`, `MessagingServiceSid` (if any) and `ErrorCode` (if given),
        signed in `X-Twilio-Signature` with the auth token, as `RequestValidator` checks it.
        Raises KeyError for an unknown sid, ValueError without a StatusCallback, and
        `requests` exceptions when the callback URL cannot be reached.
        """
        if status not in MESSAGE_STATUSES:
            raise ValueError(f"unknown message status {status!r}")
        with self._lock:
            stored = next((m for m in self._state.messages if m.resource["sid"] == sid), None)
            if stored is None:
                raise KeyError(sid)
            if not stored.status_callback:
                raise ValueError(f"message {sid} was created without a StatusCallback")
            resource = stored.resource
            resource["status"] = status
            resource["error_code"] = error_code
            resource["date_updated"] = _rfc2822(self._now())
            url = stored.status_callback
            params = {
                "AccountSid": resource["account_sid"],
                "ApiVersion": API_VERSION,
                "From": resource["from"] or "",
                "MessageSid": sid,
                "MessageStatus": status,
                "SmsSid": sid,
                "SmsStatus": status,
                "To": resource["to"] or "",
            }
            if resource["messaging_service_sid"]:
                params["MessagingServiceSid"] = resource["messaging_service_sid"]
            if error_code is not None:
                params["ErrorCode"] = str(error_code)
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        reply = requests.post(
            url,
            data=params,
            headers={"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"},
            timeout=timeout,
        )
        return reply.status_code

    # -- WSGI ------------------------------------------------------------------------------

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """The WSGI application (usable without the server, e.g. with werkzeug's test Client)."""
        request = Request(environ)
        try:
            response = self._dispatch(request)
        except Exception as exc:  # an unexpected fake bug: make it visible to the test
            response = Response(f"FakeTwilio error: {exc!r}", status=500, mimetype="text/plain")
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if not request.path.startswith("/_fake/"):
            self._record(request)
        adapter = self._url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except NotFound:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        except MethodNotAllowed:
            return _error(405, 20004)
        except HTTPException as exc:
            return _error(exc.code or 400, 20001, exc.description)
        if endpoint.startswith("ctl_"):
            return self._control(endpoint, request)
        if not self._authenticated(request):
            reply = _error(401, 20003)
            reply.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            return reply
        if values["account_sid"] != self.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        if endpoint == "one":
            if request.method != "GET":
                return _error(405, 20004)
            return self._fetch(values["sid"], request.path)
        if request.method == "POST":
            return self._create(request)
        if request.method == "GET":
            return self._list(request)
        return _error(405, 20004)

    def _record(self, request: Request) -> None:
        entry = {
            "method": request.method,
            "path": request.path,
            "query": request.args.to_dict(),
            "form": request.form.to_dict() if request.method == "POST" else {},
            "headers": dict(request.headers.items()),
        }
        with self._lock:
            self._state.requests.append(entry)

    def _authenticated(self, request: Request) -> bool:
        auth = request.authorization
        if auth is None or auth.type != "basic":
            return False
        user_ok = hmac.compare_digest((auth.username or "").encode(), self.account_sid.encode())
        token_ok = hmac.compare_digest((auth.password or "").encode(), self.auth_token.encode())
        return user_ok and token_ok

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC).replace(microsecond=0)

    def _create(self, request: Request) -> Response:
        with self._lock:
            state = self._state
            now = time.monotonic()
            if state.failing_for:
                state.failing_until, state.failing_for = now + state.failing_for, 0.0
            failing = state.failing if now < state.failing_until else None
            # The script waits for a failing window to end, so phases come in the order set up.
            scripted = state.script.popleft() if state.script and failing is None else None
            place = len(state.answers)  # kept in the order requests came, filled in when answered
            state.answers.append("")
        reply = self._answer(request, scripted or Behaviour(), failing)
        label = f"{reply.status_code}"
        if failing is not None:
            label = f"failing {label}"
        elif scripted is not None:
            label = f"scripted {label}" + (f" after {scripted.delay:g}s" if scripted.delay else "")
        with self._lock:
            if state is self._state:  # not reset meanwhile
                state.answers[place] = label
        return reply

    def _answer(
        self, request: Request, behaviour: Behaviour, failing: Behaviour | None
    ) -> Response:
        if not behaviour.accepted:
            self._stopping.wait(behaviour.delay)
            if behaviour.status is not None:
                return _behaviour_response(behaviour)
        if failing is not None:
            return _behaviour_response(failing)
        form = request.form
        problem = _validate(form)
        if problem is not None:
            return problem
        with self._lock:
            rejection = self._state.rejected.get(form["To"])
        if rejection is not None:
            return _behaviour_response(rejection)
        resource = self._store(form)
        if behaviour.accepted:
            self._stopping.wait(behaviour.delay)
            if behaviour.status is not None:
                return _behaviour_response(behaviour)
        return _json(201, resource)

    def _store(self, form: Any) -> dict[str, Any]:
        now = self._now()
        media = [url for url in form.getlist("MediaUrl") if url]
        sid = ("MM" if media else "SM") + uuid.uuid4().hex
        body = form.get("Body", "")
        from_ = form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        resource: dict[str, Any] = {
            "body": body,
            "num_segments": str(_segments(body)),
            "direction": "outbound-api",
            "from": from_,
            "to": form["To"],
            "date_updated": _rfc2822(now),
            "price": None,
            "error_message": None,
            "uri": f"{base}.json",
            "account_sid": self.account_sid,
            "num_media": str(len(media)),
            "status": "accepted" if service and not from_ else "queued",
            "messaging_service_sid": service,
            "sid": sid,
            "date_sent": _rfc2822(now),
            "date_created": _rfc2822(now),
            "error_code": None,
            "price_unit": None,
            "api_version": API_VERSION,
            "subresource_uris": {"media": f"{base}/Media.json"},
        }
        with self._lock:
            self._state.seq += 1
            self._state.messages.append(
                _Stored(
                    resource=resource,
                    status_callback=form.get("StatusCallback") or None,
                    sent_at=now,
                    seq=self._state.seq,
                    accepted_at=time.time(),
                )
            )
            return copy.deepcopy(resource)

    def _fetch(self, sid: str, path: str) -> Response:
        with self._lock:
            for stored in self._state.messages:
                if stored.resource["sid"] == sid:
                    return _json(200, copy.deepcopy(stored.resource))
        return _error(404, 20404, f"The requested resource {path} was not found")

    def _list(self, request: Request) -> Response:
        args = request.args
        filters = [
            (k, args[k]) for k in ("To", "From", "DateSent", "DateSent<", "DateSent>") if k in args
        ]
        try:
            page_size = int(args.get("PageSize", DEFAULT_PAGE_SIZE))
            page = int(args.get("Page", 0))
            dates = {k: _filter_date(v) for k, v in filters if k.startswith("DateSent")}
        except ValueError as exc:
            return _error(400, 20001, f"Invalid parameter: {exc}")
        if not 1 <= page_size <= MAX_PAGE_SIZE or page < 0:
            return _error(400, 20001, "Invalid paging parameter")

        def keep(stored: _Stored) -> bool:
            res = stored.resource
            if "To" in args and res["to"] != args["To"]:
                return False
            if "From" in args and res["from"] != args["From"]:
                return False
            if dates and stored.sent_at is None:
                return False
            day = stored.sent_at.date() if stored.sent_at else None
            return (
                ("DateSent" not in dates or day == dates["DateSent"])
                and ("DateSent>" not in dates or (day is not None and day >= dates["DateSent>"]))
                and ("DateSent<" not in dates or (day is not None and day <= dates["DateSent<"]))
            )

        with self._lock:
            matching = [m for m in self._state.messages if keep(m)]
            matching.sort(key=lambda m: (m.sent_at or datetime.min.replace(tzinfo=UTC), m.seq))
            matching.reverse()
            rows = [copy.deepcopy(m.resource) for m in matching]

        token = args.get("PageToken", "")
        sids = [r["sid"] for r in rows]
        start = page * page_size
        if token[2:] in sids and token.startswith("PA"):
            start = sids.index(token[2:]) + 1
        elif token[2:] in sids and token.startswith("PB"):
            start = max(0, sids.index(token[2:]) - page_size)
        items = rows[start : start + page_size]
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

        def uri(number: int, page_token: str | None = None) -> str:
            params = [*filters, ("PageSize", str(page_size)), ("Page", str(number))]
            if page_token:
                params.append(("PageToken", page_token))
            return f"{path}?{urlencode(params)}"

        has_next = start + len(items) < len(rows)
        envelope = {
            "end": start + len(items) - 1 if items else 0,
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1, "PA" + items[-1]["sid"]) if has_next else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": (
                uri(page - 1, "PB" + items[0]["sid"]) if page > 0 and items else None
            ),
            "start": start,
            "uri": uri(page, token or None),
            "messages": items,
        }
        return _json(200, envelope)

    # -- control endpoints -----------------------------------------------------------------

    def _control(self, endpoint: str, request: Request) -> Response:
        if endpoint == "ctl_messages":
            return _json(200, self.messages)
        if endpoint == "ctl_requests":
            return _json(200, self.requests)
        if endpoint == "ctl_stats":
            return _json(200, self.stats())
        if endpoint == "ctl_reset":
            self.reset()
            return Response(status=204)
        payload = request.get_json(silent=True)
        try:
            if endpoint == "ctl_script":
                if not isinstance(payload, list):
                    raise ValueError("expected a JSON list of behaviours")
                self.script(*payload)
                return Response(status=204)
            if not isinstance(payload, dict) or "sid" not in payload:
                raise ValueError('expected {"sid": ..., "status": ..., "error_code": ...}')
            status = self.deliver(
                str(payload["sid"]),
                str(payload.get("status", "delivered")),
                _optional_int(payload.get("error_code")),
            )
            return _json(200, {"status": status})
        except (ValueError, TypeError, KeyError) as exc:
            return _json(400, {"error": str(exc)})


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _rfc2822(moment: datetime) -> str:
    """Twilio's date format, e.g. `Thu, 24 Aug 2023 05:01:45 +0000` (always UTC)."""
    return format_datetime(moment.astimezone(UTC))


def _filter_date(value: str) -> date:
    """The GMT date of a DateSent filter value (ISO 8601 date or date-time, or RFC 2822)."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            raise ValueError(f"Invalid date value {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


def _segments(body: str) -> int:
    """SMS segments: GSM-7 (160 / 153 per part) unless a character needs UCS-2 (70 / 67)."""
    if all(c in _GSM7_BASIC or c in _GSM7_EXTENDED for c in body):
        units = sum(2 if c in _GSM7_EXTENDED else 1 for c in body)
        return 1 if units <= 160 else math.ceil(units / 153)
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def _validate(form: Any) -> Response | None:
    """Twilio's checks on a create request, in Twilio's order; None when it is acceptable."""
    to = form.get("To", "")
    if not to:
        return _error(400, 21604)
    if not _E164.match(to):
        return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
    service = form.get("MessagingServiceSid", "")
    if not form.get("From") and not service:
        return _error(400, 21603)
    if service and not _MESSAGING_SERVICE_SID.match(service):
        return _error(400, 21701, f"The Messaging Service Sid {service} is invalid.")
    if not form.get("Body") and not form.get("MediaUrl") and not form.get("ContentSid"):
        return _error(400, 21602)
    if len(form.get("Body", "")) > MAX_BODY_LENGTH:
        return _error(400, 21617)
    return None


def _json(status: int, payload: Any) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def _error(status: int, code: int, message: str | None = None) -> Response:
    """Twilio's error body: `{"code", "message", "more_info", "status"}`."""
    return _json(
        status,
        {
            "code": code,
            "message": message or ERROR_MESSAGES.get(code, "Error"),
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


def _behaviour_response(behaviour: Behaviour) -> Response:
    status = behaviour.status or 500
    if behaviour.code is None:
        reply = Response(
            behaviour.message or "Internal Server Error", status=status, mimetype="text/plain"
        )
    else:
        reply = _error(status, behaviour.code, behaviour.message)
    retry_after = behaviour.retry_after
    if retry_after is None and status == 429:
        retry_after = 1
    if retry_after is not None:
        reply.headers["Retry-After"] = str(retry_after)
    return reply


def main(argv: list[str] | None = None) -> int:
    """Run the fake until SIGTERM/SIGINT; print its base URL as the first stdout line."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.fake_twilio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    args = parser.parse_args(argv)

    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    fake = FakeTwilio(args.account_sid, args.auth_token, host=args.host, port=args.port)
    fake.start()
    try:
        print(fake.base_url, flush=True)
        while not done.wait(0.2):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
