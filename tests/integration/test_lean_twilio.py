"""The lean Twilio stand-in answers the twilio library and our gateway as Twilio does."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bench.lean_twilio import LeanTwilio
from scheduler.config import TwilioSettings
from scheduler.messaging.sms.base import OutgoingSms
from scheduler.messaging.sms.twilio_gateway import TwilioGateway

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
FROM = "+15005550006"
SID = re.compile(r"^SM[0-9a-f]{32}$")


@pytest.fixture
def lean() -> Iterator[LeanTwilio]:
    with LeanTwilio() as server:
        yield server


def gateway(server: LeanTwilio) -> TwilioGateway:
    return TwilioGateway(
        TwilioSettings(
            account_sid=ACCOUNT_SID,
            auth_token="token",
            from_number=FROM,
            api_base_url=server.base_url,
            request_timeout_s=3.0,
        )
    )


def test_the_library_creates_a_message_and_the_stats_count_it(lean: LeanTwilio) -> None:
    client = Client(ACCOUNT_SID, "token", http_client=TwilioHttpClient(timeout=3), environment={})
    client.api.base_url = lean.base_url
    message = client.messages.create(
        to="+447400123456",
        from_=FROM,
        body="See you on Wednesday",
        status_callback="https://book.example.test/webhooks/twilio/status",
    )
    assert SID.match(str(message.sid))
    assert (message.status, message.to, message.from_) == ("queued", "+447400123456", FROM)
    assert message.body == "See you on Wednesday"
    assert message.date_created is not None
    again = client.messages.create(to="+447400123457", from_=FROM, body="See you on Wednesday")
    assert again.sid != message.sid
    stats = requests.get(f"{lean.base_url}/_fake/stats", timeout=5).json()
    assert (stats["count"], stats["distinct_bodies"]) == (2, 1)
    assert len(stats["accepted_at"]) == 2
    assert stats["accepted_at"] == sorted(stats["accepted_at"])


def test_the_gateway_sends_and_reconciliation_finds_what_was_sent(lean: LeanTwilio) -> None:
    sender = gateway(lean)
    since = datetime.now(UTC) - timedelta(minutes=1)
    receipt = sender.send(OutgoingSms(to="+447400123456", body="Reminder: tomorrow 10:00"))
    sender.send(OutgoingSms(to="+447400999999", body="Reminder: tomorrow 10:00"))
    found = sender.find_sent("+447400123456", "Reminder: tomorrow 10:00", since)
    assert found is not None
    assert (found.sid, found.status) == (receipt.sid, "queued")
    assert sender.find_sent("+447400123456", "Another text", since) is None
    assert sender.find_sent("+447400000000", "Reminder: tomorrow 10:00", since) is None
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert sender.find_sent("+447400123456", "Reminder: tomorrow 10:00", tomorrow) is None
    assert lean.stats()["count"] == 2


def test_run_as_a_process_it_prints_its_base_url_first() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.lean_twilio", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert re.match(r"^http://127\.0\.0\.1:\d+$", url)
        assert requests.get(f"{url}/_fake/stats", timeout=5).json()["count"] == 0
    finally:
        process.terminate()
        assert process.wait(10) == 0
