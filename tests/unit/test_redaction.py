"""Personal tokens are masked wherever text goes to a log or to staff; the rest is kept."""

from __future__ import annotations

import logging

import pytest

from scheduler.redaction import RedactTokens, redact_tokens

TOKEN = "Abc-def_GHIjklMNOpqrSTu"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"GET /m/{TOKEN} HTTP/1.1", "GET /m/… HTTP/1.1"),
        (f"GET /m/{TOKEN}/diary?day=2026-03-02 HTTP/1.1", "GET /m/…/diary?day=2026-03-02 HTTP/1.1"),
        (f"POST /api/v1/bookings/{TOKEN}/waitlist", "POST /api/v1/bookings/…/waitlist"),
        (f"GET /feeds/{TOKEN}.ics HTTP/1.1", "GET /feeds/….ics HTTP/1.1"),
        (
            f"Manage: https://book.example.org/m/{TOKEN} Reply STOP",
            "Manage: https://book.example.org/m/… Reply STOP",
        ),
        (f'"https://book.example.org/m/{TOKEN}#visits"', '"https://book.example.org/m/…#visits"'),
        (f"/m/{TOKEN}", "/m/…"),
        (f"POST /email/unsubscribe/{TOKEN} HTTP/1.1", "POST /email/unsubscribe/… HTTP/1.1"),
    ],
)
def test_a_token_in_a_path_or_link_is_masked(text: str, masked: str) -> None:
    assert redact_tokens(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/v1/bookings HTTP/1.1",
        "POST /staff/patients/7/links/revoke",
        "GET /static/site.css",
        "Your code is 123456",
        "/m/",
    ],
)
def test_text_without_a_token_is_left_as_it_is(text: str) -> None:
    assert redact_tokens(text) == text


def test_the_log_filter_masks_the_formatted_message_whatever_its_arguments() -> None:
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, '"%(r)s" %(s)s', None, None
    )
    record.args = {"r": f"GET /m/{TOKEN} HTTP/1.1", "s": "200"}
    assert RedactTokens().filter(record) is True
    assert record.getMessage() == '"GET /m/… HTTP/1.1" 200'
