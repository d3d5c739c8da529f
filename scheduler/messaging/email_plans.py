"""Planning a visit's emails: which channel each kind goes by, the words, and the calendar invite.

An email goes only to a patient with an address who consented to email (asked again at send
time). Its words follow the same minimum-necessary rule as texts (DOMAIN.md section 7): a first
name, the time, the clinic's name, address and phone, and links; never a condition, a treatment
or a medication, so the invite's title is "Visit at <clinic>".
"""

from __future__ import annotations

import enum
import html
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.calendar.invites import invite
from scheduler.config import Settings
from scheduler.messaging.texts import day_word, greeting_name
from scheduler.models import (
    Appointment,
    Channel,
    ConsentKind,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    Patient,
)
from scheduler.models.clinic import clinic_rules
from scheduler.setup.clinic_details import stored_details


class Route(enum.StrEnum):
    """The channels a kind of visit message goes by."""

    SMS = "sms"
    EMAIL = "email"
    BOTH = "both"

    @property
    def channels(self) -> tuple[Channel, ...]:
        if self == Route.BOTH:
            return (Channel.SMS, Channel.EMAIL)
        return (Channel(self.value),)


# The kinds a clinic may send by email, and how each goes unless it says otherwise: the
# confirmation and the first reminder by both (the confirmation's email carries the visit's
# invite), the short reminder by text (read on the way), a move by both. There is no choice for
# a visit's cancellation: once its invite may be in the patient's calendar, the cancel invite
# goes by email (and a move's invite too, whatever the route), so the calendar follows.
DEFAULT_ROUTES: dict[MessageKind, Route] = {
    MessageKind.CONFIRMATION: Route.BOTH,
    MessageKind.REMINDER_48H: Route.BOTH,
    MessageKind.REMINDER_2H: Route.SMS,
    MessageKind.RESCHEDULED: Route.BOTH,
}
# Emails that carry the visit's invite, and with which method.
INVITES = {
    MessageKind.CONFIRMATION: "REQUEST",
    MessageKind.RESCHEDULED: "REQUEST",
    MessageKind.CANCELLATION: "CANCEL",
}


def load_routes(session: Session) -> dict[MessageKind, Route]:
    """The clinic's channel for each kind of visit message (its rules, else the defaults)."""
    rules = clinic_rules(session)
    stored = (rules.message_channels if rules is not None else None) or {}
    routes = dict(DEFAULT_ROUTES)
    for kind in DEFAULT_ROUTES:
        value = stored.get(kind.value)
        if value is not None and value in {route.value for route in Route}:
            routes[kind] = Route(value)
    return routes


def channels_for(route: Route, patient: Patient) -> tuple[Channel, ...]:
    """The channels a message goes to this patient by: its route, with a text in place of an
    email for a patient who cannot be emailed (no address, or no consent to email), and an
    email in place of a text for one who cannot be texted (a STOP, a number that failed for
    good) but may be emailed."""
    if route == Route.EMAIL and not may_email(patient):
        return (Channel.SMS,)
    if route == Route.SMS and not may_text(patient) and may_email(patient):
        return (Channel.EMAIL,)
    return route.channels


def may_text(patient: Patient) -> bool:
    """Whether texts can reach the patient at all: no STOP, and a number that has not failed
    for good."""
    return patient.sms_opted_out_at is None and patient.phone_flagged_at is None


def may_email(patient: Patient) -> bool:
    """Whether the patient has an address and consented to email."""
    return bool(patient.email) and patient.consents_to(ConsentKind.EMAIL)


@dataclass(frozen=True)
class EmailWords:
    subject: str
    text: str
    html: str


def visit_email_words(
    kind: MessageKind,
    visit: Appointment,
    settings: Settings,
    manage_url: str,
    address: str,
    sends_at: datetime | None = None,
) -> EmailWords:
    """What an email about ``visit`` says, for ``kind``; the short reminder names the day as
    read when it goes at ``sends_at`` ("today", "tomorrow", or the date)."""
    local = visit.starts_at.astimezone(settings.zone)
    when = f"{local:%A} {local.day} {local:%B %Y at %H:%M}"
    clinic = settings.clinic_name
    name = greeting_name(visit.patient.first_name)
    opening = {
        MessageKind.CONFIRMATION: (
            f"Your visit to {clinic} is booked",
            f"You are booked for {when}.",
        ),
        MessageKind.REMINDER_48H: (
            f"A reminder of your visit to {clinic}",
            f"This is a reminder of your visit on {when}.",
        ),
        MessageKind.REMINDER_2H: (
            f"See you soon at {clinic}",
            f"See you at {local:%H:%M} {day_word(local, sends_at)}.",
        ),
        MessageKind.RESCHEDULED: (
            f"Your visit to {clinic} has moved",
            f"Your visit has moved. It is now on {when}.",
        ),
        MessageKind.CANCELLATION: (
            f"Your visit to {clinic} is cancelled",
            f"Your visit on {when} is cancelled.",
        ),
    }
    subject, first = opening[kind]
    if kind != MessageKind.CANCELLATION:
        subject = f"{subject}: {local:%a} {local.day} {local:%b at %H:%M}"
    lines = [f"Hello {name}," if name else "Hello,", first]
    if kind != MessageKind.CANCELLATION and address:
        lines.append(f"Where: {clinic}, {address}.")
    if kind in INVITES:
        lines.append("The calendar invite attached keeps your calendar in step with this.")
    lines.append(f"To see, move or cancel your visits: {manage_url}")
    lines.append(f"Questions? Call us on {settings.clinic_phone}.")
    lines.append(clinic)
    return EmailWords(subject=subject, text="\n\n".join(lines), html=_html(lines, manage_url))


def _html(lines: list[str], manage_url: str) -> str:
    """The same words as HTML paragraphs, the personal link as a link."""
    paragraphs = []
    for line in lines:
        escaped = html.escape(line)
        if manage_url and manage_url in line:
            link = html.escape(manage_url)
            escaped = escaped.replace(link, f'<a href="{link}">{link}</a>')
        paragraphs.append(f"<p>{escaped}</p>")
    return "<!doctype html><html><body>" + "".join(paragraphs) + "</body></html>"


def visit_invite(
    visit: Appointment, method: str, settings: Settings, address: str, now: datetime
) -> str:
    """The visit's calendar invite: one UID for the visit's whole life, its revision as the
    SEQUENCE (raised on every move and on cancelling)."""
    assert visit.patient.email is not None
    domain = urlsplit(settings.public_base_url).hostname or "localhost"
    return invite(
        uid=f"visit-{visit.id}@{domain}",
        sequence=visit.revision,
        method=method,
        starts_at=visit.starts_at,
        ends_at=visit.ends_at,
        summary=f"Visit at {settings.clinic_name}",
        location=address,
        organizer_email=_address_of(settings.email_from),
        organizer_name=settings.clinic_name,
        attendee_email=visit.patient.email,
        attendee_name=visit.patient.first_name,
        description=f"Call {settings.clinic_phone} with any question.",
        stamp=now,
    )


def _address_of(sender: str) -> str:
    """The bare address of a From value like ``"Clinic" <bookings@example.org>``."""
    if "<" in sender and sender.endswith(">"):
        return sender[sender.rindex("<") + 1 : -1]
    return sender


def plan_visit_email(
    session: Session,
    visit: Appointment,
    kind: MessageKind,
    key: str,
    due: datetime,
    settings: Settings,
    manage_url: str,
    now: datetime,
    *,
    fallback_for: OutboundMessage | None = None,
) -> OutboundMessage | None:
    """One email about ``visit`` (with its invite where the kind carries one), unless the
    patient may not be emailed or a row with ``key`` exists already."""
    patient = visit.patient
    if not may_email(patient):
        return None
    if session.scalar(select(OutboundMessage.id).where(OutboundMessage.dedupe_key == key)):
        return None
    address = stored_details(session)["address"]
    words = visit_email_words(kind, visit, settings, manage_url, address, sends_at=due)
    method = INVITES.get(kind)
    message = OutboundMessage(
        patient_id=patient.id,
        appointment_id=visit.id,
        kind=kind,
        channel=Channel.EMAIL,
        dedupe_key=key,
        to_email=patient.email,
        subject=words.subject,
        body=words.text,
        html_body=words.html,
        invite=visit_invite(visit, method, settings, address, now) if method else None,
        segments=0,
        due_at=due,
        planned_for=visit.starts_at,
        status=MessageStatus.PENDING,
        fallback_for_id=fallback_for.id if fallback_for is not None else None,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    session.flush()
    return message


def email_key(text_key: str) -> str:
    """The email's dedupe key beside the text's of the same message."""
    return f"{text_key}:email"
