"""The clinic's own wording for each kind of text: checked, previewed, saved and reset."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scheduler.config import Settings
from scheduler.errors import NotFound, ValidationFailed
from scheduler.messaging.gsm import is_gsm7, segment_count
from scheduler.messaging.texts import TEMPLATES, MessageContext, forbidden_words_in, render
from scheduler.models import MessageKind, MessageTemplate

KIND_VALUES = frozenset(k.value for k in MessageKind)
LONGEST = 480  # three GSM-7 segments: anything longer is not a text message any more
BASIC = frozenset({"first_name", "clinic_name", "clinic_phone"})
VISIT = BASIC | {"when", "time", "day"}

# What each kind's text may use: only what its message actually knows.
SUPPORTED: dict[MessageKind, frozenset[str]] = {
    MessageKind.CONFIRMATION: VISIT | {"manage_url"},
    MessageKind.REMINDER_48H: VISIT | {"manage_url"},
    MessageKind.REMINDER_2H: VISIT | {"manage_url"},
    MessageKind.RESCHEDULED: VISIT | {"manage_url"},
    MessageKind.WAITLIST_OFFER: VISIT | {"expires"},
    MessageKind.AFTERCARE: VISIT,
    MessageKind.MAINTENANCE_DUE: BASIC | {"manage_url"},
    MessageKind.DIARY_PROMPT: BASIC,
    MessageKind.QUESTIONNAIRE: BASIC | {"manage_url"},
}
# What each kind's text must keep so that the message still does its job.
REQUIRED: dict[MessageKind, frozenset[str]] = {
    MessageKind.CONFIRMATION: frozenset({"when", "manage_url"}),
    MessageKind.REMINDER_48H: frozenset({"when"}),
    MessageKind.REMINDER_2H: frozenset({"time"}),
    MessageKind.RESCHEDULED: frozenset({"when", "manage_url"}),
    MessageKind.WAITLIST_OFFER: frozenset({"when", "expires"}),
    MessageKind.AFTERCARE: frozenset(),
    MessageKind.MAINTENANCE_DUE: frozenset({"manage_url"}),
    MessageKind.DIARY_PROMPT: frozenset(),
    MessageKind.QUESTIONNAIRE: frozenset({"manage_url"}),
}
# Words a kind's text must keep (the first text a patient gets says how to stop them).
REQUIRED_WORDS: dict[MessageKind, tuple[str, ...]] = {MessageKind.CONFIRMATION: ("STOP",)}

LABELS: dict[MessageKind, str] = {
    MessageKind.CONFIRMATION: "Booking confirmation",
    MessageKind.REMINDER_48H: "Reminder (asks to confirm)",
    MessageKind.REMINDER_2H: "Short reminder",
    MessageKind.RESCHEDULED: "Visit moved",
    MessageKind.WAITLIST_OFFER: "Waitlist offer",
    MessageKind.AFTERCARE: "After-care check-in",
    MessageKind.MAINTENANCE_DUE: "Maintenance visit due",
    MessageKind.DIARY_PROMPT: "Diary prompt",
    MessageKind.QUESTIONNAIRE: "Questionnaire link",
}


def editable_kind(kind: str) -> MessageKind:
    """The kind of text named ``kind``.

    :raise NotFound: if the clinic has no such text to word.
    """
    try:
        found = MessageKind(kind)
    except ValueError:
        raise NotFound(f"no text of kind {kind!r}") from None
    if found not in SUPPORTED:
        raise NotFound(f"no text of kind {kind!r}")
    return found


def load_wording(session: Session) -> dict[MessageKind, str]:
    """The clinic's own wording, by kind (kinds it has not reworded are absent)."""
    return {
        MessageKind(kind): body
        for kind, body in session.execute(select(MessageTemplate.kind, MessageTemplate.body))
        if kind in KIND_VALUES
    }


def placeholders_in(body: str) -> list[str]:
    """The placeholders ``body`` uses, in order.

    :raise ValueError: if its braces do not pair up.
    """
    return [
        name for _text, name, _spec, _conv in string.Formatter().parse(body) if name is not None
    ]


def wording_errors(kind: MessageKind, body: str) -> list[str]:
    """Why ``body`` cannot be the text of ``kind`` (empty when it can)."""
    text = body.strip()
    if not text:
        return ["Write the text, or reset it to the built-in one."]
    if len(text) > LONGEST:
        return [f"Use at most {LONGEST} characters."]
    problems: list[str] = []
    if any((ord(ch) < 32 and ch != "\n") or ord(ch) == 127 for ch in text):
        problems.append("Use letters, digits, spaces and punctuation only.")
    try:
        names = placeholders_in(text)
    except ValueError:
        return [*problems, "Braces { } are only for placeholders such as {first_name}."]
    return problems + _placeholder_problems(kind, text, names) + _word_problems(kind, text)


def _placeholder_problems(kind: MessageKind, text: str, names: list[str]) -> list[str]:
    """Placeholders with formatting, ones the kind cannot fill, and required ones missing."""
    problems: list[str] = []
    if any(
        spec or conversion
        for _t, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    ):
        problems.append("Placeholders take no formatting: write them as {first_name}.")
    allowed = SUPPORTED[kind]
    unknown = sorted({n for n in names if n not in allowed})
    if unknown:
        shown = ", ".join("{" + n + "}" for n in unknown)
        usable = ", ".join("{" + n + "}" for n in sorted(allowed))
        problems.append(f"This text cannot use {shown}. It can use {usable}.")
    missing = sorted(REQUIRED[kind] - set(names))
    if missing:
        problems.append("Keep " + ", ".join("{" + n + "}" for n in missing) + " in this text.")
    return problems


def _word_problems(kind: MessageKind, text: str) -> list[str]:
    """Required words left out, and words a text must never use."""
    problems = [
        f"Keep the word {word} so patients know how to stop texts."
        for word in REQUIRED_WORDS.get(kind, ())
        if word not in text
    ]
    if banned := forbidden_words_in(text):
        problems.append(
            "Texts never name a condition, treatment or medication: remove "
            + ", ".join(f'"{w}"' for w in banned)
            + "."
        )
    return problems


@dataclass(frozen=True)
class Preview:
    """A sample of the text as a patient would get it, and what it costs."""

    text: str
    segments: int
    encoding: str  # "GSM-7" or "UCS-2"

    @property
    def over_one_segment(self) -> bool:
        return self.segments > 1


def sample_context(settings: Settings, now: datetime) -> MessageContext:
    """Values like a real message's: a longish first name, a visit next week at 10:15, a
    link of full length, an offer held for fifteen minutes."""
    local = now.astimezone(settings.zone)
    visit = datetime.combine(local.date() + timedelta(days=8), time(10, 15), tzinfo=settings.zone)
    return MessageContext(
        first_name="Alexandra",
        local_start=visit,
        clinic_name=settings.clinic_name,
        clinic_phone=settings.clinic_phone,
        manage_url=settings.manage_url("A" * 22),
        expires=local + timedelta(minutes=15),
    )


def preview(kind: MessageKind, body: str, sample: MessageContext) -> Preview:
    """``body`` (or the built-in text when empty) filled in with ``sample``'s values."""
    text = render(kind, sample, body.strip() or None)
    return Preview(text, segment_count(text), "GSM-7" if is_gsm7(text) else "UCS-2")


def save_wording(
    session: Session,
    kind: MessageKind,
    body: str,
    *,
    staff_id: int | None,
    now: datetime,
) -> MessageTemplate:
    """Make ``body`` the clinic's text for ``kind``; texts planned from now on use it (texts
    already in the outbox keep the words they were written with).

    :raise ValidationFailed: on ``body`` if it is empty, too long, uses a placeholder the kind
        does not have, leaves out one it needs, or names a condition or medication.
    """
    if problems := wording_errors(kind, body):
        raise ValidationFailed({"body": problems})
    row = session.scalars(select(MessageTemplate).where(MessageTemplate.kind == kind.value)).first()
    if row is None:
        row = MessageTemplate(kind=kind.value, body="", updated_at=now)
        session.add(row)
    row.body = body.strip()
    row.updated_at = now
    row.updated_by_id = staff_id
    session.flush()
    return row


def reset_wording(session: Session, kind: MessageKind) -> bool:
    """Go back to the built-in text for ``kind``; returns whether the clinic had its own."""
    result = session.execute(delete(MessageTemplate).where(MessageTemplate.kind == kind.value))
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class WordingLine:
    kind: MessageKind
    label: str
    text: str
    own: bool
    updated_at: datetime | None


def wording_overview(session: Session) -> list[WordingLine]:
    """Every kind of text with the words in use now, and whether they are the clinic's own."""
    rows = {
        row.kind: row
        for row in session.scalars(select(MessageTemplate).order_by(MessageTemplate.kind))
    }
    lines = []
    for kind in SUPPORTED:
        row = rows.get(kind.value)
        lines.append(
            WordingLine(
                kind=kind,
                label=LABELS[kind],
                text=row.body if row else TEMPLATES[kind],
                own=row is not None,
                updated_at=row.updated_at if row else None,
            )
        )
    return lines


def current_wording(session: Session, kind: MessageKind) -> tuple[str, bool]:
    """(the text of ``kind`` in use now, whether it is the clinic's own)."""
    row = session.scalars(select(MessageTemplate).where(MessageTemplate.kind == kind.value)).first()
    return (row.body, True) if row else (TEMPLATES[kind], False)


def render_for(session: Session, kind: MessageKind, ctx: MessageContext) -> str:
    """The text of a message of ``kind`` in the clinic's words (the built-in ones if it has
    not reworded it)."""
    row = session.scalars(select(MessageTemplate.body).where(MessageTemplate.kind == kind.value))
    return render(kind, ctx, row.first())
