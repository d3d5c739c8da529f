"""Understanding a patient's SMS reply (DOMAIN.md section 7). Pure; never raises."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass


class Intent(enum.StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    YES = "yes"  # confirm the next visit, or take a waitlist offer
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"  # X: cancel the next visit (asks once more)
    DIARY = "diary"
    EMERGENCY = "emergency"
    UNKNOWN = "unknown"


# Carrier keywords: CANCEL is one, so it can never mean "cancel my visit".
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}
YES_WORDS = {"C", "Y", "YES"}
# The one-word replies understood once STOP and the emergency words are ruled out, in order.
ONE_WORD_REPLIES: tuple[tuple[set[str], Intent], ...] = (
    (START_WORDS, Intent.START),
    (HELP_WORDS, Intent.HELP),
    (YES_WORDS, Intent.YES),
    ({"R"}, Intent.RESCHEDULE),
    ({"X"}, Intent.CANCEL),
)
EMERGENCY_PATTERNS = [
    r"worst (head ?ache|pain) (of|in) my life",
    r"can'?t (speak|talk|see|move)",
    r"cannot (speak|talk|see|move)",
    r"\bweak(ness)?\b",
    r"\bnumb(ness)?\b",
    r"\bfaint(ed|ing)?\b",
    r"\bpassed out\b",
    r"\bseizure\b",
    r"\bstiff neck\b",
    r"\bconfus(ed|ion)\b",
    r"\bslurred\b",
    r"\bthunderclap\b",
]
DIARY = re.compile(
    r"^(?P<pain>10|[0-9])"  # worst pain 0-10
    r"(?:\s+(?P<hours>\d{1,2}(?:[.,]\d)?)\s*h(?:ours?|rs?)?)?"  # optional hours: 3h, 2.5 hrs
    r"(?:\s+(?P<med>m(?:ed(?:s|ication)?)?))?$",  # optional M for acute medication
    re.IGNORECASE,
)
MAX_LENGTH = 1600


@dataclass(frozen=True)
class Reply:
    intent: Intent
    pain: int | None = None
    hours: float | None = None
    medication: bool = False


def normalise(text: str) -> str:
    """Case, spaces, punctuation and look-alike characters folded."""
    folded = unicodedata.normalize("NFKC", text or "")[:MAX_LENGTH]
    folded = "".join(ch for ch in folded if ch.isprintable() or ch == " ")
    return " ".join(folded.strip().split())


def parse(text: str) -> Reply:
    """What a reply means. Emergency words win over everything but an opt-out keyword."""
    clean = normalise(text)
    word = clean.upper().strip(".!?,;: ")
    if word in STOP_WORDS:
        return Reply(Intent.STOP)
    lowered = clean.lower()
    if any(re.search(pattern, lowered) for pattern in EMERGENCY_PATTERNS):
        return Reply(Intent.EMERGENCY)
    for words, intent in ONE_WORD_REPLIES:
        if word in words:
            return Reply(intent)
    return _diary_reply(clean)


def _diary_reply(clean: str) -> Reply:
    """A diary answer ("7 3h M"), or an unknown reply if the text is not one."""
    match = DIARY.match(clean.strip(".!"))
    if not match:
        return Reply(Intent.UNKNOWN)
    hours = match.group("hours")
    parsed_hours = float(hours.replace(",", ".")) if hours else None
    if parsed_hours is not None and parsed_hours > 24:
        return Reply(Intent.UNKNOWN)
    return Reply(
        Intent.DIARY,
        pain=int(match.group("pain")),
        hours=parsed_hours,
        medication=bool(match.group("med")),
    )
