"""The gateway reads the environment's proxy settings once, when its client is made: a clinic
behind an outbound proxy still reaches Twilio, and ``NO_PROXY`` still goes direct."""

from __future__ import annotations

import base64
import dataclasses

import certifi
import pytest
import urllib3

from scheduler.messaging.sms.base import OutgoingSms, SendFailure
from scheduler.messaging.sms.twilio_gateway import TwilioGateway, http_client
from tests.conftest import twilio_settings
from tests.fakes.fake_twilio import FakeTwilio

# Resolves nowhere (RFC 2606): only a proxy can carry a request for it.
UNREACHABLE_API = "http://api.twilio.invalid"


def behind(fake: FakeTwilio) -> TwilioGateway:
    """A gateway whose API address only the proxy reaches; the fake plays the proxy (it
    answers an absolute request line as the API would)."""
    return TwilioGateway(dataclasses.replace(twilio_settings(fake), api_base_url=UNREACHABLE_API))


def test_a_text_goes_through_the_proxy_the_environment_names(
    fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", fake_twilio.base_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    receipt = behind(fake_twilio).send(OutgoingSms("+447700900123", "See you on Wednesday"))
    assert receipt.sid.startswith("SM")
    assert [m["body"] for m in fake_twilio.messages] == ["See you on Wednesday"]


def test_no_proxy_for_the_api_host_goes_direct(
    fake_twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", fake_twilio.base_url)
    monkeypatch.setenv("NO_PROXY", "api.twilio.invalid")
    with pytest.raises(SendFailure):
        behind(fake_twilio).send(OutgoingSms("+447700900123", "See you on Wednesday"))
    assert fake_twilio.messages == []


def test_the_proxy_and_ca_bundle_are_read_once_when_the_client_is_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://clinic:s%40fe@proxy.clinic.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/clinic-bundle.pem")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = http_client(5.0, None)
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere.example:8080")  # later changes: unread
    assert isinstance(client.pool, urllib3.ProxyManager)
    assert client.pool.proxy is not None and client.pool.proxy.host == "proxy.clinic.example"
    assert client.pool.proxy.auth is None  # the password goes in a header, not the address
    assert client.pool.proxy_headers["proxy-authorization"] == "Basic " + base64.b64encode(
        b"clinic:s@fe"
    ).decode("ascii")
    assert client.ca_bundle == "/etc/ssl/clinic-bundle.pem"
    assert client.pool.connection_pool_kw["ca_certs"] == "/etc/ssl/clinic-bundle.pem"


def test_without_a_bundle_named_the_client_trusts_certifis_as_requests_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    client = http_client(5.0, None)
    assert client.ca_bundle == certifi.where()
    assert not isinstance(client.pool, urllib3.ProxyManager)
