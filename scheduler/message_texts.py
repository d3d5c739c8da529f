"""The words of every SMS the clinic sends, in one place.

Texts carry only a first name, a date and time, the clinic's name and phone, and a link: never a
condition, a treatment detail or a medication (DOMAIN.md section 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scheduler.models import MessageKind

TEMPLATES: dict[MessageKind, str] = {
    MessageKind.CONFIRMATION: (
        "Hi {first_name}, booked: {clinic_name}, {when}. Manage: {manage_url} Reply STOP to opt out"
    ),
    MessageKind.REMINDER_48H: (
        "Hi {first_name}, a reminder of your visit to {clinic_name} on {when}. "
        "Reply C to confirm or R to rearrange."
    ),
    MessageKind.RESCHEDULED: (
        "Hi {first_name}, moved: {clinic_name}, now {when}. "
        "Manage: {manage_url} Reply STOP to opt out"
    ),
    MessageKind.REMINDER_2H: (
        "Hi {first_name}, see you at {time} today at {clinic_name}. "
        "Running late? Call {clinic_phone}"
    ),
}

FORBIDDEN_WORDS = ("headache", "migraine")


@dataclass(frozen=True)
class MessageContext:
    first_name: str
    local_start: datetime
    clinic_name: str
    clinic_phone: str
    manage_url: str


def render(kind: MessageKind, ctx: MessageContext) -> str:
    """The text of a message of ``kind``."""
    return TEMPLATES[kind].format(
        first_name=ctx.first_name.strip().split(" ")[0][:20],
        when=f"{ctx.local_start:%a} {ctx.local_start.day} {ctx.local_start:%b at %H:%M}",
        time=f"{ctx.local_start:%H:%M}",
        clinic_name=ctx.clinic_name,
        clinic_phone=ctx.clinic_phone,
        manage_url=ctx.manage_url,
    )
