"""iCalendar text (RFC 5545): escaped values, folded lines, UTC times, CRLF line ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

LINE_OCTETS = 75
CRLF = "\r\n"


@dataclass(frozen=True)
class IcsEvent:
    """One VEVENT: a stable UID, its time in UTC, and the words shown in the calendar."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str = ""
    status: str = "CONFIRMED"  # CONFIRMED or TENTATIVE
    last_modified: datetime | None = None


def escape_text(value: str) -> str:
    """A TEXT value (section 3.3.11): backslash, semicolon and comma escaped, line breaks as
    ``\\n``, other control characters dropped."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\n", "\\n")
    return "".join(ch for ch in text if ch == "\t" or (ord(ch) >= 32 and ord(ch) != 127))


def utc_stamp(moment: datetime) -> str:
    """A DATE-TIME in UTC form (``20260304T100000Z``)."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """A content line folded so that no physical line exceeds 75 octets (section 3.1):
    each continuation starts with one space, and no UTF-8 character is split."""
    pieces: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = " ", 1, LINE_OCTETS
        current += ch
        size += width
    pieces.append(current)
    return CRLF.join(pieces)


def _event_lines(event: IcsEvent, stamp: str) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{utc_stamp(event.starts_at)}",
        f"DTEND:{utc_stamp(event.ends_at)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    lines.append(f"STATUS:{event.status}")
    if event.last_modified is not None:
        lines.append(f"LAST-MODIFIED:{utc_stamp(event.last_modified)}")
    lines.append("END:VEVENT")
    return lines


def calendar_text(events: Sequence[IcsEvent], *, name: str, product: str, now: datetime) -> str:
    """A whole VCALENDAR with ``events``; every line folded and ended with CRLF."""
    stamp = utc_stamp(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{escape_text(product)}//Clinic scheduler//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines.extend(_event_lines(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)
