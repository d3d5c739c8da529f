"""The MIME form of an email: alternatives, the invite twice, headers, non-ASCII encoded."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from icalendar import Calendar

from scheduler.calendar.invites import invite
from scheduler.messaging.email.base import Attachment, OutgoingEmail, new_message_id, receipt_id
from scheduler.messaging.email.mime import build_mime

SENDER = '"Clínica Norte, Reception" <bookings@clinic.example>'
STARTS = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SENT_AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _ics(method: str = "REQUEST", sequence: int = 0) -> str:
    return invite(
        "visit-7@book.example.test",
        sequence,
        method,
        STARTS,
        STARTS + timedelta(minutes=30),
        "Physiotherapy",
        "Room 2",
        "bookings@clinic.example",
        "Clínica Norte",
        "jose@example.com",
        "José Ñúñez",
        "See you soon.",
        SENT_AT,
    )


def _email(**changes: Any) -> OutgoingEmail:
    values: dict[str, Any] = {
        "to": "José Ñúñez <jose@example.com>",
        "subject": "Réservation confirmée — lundi 2 mars à 09:00",
        "text": "Bonjour José,\nvotre séance est confirmée.\n",
        "html": "<p>Bonjour José, votre séance est confirmée.</p>",
        "message_id": "<0123456789abcdef0123456789abcdef@book.example.test>",
        "unsubscribe_url": "https://book.example.test/email/unsubscribe/tok123",
        "invite": _ics(),
    }
    values.update(changes)
    return OutgoingEmail(**values)


def _round_trip(message: EmailMessage) -> tuple[bytes, EmailMessage]:
    raw = message.as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return raw, parsed


def _lines(text: str) -> str:
    """Text as read back from a message (CRLF line ends) with Python's line ends."""
    return text.replace("\r\n", "\n")


def _shape(part: EmailMessage) -> Any:
    if part.is_multipart():
        return (part.get_content_type(), [_shape(p) for p in part.iter_parts()])  # type: ignore[arg-type]
    return part.get_content_type()


def test_an_invite_email_has_alternatives_then_the_invite_attached() -> None:
    _, message = _round_trip(build_mime(_email(), SENDER, sent_at=SENT_AT))

    assert _shape(message) == (
        "multipart/mixed",
        [
            ("multipart/alternative", ["text/plain", "text/html", "text/calendar"]),
            "application/ics",
        ],
    )
    alternative, attached = message.iter_parts()
    plain, html, calendar = alternative.iter_parts()
    assert _lines(plain.get_content()) == "Bonjour José,\nvotre séance est confirmée.\n"
    assert "Bonjour José" in html.get_content()
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    assert attached.get_filename() == "invite.ics"
    assert attached.get_content_disposition() == "attachment"
    for part in (calendar, attached):
        content = part.get_content()
        text = content.decode() if isinstance(content, bytes) else content
        parsed = Calendar.from_ical(text)
        assert str(parsed["METHOD"]) == "REQUEST"
        assert str(parsed.walk("VEVENT")[0]["UID"]) == "visit-7@book.example.test"


def test_a_cancel_invite_is_marked_cancel_on_the_calendar_part() -> None:
    _, message = _round_trip(build_mime(_email(invite=_ics("CANCEL", 1)), SENDER))
    calendar = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "CANCEL"
    event = Calendar.from_ical(calendar.get_content()).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"


def test_without_an_invite_there_is_no_calendar_part() -> None:
    _, message = _round_trip(build_mime(_email(invite=None), SENDER))
    assert _shape(message) == (
        "multipart/mixed",
        [("multipart/alternative", ["text/plain", "text/html"])],
    )


def test_other_attachments_follow_the_invite() -> None:
    note = Attachment("note.txt", "text/plain", "Bring the referral letter — merci.")
    pdf = Attachment("map.json", "application/json", '{"room": 2}')
    _, message = _round_trip(build_mime(_email(attachments=(note, pdf)), SENDER))

    names = [p.get_filename() for p in message.iter_attachments()]
    assert names == ["invite.ics", "note.txt", "map.json"]
    parts = {p.get_filename(): p for p in message.iter_attachments()}
    assert _lines(parts["note.txt"].get_content()) == "Bring the referral letter — merci.\n"
    assert parts["map.json"].get_content() == b'{"room": 2}'


def test_headers_are_set_for_one_click_unsubscribe_and_no_auto_replies() -> None:
    raw, message = _round_trip(build_mime(_email(), SENDER, sent_at=SENT_AT))

    assert message["Message-ID"] == "<0123456789abcdef0123456789abcdef@book.example.test>"
    assert message["Date"].datetime == SENT_AT
    assert message["List-Unsubscribe"] == ("<https://book.example.test/email/unsubscribe/tok123>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["MIME-Version"] == "1.0"
    assert raw.count(b"MIME-Version") == 1


def test_non_ascii_subjects_and_names_are_encoded_and_read_back() -> None:
    raw, message = _round_trip(build_mime(_email(), SENDER))

    assert raw.isascii()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert message["Subject"] == "Réservation confirmée — lundi 2 mars à 09:00"
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Clínica Norte, Reception",
        "bookings@clinic.example",
    )
    (recipient,) = message["To"].addresses
    assert (recipient.display_name, recipient.addr_spec) == ("José Ñúñez", "jose@example.com")


def test_a_long_unsubscribe_url_stays_one_unencoded_line() -> None:
    url = "https://book.example.test/email/unsubscribe/" + "A" * 150
    raw, message = _round_trip(build_mime(_email(unsubscribe_url=url), SENDER))
    assert f"List-Unsubscribe: <{url}>\r\n".encode() in raw
    assert message["List-Unsubscribe"] == f"<{url}>"


def test_no_unsubscribe_url_means_no_unsubscribe_headers() -> None:
    _, message = _round_trip(build_mime(_email(unsubscribe_url=None), SENDER))
    assert message["List-Unsubscribe"] is None
    assert message["List-Unsubscribe-Post"] is None


def test_an_international_domain_goes_out_in_its_ascii_form() -> None:
    raw, message = _round_trip(build_mime(_email(to="Zoë <zoe@bücher.example>"), SENDER))
    assert raw.isascii()
    assert message["To"].addresses[0].addr_spec == "zoe@xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"to": "josé@example.com"}, "non-ASCII local part"),
        ({"to": "not an address"}, "no email address"),
        ({"subject": "Hello\r\nBcc: victim@example.com"}, "linefeed|carriage return"),
        ({"unsubscribe_url": "https://book.example.test/u/a b"}, "unsubscribe"),
        ({"unsubscribe_url": "javascript:alert(1)"}, "unsubscribe"),
        ({"invite": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"}, "METHOD"),
    ],
)
def test_malformed_emails_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_mime(_email(**changes), SENDER).as_bytes()


def test_made_message_ids_fit_the_receipt_whole() -> None:
    message_id = new_message_id("book.example.test")
    assert message_id.startswith("<") and message_id.endswith("@book.example.test>")
    assert receipt_id(message_id) == message_id[1:-1]
    assert len(receipt_id(message_id)) <= 64
    assert new_message_id("book.example.test") != message_id
    assert receipt_id("<" + "x" * 80 + "@h>") == "x" * 64
