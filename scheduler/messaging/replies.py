"""Understanding a patient's SMS reply (DOMAIN.md section 7), read the way people write on phones.

Pure; ``parse`` never raises. A text is folded before it is read: Unicode NFKC (full-width letters
and digits), case, accents, typographic punctuation (curly apostrophes and quotes, dashes, the
ellipsis, non-breaking and zero-width spaces), and for keywords and phrases every other
punctuation mark and the spaces inside a keyword ("Stop all", "opt-out", "S.T.O.P").

An opt-out must never be missed, and a false one costs little (the answer says how to opt back
in), so STOP is read generously: a carrier keyword with politeness or words about our texts
around it ("stop please", "unsubscribe me"), a leading keyword cut off by punctuation ("STOP.
Wrong person"), and plain requests ("please stop texting me", "no more texts"). A keyword next
to words about something else ("cancel my appointment", "I stopped the tablets") is not an
opt-out: the answer to an unknown reply names X (cancel the visit) and HELP (whose answer names
STOP), and staff see the raw text.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
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


# Carrier keywords: CANCEL is one, so it can never mean "cancel my visit". UNSUB, REMOVE and
# ARRET are not Twilio's but plainly ask the same (REMOVE and ARRET are AWS's).
STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "unsub",
     "remove", "arret"}
)  # fmt: skip
START_WORDS = frozenset({"start", "unstop"})
HELP_WORDS = frozenset({"help", "info"})
YES_WORDS = frozenset({"c", "y", "yes"})
# The keyword replies, in the order they are tried.
KEYWORDS: tuple[tuple[frozenset[str], Intent], ...] = (
    (STOP_WORDS, Intent.STOP),
    (START_WORDS, Intent.START),
    (HELP_WORDS, Intent.HELP),
    (YES_WORDS, Intent.YES),
    (frozenset({"r"}), Intent.RESCHEDULE),
    (frozenset({"x"}), Intent.CANCEL),
)
# Words that may stand next to any keyword without changing what it asks.
COURTESY = frozenset(
    {"please", "pls", "plz", "plse", "thanks", "thank", "you", "thankyou", "thx", "ty", "ta",
     "cheers", "sorry", "ok", "okay", "hi", "hello", "and", "but", "so", "now", "xx", "xxx"}
)  # fmt: skip
# Words about our texts, which may also stand next to an opt-out keyword ("stop texting me").
ABOUT_TEXTS = frozenset(
    {"texts", "text", "texting", "txt", "txts", "txting", "msg", "msgs", "message", "messages",
     "messaging", "sms", "reminder", "reminders", "notifications", "alerts", "me", "my", "us",
     "number", "it", "this", "these", "them", "that", "all", "the", "your", "to", "from", "list",
     "any", "more", "of", "i", "want", "wish", "would", "like", "just", "do", "immediately",
     "asap", "send", "sending", "receiving", "getting", "get", "anymore", "forever"}
)  # fmt: skip
# Words that may also stand next to one keyword: a kiss after any but X ("Yes thanks x").
ALSO_ALLOWED: dict[Intent, frozenset[str]] = {
    Intent.STOP: ABOUT_TEXTS | {"x"},
    Intent.START: frozenset({"x", "again"}),
    Intent.HELP: frozenset({"x", "me", "i", "need"}),
    Intent.YES: frozenset({"x"}),
    Intent.RESCHEDULE: frozenset({"x"}),
}
# Plain requests for no more texts, anywhere in a reply (matched on the folded words).
OPT_OUT = re.compile(
    r"\b(?:stop|quit|end|cancel|unsubscribe) (?:all |the |these |your |my |any |of )*"
    r"(?:texting|txting|texts?|txts?|messaging|messages?|msgs?|sms|reminders?|sending|contacting)\b"
    r"|\bno more (?:texts?|txts?|messages?|msgs?|sms|reminders?)\b"
    r"|\b(?:dont|do not|never) (?:text|txt|message|msg|sms|contact|send) (?:me|us|this number)\b"
    r"|\b(?:dont|do not|no longer) (?:want|need|wish to (?:get|receive)) "
    r"(?:any |these |your |the |more |of )*(?:texts?|txts?|messages?|msgs?|sms|reminders?)\b"
    r"|\b(?:unsubscribe|optout|unsub)\b"
    r"|\bopt (?:me|us|this number|my number) out\b"
    r"|\bremove (?:me|us|my number|this number)\b"
    r"|\btake (?:me|us|my number|this number) off\b"
    r"|\bleave me alone\b|\bno mas\b"
    r"|\bwrong (?:number|person)\b"
)
# An opt-out keyword opening a reply and cut off by punctuation: "STOP. I have moved away."
LEADING_STOP = re.compile(
    r"^\W*(?:stop(?:[\s-]*all)?|un[\s-]*subscribe|unsub|opt[\s-]*out|revoke)\s*[.!,;:-]"
)

DIARY = re.compile(
    r"^(?P<pain>10|[0-9])(?:\s*/\s*10|\s+out of 10)?"  # worst pain 0-10 ("7", "7/10")
    r"(?:[\s,;-]+(?P<hours>\d{1,2}(?:[.,]\d)?)\s*h(?:ours?|rs?)?)?"  # optional hours: 3h, 2.5 hrs
    r"(?:[\s,;-]+(?P<med>m(?:ed(?:s|ication)?)?))?$",  # optional M for acute medication
    re.IGNORECASE,
)
MAX_LENGTH = 1600

# Typographic marks phones insert, as the plain marks people mean.
TYPOGRAPHIC = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u02bc\u02b9\u00b4`\u2039\u203a", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d", "-"),
        "\u2026": "...",
    }
)
NOTHING = re.compile(r"(?!)")
NOT_A_WORD = re.compile(r"[\W_]+")
# Spellings read as one, so that a phrase matches however it is written ("cannot speak",
# "unable to speak" and "can't speak"; "opt out" and "optout").
SAME_AS = {
    "cannot": "cant",
    "can not": "cant",
    "unable to": "cant",
    "head ache": "headache",
    "head aches": "headaches",
    "i have": "ive",
    "opt out": "optout",
    "un subscribe": "unsubscribe",
    "un stop": "unstop",
}
SAME_AS_PATTERN = re.compile(r"\b(?:" + "|".join(map(re.escape, SAME_AS)) + r")\b")


def _fold_once(text: str) -> str:
    """One pass of ``fold``; a second pass may still change the result of the first."""
    text = unicodedata.normalize("NFKD", text.translate(TYPOGRAPHIC)).casefold()
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")  # accents
    text = unicodedata.normalize("NFKC", text).translate(TYPOGRAPHIC)
    text = "".join(" " if ch.isspace() else ch for ch in text if ch.isprintable() or ch.isspace())
    return " ".join(text.split())


def fold(text: str) -> str:
    """``text`` as plain lower-case characters with single spaces: full-width, accented and
    typographic characters as their plain forms, invisible ones removed. Idempotent."""
    folded = _fold_once(text or "")
    for _ in range(4):  # case and compatibility mappings can feed each other; settle them
        again = _fold_once(folded)
        if again == folded:
            break
        folded = again
    return folded


def words(text: str) -> str:
    """The words of ``text`` as phrases are matched: folded, apostrophes dropped ("can't" is
    "cant"), every other mark a space, and a few spellings read as one (``SAME_AS``)."""
    plain = " ".join(NOT_A_WORD.sub(" ", fold(text).replace("'", "")).split())
    return SAME_AS_PATTERN.sub(lambda match: SAME_AS[match.group(0)], plain)


@dataclass(frozen=True)
class Reply:
    intent: Intent
    pain: int | None = None
    hours: float | None = None
    medication: bool = False
    opt_out: bool = False  # an emergency that also asks for no more texts


def parse(text: str, extra_phrases: Iterable[str] = ()) -> Reply:
    """What a reply means. An opt-out keyword alone wins; then an emergency (which notes
    whether the text also asked to stop); then any other request to stop; then the other
    keywords and a diary answer. ``extra_phrases`` are staff's additions to the emergency
    phrases (matched as whole words after folding, like the built-in ones)."""
    folded = fold((text or "")[:MAX_LENGTH])
    plain = words(folded)
    keyword = keyword_intent(plain)
    if keyword == Intent.STOP:
        return Reply(Intent.STOP)
    opt_out = asks_to_stop(folded, plain)
    if is_emergency(plain, extra_phrases):
        return Reply(Intent.EMERGENCY, opt_out=opt_out)
    if opt_out:
        return Reply(Intent.STOP)
    if keyword is not None:
        return Reply(keyword)
    return _diary_reply(folded)


def keyword_intent(plain: str) -> Intent | None:
    """The keyword a reply (as ``words``) is, give or take spaces inside it ("S T O P"),
    courtesy ("yes please") and, for an opt-out, words about our texts ("stop texting me")."""
    squashed = plain.replace(" ", "")
    for keywords, intent in KEYWORDS:
        if squashed in keywords:
            return intent
    tokens = set(plain.split())
    for keywords, intent in KEYWORDS:
        allowed = COURTESY | ALSO_ALLOWED.get(intent, frozenset())
        if tokens & keywords and tokens <= keywords | allowed:
            return intent
    return None


def asks_to_stop(folded: str, plain: str) -> bool:
    """Whether a reply asks for no more texts in so many words, or opens with an opt-out
    keyword cut off by punctuation."""
    return bool(OPT_OUT.search(plain) or LEADING_STOP.match(folded))


def _diary_reply(folded: str) -> Reply:
    """A diary answer ("7 3h M"), or an unknown reply if the text is not one."""
    match = DIARY.match(folded.strip(".!\"' "))
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


# Emergency phrases (DOMAIN.md section 4's emergent signs, as patients text them). Each is
# matched as whole words after ``words``, so "can't", "cannot" and "unable to" are
# one spelling, and "the worst headache I've ever had" contains "worst headache ive ever had".
WORST = ("worst", "most painful", "most severe", "most intense", "severest", "strongest")
PAINS = ("headache", "migraine", "pain", "head pain")
EVER = (
    "of my life", "in my life", "of my entire life", "of my whole life", "ever",
    "i've ever had", "i've ever felt", "i've ever experienced", "i've ever known", "i've had",
    "imaginable",
)  # fmt: skip
# "The worst headache of my life": every superlative with every pain and every "ever".
THUNDERCLAP = (
    *(f"{worst} {pain} {ever}" for worst in WORST for pain in PAINS for ever in EVER),
    *(f"worst ever {pain}" for pain in PAINS),
)
# The other signs, one phrase each.
SIGNS = (
    "thunderclap", "sudden severe headache", "sudden severe pain", "sudden excruciating",
    # speech
    "can't speak", "can't talk", "can't get my words out", "can't get words out",
    "can't find my words", "slurred", "slurring", "trouble speaking", "difficulty speaking",
    "struggling to speak", "lost my speech", "words are jumbled", "words come out wrong",
    # face, arms and legs
    "face drooping", "face is drooping", "drooping face", "face droop", "face droops",
    "droopy face", "face has dropped", "face dropped", "weak", "weakness", "numb", "numbness",
    "can't move", "can't feel my", "can't feel one side", "can't lift my", "paralysed",
    "paralyzed", "paralysis", "stroke",
    # consciousness
    "faint", "fainted", "fainting", "feel faint", "passed out", "pass out", "passing out",
    "blacked out", "black out", "blackout", "collapsed", "lost consciousness", "unconscious",
    "seizure", "seizures", "convulsion", "convulsions", "had a fit",
    # sight
    "can't see", "lost my vision", "lost vision", "loss of vision", "vision loss",
    "lost my sight", "gone blind", "went blind", "going blind", "blind in one eye",
    "double vision",
    # fever and a stiff neck, confusion
    "stiff neck", "neck is stiff", "neck stiffness", "can't bend my neck", "meningitis",
    "confused", "confusion", "disoriented", "disorientated", "don't know where i am",
    "ambulance",
)  # fmt: skip
EMERGENCY_PHRASES = (*THUNDERCLAP, *SIGNS)
# Everyday phrasings that contain an emergency phrase but say nothing about one ("I can't talk
# now"); taken out before the built-in phrases are matched. In doubt a phrase stays an
# emergency: a needless call costs the clinic a minute.
EVERYDAY = (
    "can't talk now", "can't talk right now", "can't talk at the moment", "can't talk atm",
    "can't talk at work", "can't talk to", "can't speak now", "can't speak right now",
    "can't speak at the moment", "can't speak to", "can't see the link", "can't see a link",
    "can't see any link", "can't see the page", "can't see the website", "can't see the message",
    "can't see my appointment", "can't see my booking", "can't see my visit",
    "can't see an appointment", "can't see any appointments", "can't see any times",
    "can't see any slots", "can't see a time", "can't see a slot",
    "can't see why", "can't move my appointment", "can't move my visit", "can't move my booking",
    "can't move the appointment", "can't move the time", "confused about",
    "confused by", "confused with", "confused as to", "confusion about", "confusion over",
    "confusion with",
)  # fmt: skip


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """One pattern matching any of ``phrases`` as whole words of ``words`` text (longest
    first); a phrase without a word in it matches nothing, and so does an empty list."""
    folded = sorted({words(phrase) for phrase in phrases} - {""}, key=len, reverse=True)
    if not folded:
        return NOTHING
    return re.compile(r"\b(?:" + "|".join(map(re.escape, folded)) + r")\b")


BUILT_IN = phrase_pattern(EMERGENCY_PHRASES)
NOT_AN_EMERGENCY = phrase_pattern(EVERYDAY)


def is_emergency(plain: str, extra_phrases: Iterable[str] = ()) -> bool:
    """Whether a reply (as ``words``) holds an emergency phrase: a built-in one outside the
    everyday phrasings, or one of ``extra_phrases`` anywhere."""
    if BUILT_IN.search(NOT_AN_EMERGENCY.sub(" | ", plain)):
        return True
    return phrase_pattern(extra_phrases).search(plain) is not None
