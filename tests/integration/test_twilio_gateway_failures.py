"""What the gateway makes of a send that got no answer: retried when the request never left,
left to reconciliation when it may have been taken."""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Iterator

import pytest

from scheduler.messaging.sms.base import FailureKind, OutgoingSms, SendFailure
from scheduler.messaging.sms.twilio_gateway import TwilioGateway
from tests.conftest import twilio_settings
from tests.fakes.fake_twilio import Behaviour, FakeTwilio

TEXT = OutgoingSms("+447700900123", "See you on Wednesday")


def failure(gateway: TwilioGateway) -> SendFailure:
    with pytest.raises(SendFailure) as raised:
        gateway.send(TEXT)
    return raised.value


def at(fake: FakeTwilio, base_url: str, timeout_s: float = 5.0) -> TwilioGateway:
    settings = dataclasses.replace(
        twilio_settings(fake), api_base_url=base_url, request_timeout_s=timeout_s
    )
    return TwilioGateway(settings)


@pytest.fixture
def hangs_up() -> Iterator[str]:
    """A server that takes each connection, reads the request and closes without a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    listener.close()


def test_nothing_listening_is_retried_later(fake_twilio: FakeTwilio) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: the connection is refused
    refused = failure(at(fake_twilio, f"http://127.0.0.1:{port}"))
    assert (refused.kind, refused.code) == (FailureKind.RETRY_LATER, "connection")


def test_a_host_that_cannot_be_found_is_retried_later(fake_twilio: FakeTwilio) -> None:
    lost = failure(at(fake_twilio, "http://api.twilio.invalid"))
    assert (lost.kind, lost.code) == (FailureKind.RETRY_LATER, "connection")


def test_a_connection_closed_after_the_request_leaves_the_outcome_unknown(
    fake_twilio: FakeTwilio, hangs_up: str
) -> None:
    cut = failure(at(fake_twilio, hangs_up))
    assert (cut.kind, cut.code) == (FailureKind.UNKNOWN, "connection")


def test_an_answer_slower_than_the_timeout_leaves_the_outcome_unknown(
    fake_twilio: FakeTwilio,
) -> None:
    fake_twilio.script(Behaviour.accepted_but_slow(2.0))
    late = failure(at(fake_twilio, fake_twilio.base_url, timeout_s=0.5))
    assert (late.kind, late.code) == (FailureKind.UNKNOWN, "timeout")
    assert len(fake_twilio.messages) == 1  # Twilio took it: reconciliation will find it
