"""The gateway reads the environment's proxy settings once, when its client is made: a clinic
behind an outbound proxy still reaches Twilio, and ``NO_PROXY`` still goes direct."""

from __future__ import annotations

import dataclasses

import pytest

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


def test_the_ca_bundle_is_read_once_and_requests_reads_no_environment_per_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.clinic.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/clinic-bundle.pem")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = http_client(5.0, None)
    assert client.proxy["https"] == "http://proxy.clinic.example:3128"
    assert client.session is not None
    assert client.session.verify == "/etc/ssl/clinic-bundle.pem"
    assert client.session.trust_env is False
