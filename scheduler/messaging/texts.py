"""The words of every SMS the clinic sends, in one place.

Texts carry only a first name, a date and time, the clinic's name and phone, and a link: never a
condition, a treatment detail or a medication (DOMAIN.md section 7).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    MessageKind.WAITLIST_OFFER: (
        "Hi {first_name}, an earlier time is free at {clinic_name}: {when}. "
        "Reply Y by {expires} to take it. It is held for you till then."
    ),
    MessageKind.AFTERCARE: (
        "Hi {first_name}, we hope you are feeling well after yesterday's visit to {clinic_name}. "
        "Any questions, call {clinic_phone}"
    ),
    MessageKind.MAINTENANCE_DUE: (
        "Hi {first_name}, it is time to plan your next visit to {clinic_name}. "
        "Book or confirm here: {manage_url}"
    ),
    MessageKind.DIARY_PROMPT: (
        "{clinic_name}: How was today? Reply 0 if pain-free, or 1-10 for your worst pain."
    ),
    MessageKind.QUESTIONNAIRE: (
        "Hi {first_name}, a short questionnaire from {clinic_name} is ready for you: {manage_url}"
    ),
    MessageKind.REMINDER_2H: (
        "Hi {first_name}, see you at {time} {day} at {clinic_name}. "
        "Running late? Call {clinic_phone}"
    ),
    MessageKind.NEW_LINK: (
        "Hi {first_name}, your new link for {clinic_name}: {manage_url} "
        "Your old link no longer works."
    ),
}

# Words no text may contain (DOMAIN.md section 7: no condition, treatment detail or
# medication). Each is matched at the start of a word, so "diagnos" also catches "diagnosed".
FORBIDDEN_WORDS = (
    "headache",
    "migraine",
    "aura",
    "neuralgia",
    "diagnos",
    "symptom",
    "medicat",
    "medicine",
    "prescri",
    "painkiller",
    "analgesic",
    "nsaid",
    "triptan",
    "sumatriptan",
    "rizatriptan",
    "zolmitriptan",
    "ergot",
    "opioid",
    "codeine",
    "ibuprofen",
    "paracetamol",
    "acetaminophen",
    "aspirin",
    "naproxen",
    "propranolol",
    "topiramate",
    "amitriptyline",
    "botox",
    "anticoagulant",
    "warfarin",
    "pregnan",
    "acupuncture",
    "needl",
    "tui na",
)
FORBIDDEN_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(w) for w in FORBIDDEN_WORDS) + r")", re.IGNORECASE
)


def forbidden_words_in(text: str) -> list[str]:
    """The ruled-out words ``text`` uses (each once, as written), in order of appearance."""
    found: list[str] = []
    for match in FORBIDDEN_PATTERN.finditer(text):
        word = re.match(r"[\w-]+(?: na)?", text[match.start() :], re.IGNORECASE)
        shown = word.group(0) if word else match.group(0)
        if shown.lower() not in (f.lower() for f in found):
            found.append(shown)
    return found


@dataclass(frozen=True)
class MessageContext:
    first_name: str
    local_start: datetime
    clinic_name: str
    clinic_phone: str
    manage_url: str
    expires: datetime | None = None
    # When the text is due to go (any zone): "today" and "tomorrow" are worded for that moment.
    sends_at: datetime | None = None


# A name goes into a text from the clinic's number only when it cannot read as a link or a
# message (DOMAIN.md section 7): letters, and the apostrophes, hyphens, spaces and full stops
# of real names; no full stop inside a word ("evil.example"), no "www" or "http", and a first
# word no longer than a real one. Anything else gets the greeting without a name ("Hi,").
NAME_PUNCTUATION = frozenset(" '\u2018\u2019-\u2010\u2011.")
LINK_LIKE = re.compile(r"\.\S|www|http", re.IGNORECASE)
NAME_CAP = 30  # longer than any one word of a first name: a message, not a name
NAME_SHOWN = 20  # a long name is cut to keep the text in one segment
NO_NAME = "\x00"  # where an unusable name was, closed up after filling in


def _folded(name: str) -> str:
    """The name with compatibility forms folded (full-width letters and dots, no-break
    spaces, ligatures read as their plain forms), so a disguised link is seen as one."""
    return unicodedata.normalize("NFKC", name).strip()


def name_is_safe(first_name: str) -> bool:
    """Whether ``first_name`` may appear in a text: only letters (any script, with their
    accents) and name punctuation, nothing that reads as a link, a first word within the cap."""
    folded = _folded(first_name)
    if not folded or len(folded.split(" ")[0]) > NAME_CAP or LINK_LIKE.search(folded):
        return False
    return all(ch in NAME_PUNCTUATION or unicodedata.category(ch)[0] in "LM" for ch in folded)


def greeting_name(first_name: str) -> str:
    """The name a text greets the patient by: the first word, cut to 20 characters; empty when
    the name is not safe to send (``name_is_safe``)."""
    if not name_is_safe(first_name):
        return ""
    return _folded(first_name).split(" ")[0][:NAME_SHOWN]


def _close_up(text: str) -> str:
    """The text with an unusable name's place closed up: "Hi {first_name}, booked" reads
    "Hi, booked"; a name that began the text leaves no stray comma, and a capital."""
    if text.startswith(NO_NAME):
        rest = re.sub(r"^\x00[,!.]?\s*", "", text)
        text = rest[:1].upper() + rest[1:]
    return re.sub(r" ?\x00", "", text)


def placeholder_values(ctx: MessageContext) -> dict[str, str]:
    """What each placeholder of a text stands for in this message (an unusable name stands as
    ``NO_NAME``, which ``render`` closes up)."""
    return {
        "expires": f"{ctx.expires:%H:%M}" if ctx.expires else "",
        "first_name": greeting_name(ctx.first_name) or NO_NAME,
        "when": f"{ctx.local_start:%a} {ctx.local_start.day} {ctx.local_start:%b at %H:%M}",
        "time": f"{ctx.local_start:%H:%M}",
        "day": day_word(ctx.local_start, ctx.sends_at),
        "clinic_name": ctx.clinic_name,
        "clinic_phone": ctx.clinic_phone,
        "manage_url": ctx.manage_url,
    }


def day_word(local_start: datetime, sends_at: datetime | None) -> str:
    """The visit's day as read when the text arrives: "today", "tomorrow", or "on Tue 3 Dec".

    Both days are taken in the zone of ``local_start`` (the clock the text shows the time in).
    With no send time known, the dated form, which is true whenever it is read.
    """
    visit_day = local_start.date()
    if sends_at is not None:
        send_day = sends_at.astimezone(local_start.tzinfo).date()
        if visit_day == send_day:
            return "today"
        if visit_day == send_day + timedelta(days=1):
            return "tomorrow"
    return f"on {local_start:%a} {local_start.day} {local_start:%b}"


def reword_day(body: str, local_start: datetime, sends_at: datetime) -> str:
    """``body`` with its day word made true for a text going at ``sends_at``.

    A text is worded for its due time when it is planned; if it then goes on another day
    (deferred by quiet hours, the daily cap or a retry), the word it carries ("today",
    "tomorrow" or "on Tue 3 Dec") is swapped for the one true now. Text without one is kept.
    """
    true_word = day_word(local_start, sends_at)
    if re.search(rf"\b{re.escape(true_word)}\b", body):
        return body
    for stale in ("today", "tomorrow", day_word(local_start, None)):
        pattern = re.compile(rf"\b{re.escape(stale)}\b")
        if pattern.search(body):
            return pattern.sub(true_word, body, count=1)
    return body


def render(kind: MessageKind, ctx: MessageContext, wording: str | None = None) -> str:
    """The text of a message of ``kind``: in the clinic's own ``wording`` when it has one
    (checked when it was saved), else the built-in text.

    Wording that cannot be filled in (it was stored some other way) falls back to the
    built-in text, so a bad row never stops a booking.
    """
    values = placeholder_values(ctx)
    if wording:
        try:
            return _close_up(wording.format(**values))
        except (KeyError, IndexError, ValueError, AttributeError):
            pass
    return _close_up(TEMPLATES[kind].format(**values))


# Answers to a patient's own texts (sent at once, as the webhook's TwiML reply).
REPLIES = {
    "help": (
        "{clinic_name}: visit texts. Reply C to confirm, R to rearrange, X to cancel, "
        "STOP to opt out. Call {clinic_phone}"
    ),
    "stopped": "{clinic_name}: you will get no more texts from us. Reply START to opt back in.",
    "started": "{clinic_name}: you will get our texts again. Reply STOP to opt out.",
    "confirmed": "Thank you, your visit on {when} is confirmed.",
    "nothing_to_confirm": "Thank you. No visit is waiting to be confirmed. Call {clinic_phone}",
    "offer_taken": "Done: your visit is now {when}. We will remind you before it.",
    "offer_closed": "Sorry, that time has gone. We will text you if another comes up.",
    "reschedule": "To choose a new time for {when}: {manage_url}",
    "no_visit": "You have no upcoming visit with us. To book: {manage_url}",
    "cancel_ask": (
        "Reply X again to cancel your visit on {when}. Within {late_hours} hours of it this "
        "counts as a late cancellation."
    ),
    "cancel_ask_late": (
        "Reply X again to cancel your visit on {when}. It is within {late_hours} hours, so it "
        "will count as a late cancellation."
    ),
    "cancel_ask_any_time": "Reply X again to cancel your visit on {when}.",
    "cancelled": "Your visit on {when} is cancelled.",
    "diary_saved": "Thank you, saved for {day}.",
    "diary_no_day": "Thank you. To say which day that was for, use your diary: {manage_url}",
    "unknown": (
        "Sorry, we did not understand. Reply C to confirm, R to rearrange, X to cancel, "
        "HELP for help, or call {clinic_phone}"
    ),
    "emergency": (
        "If this is an emergency, call {emergency} now. Sudden severe pain, weakness, numbness "
        "or trouble speaking: call {emergency}. We have told the clinic."
    ),
    "stranger": "This number sends visit texts for {clinic_name}. Call {clinic_phone}",
}


def render_reply(name: str, **values: str) -> str:
    """The text of a reply; unused placeholders are simply not in that template."""
    return REPLIES[name].format(**values)


# The code that proves a phone (scheduler/patients/verification.py): it goes to a number
# before anyone there is a patient, so it names no visit, no patient and no link.
PHONE_CODE_TEXT = (
    "{clinic_name}: your code is {code}. It expires in {minutes} minutes. "
    "If you did not ask for it, ignore this text."
)


def phone_code_text(clinic_name: str, code: str, minutes: int) -> str:
    """The text of a phone code, valid ``minutes``."""
    return PHONE_CODE_TEXT.format(clinic_name=clinic_name, code=code, minutes=minutes)
