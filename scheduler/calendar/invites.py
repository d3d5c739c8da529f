"""Calendar invites sent with emails: an iTIP REQUEST for a visit, or its CANCEL."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress

PRODID = "-//Clinic Scheduler//Visit invites//EN"
METHODS = ("REQUEST", "CANCEL")


def _utc(name: str, moment: datetime) -> datetime:
    """:raise ValueError: if ``moment`` has no time zone."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone")
    return moment.astimezone(UTC)


def invite(
    uid: str,
    sequence: int,
    method: str,
    starts_at: datetime,
    ends_at: datetime,
    summary: str,
    location: str,
    organizer_email: str,
    organizer_name: str,
    attendee_email: str,
    attendee_name: str,
    description: str,
    stamp: datetime,
) -> str:
    """One visit as iCalendar text (RFC 5545, iTIP RFC 5546) for an email's calendar part.

    The same ``uid`` and a higher ``sequence`` is how a calendar app knows that an invite
    replaces one it already has: a moved visit is a REQUEST with the visit's UID and the next
    SEQUENCE, carrying the new time; a cancelled one is a CANCEL with that UID and again a
    higher SEQUENCE. A new UID would leave the old entry in the patient's calendar.

    ``method`` is REQUEST (the event CONFIRMED, the attendee asked for an answer: NEEDS-ACTION)
    or CANCEL (CANCELLED). Times, ``stamp`` (DTSTAMP, when this invite was made) included,
    must be aware; they are written in UTC.

    :raise ValueError: for another method, a naive time, or an end not after the start.
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    start, end = _utc("starts_at", starts_at), _utc("ends_at", ends_at)
    if end <= start:
        raise ValueError("ends_at must be after starts_at")
    if sequence < 0:
        raise ValueError("sequence must be 0 or more")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)

    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", _utc("stamp", stamp))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("organizer", vCalAddress.new(organizer_email, cn=organizer_name))
    if method == "REQUEST":
        event.add("status", "CONFIRMED")
        attendee = vCalAddress.new(
            attendee_email,
            cn=attendee_name,
            role="REQ-PARTICIPANT",
            partstat="NEEDS-ACTION",
            rsvp=False,  # nothing reads replies: the patient answers through their link
        )
    else:
        event.add("status", "CANCELLED")
        attendee = vCalAddress.new(attendee_email, cn=attendee_name, role="REQ-PARTICIPANT")
    event.add("attendee", attendee)
    calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))
