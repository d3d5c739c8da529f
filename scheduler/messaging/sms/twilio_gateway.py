"""Twilio as the SMS provider, through the official twilio library."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

import requests
from requests.utils import get_environ_proxies
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from scheduler.config import TwilioSettings
from scheduler.messaging.sms.base import FailureKind, OutgoingSms, ProviderReceipt, SendFailure
from scheduler.messaging.sms.error_policy import classify


def _retry_after(exc: TwilioRestException) -> float | None:
    # The library keeps the response details; Retry-After is only on 429s.
    details = getattr(exc, "details", None) or {}
    value = details.get("retry_after") if isinstance(details, dict) else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _connection_failure(exc: requests.exceptions.ConnectionError) -> SendFailure:
    """Refused or reset before an answer: worth a retry if the request never left (refused,
    or a connect timeout, which is a ConnectionError too); else the outcome is unknown."""
    kind = (
        FailureKind.RETRY_LATER
        if isinstance(exc, requests.exceptions.ConnectTimeout) or "refused" in str(exc).lower()
        else FailureKind.UNKNOWN
    )
    return SendFailure(kind, code="connection", detail=type(exc).__name__)


DEFAULT_API_BASE_URL = "https://api.twilio.com"


def http_client(timeout_s: float, api_base_url: str | None) -> TwilioHttpClient:
    """The library's HTTP client, with the environment's proxy (``HTTPS_PROXY``, ``NO_PROXY``)
    and CA bundle (``REQUESTS_CA_BUNDLE``) read once, here, rather than by ``requests`` on every
    request: that reading walks the whole environment twice a send, about a fifth of the
    client's time."""
    client = TwilioHttpClient(
        timeout=timeout_s, proxy=get_environ_proxies(api_base_url or DEFAULT_API_BASE_URL)
    )
    session = client.session
    assert session is not None  # pooled connections: the library's default
    session.trust_env = False
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    return client


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
        except requests.exceptions.ReadTimeout as exc:
            raise SendFailure(FailureKind.UNKNOWN, code="timeout", detail="no answer") from exc
        except requests.exceptions.ConnectionError as exc:
            raise _connection_failure(exc) from exc
        return ProviderReceipt(sid=str(message.sid), status=str(message.status or "queued"))

    def find_sent(self, to: str, body: str, since: datetime) -> ProviderReceipt | None:
        try:
            # The API filters by whole days, and the library wants UTC: match the text here.
            messages = self._client.messages.list(
                to=to, date_sent_after=since.astimezone(UTC), limit=200
            )
        except (TwilioException, requests.exceptions.RequestException) as exc:
            raise SendFailure(FailureKind.UNKNOWN, code="lookup", detail=str(exc)) from exc
        for message in messages:
            if message.body == body:
                return ProviderReceipt(sid=str(message.sid), status=str(message.status))
        return None
