"""Twilio as the SMS provider, through the official twilio library."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import urllib3
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from scheduler.config import TwilioSettings
from scheduler.messaging.sms.base import FailureKind, OutgoingSms, ProviderReceipt, SendFailure
from scheduler.messaging.sms.error_policy import classify
from scheduler.messaging.sms.twilio_http import PooledHttpClient


def _retry_after(exc: TwilioRestException) -> float | None:
    # The library keeps the response details; Retry-After is only on 429s.
    details = getattr(exc, "details", None) or {}
    value = details.get("retry_after") if isinstance(details, dict) else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _connection_failure(exc: urllib3.exceptions.HTTPError) -> SendFailure:
    """No answer: worth a retry if the request never left (refused, the host not found, or a
    connect timeout: no connection was made); else (reset, cut off) the outcome is unknown."""
    kind = (
        FailureKind.RETRY_LATER
        if isinstance(exc, urllib3.exceptions.ConnectTimeoutError)  # NewConnectionError too
        else FailureKind.UNKNOWN
    )
    return SendFailure(kind, code="connection", detail=type(exc).__name__)


def http_client(timeout_s: float, api_base_url: str | None) -> PooledHttpClient:
    """The HTTP client the library sends through (``twilio_http.PooledHttpClient``)."""
    return PooledHttpClient(timeout_s, api_base_url)


class TwilioGateway:
    """Sends with ``Client.messages.create`` under a request timeout and a status callback."""

    name = "twilio"

    def __init__(
        self, settings: TwilioSettings, error_actions: dict[int, FailureKind] | None = None
    ) -> None:
        self._settings = settings
        self._error_actions = error_actions or {}
        self._local = threading.local()  # one client (one HTTP session) per thread

    @property
    def _client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            settings = self._settings
            client = Client(
                settings.account_sid,
                settings.auth_token,
                http_client=http_client(settings.request_timeout_s, settings.api_base_url),
                # With an explicit API base URL, TWILIO_EDGE/REGION must not rewrite its host.
                environment={} if settings.api_base_url else None,
            )
            if settings.api_base_url:
                client.api.base_url = settings.api_base_url.rstrip("/")
            self._local.client = client
        return client

    def warm(self) -> None:
        """Import what the first send would (the library loads its API resources on first
        use) and make this thread's client: no request is made."""
        _ = self._client.messages

    def _sender(self) -> dict[str, str]:
        if self._settings.messaging_service_sid:
            return {"messaging_service_sid": self._settings.messaging_service_sid}
        return {"from_": self._settings.from_number}

    def send(self, sms: OutgoingSms) -> ProviderReceipt:
        extra: dict[str, str] = {}
        if sms.status_callback_url:
            extra["status_callback"] = sms.status_callback_url
        try:
            message = self._client.messages.create(
                to=sms.to, body=sms.body, **self._sender(), **extra
            )
        except TwilioRestException as exc:
            kind = classify(exc.status, exc.code, self._error_actions)
            raise SendFailure(
                kind,
                code=str(exc.code or exc.status),
                detail=str(exc.msg),
                retry_after_s=_retry_after(exc),
            ) from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise SendFailure(FailureKind.UNKNOWN, code="timeout", detail="no answer") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise _connection_failure(exc) from exc
        return ProviderReceipt(sid=str(message.sid), status=str(message.status or "queued"))

    def find_sent(self, to: str, body: str, since: datetime) -> ProviderReceipt | None:
        try:
            # The API filters by whole days, and the library wants UTC: match the text here.
            messages = self._client.messages.list(
                to=to, date_sent_after=since.astimezone(UTC), limit=200
            )
        except (TwilioException, urllib3.exceptions.HTTPError) as exc:
            raise SendFailure(FailureKind.UNKNOWN, code="lookup", detail=str(exc)) from exc
        for message in messages:
            if message.body == body:
                return ProviderReceipt(sid=str(message.sid), status=str(message.status))
        return None
