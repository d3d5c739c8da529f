"""Reading patients' replies the way people write them: keywords, opt-outs, diary numbers,
emergencies, staff's own phrases, and any text at all."""

# The look-alike characters below (full-width letters, curly quotes, dashes) are what is tested.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.messaging.replies import Intent, fold, parse, words
from scheduler.messaging.texts import FORBIDDEN_WORDS, REPLIES, render_reply


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "CANCEL", "end", "QUIT", "revoke",
     "optout", "Stop."],
)  # fmt: skip
def test_every_carrier_opt_out_word_means_stop(text: str) -> None:
    assert parse(text).intent == Intent.STOP


@pytest.mark.parametrize(
    "text",
    [
        # spaces, hyphens and dots inside a keyword
        "Stop all", "stop-all", "STOP ALL", "stop_all", "opt out", "opt-out", "Opt Out",
        "OPT‑OUT", "Un subscribe", "un-subscribe", "S.T.O.P", "S T O P", "s-t-o-p",
        # full-width, accents, invisible and typographic characters as phones send them
        "ＳＴＯＰ", "Ｓｔｏｐ", "ｓｔｏｐ ａｌｌ", "stop\u200b", "\u00a0STOP\u00a0", "“STOP”",
        "‘stop’", "stop…", "Stop—", "Arrêt",
        # punctuation and emoji around it
        "stop.", "Stop!!", "STOP!!!", "stop?", "...stop...", "🛑 STOP", "STOP 🙏", "stop\nplease",
        # politeness and words about our texts
        "stop please", "STOP thanks", "please stop", "Stop it", "stop it now", "Stop now please",
        "stop texting me", "please stop texting me", "Please stop sending me these messages",
        "STOP ALL MESSAGES", "stop these texts thank you", "unsubscribe me", "Unsubscribe please",
        "opt out please", "cancel please", "cancel all texts", "END thanks", "quit it", "Remove me",
        "remove", "unsub", "STOP x",
        # plain requests
        "No more texts please", "no more messages", "I don't want these texts",
        "I don’t want any more messages", "I no longer want reminders", "Do not text me again",
        "don’t message me", "How do I unsubscribe?", "I want to opt out", "Please opt me out",
        "Remove me from your list", "take me off your list", "Leave me alone", "Wrong number",
        "wrong person, who is this?", "No más",
        # a leading keyword cut off by punctuation
        "STOP. I have moved away", "Stop, I go to another clinic now", "Unsubscribe - moved",
    ],
)  # fmt: skip
def test_opt_outs_written_the_way_people_write_mean_stop(text: str) -> None:
    assert parse(text).intent == Intent.STOP


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("START", Intent.START),
        ("unstop", Intent.START),
        ("Un-stop", Intent.START),
        ("START please", Intent.START),
        ("ＳＴＡＲＴ", Intent.START),
        ("HELP", Intent.HELP),
        ("info", Intent.HELP),
        ("help me", Intent.HELP),
        ("Help please", Intent.HELP),
        ("C", Intent.YES),
        ("y", Intent.YES),
        ("Yes!", Intent.YES),
        ("Yes please", Intent.YES),
        ("yes thanks x", Intent.YES),
        ("Ｙｅｓ", Intent.YES),
        ("“C”", Intent.YES),
        ("c.", Intent.YES),
        ("Y E S", Intent.YES),
        ("R", Intent.RESCHEDULE),
        ("r please", Intent.RESCHEDULE),
        ("x", Intent.CANCEL),
        ("X.", Intent.CANCEL),
        ("Ｘ", Intent.CANCEL),
        ("maybe", Intent.UNKNOWN),
        ("", Intent.UNKNOWN),
        ("   ", Intent.UNKNOWN),
        ("thanks", Intent.UNKNOWN),
        ("ok", Intent.UNKNOWN),
        ("11", Intent.UNKNOWN),
        ("7 30h", Intent.UNKNOWN),
        ("-1", Intent.UNKNOWN),
        ("C u later", Intent.UNKNOWN),
    ],
)
def test_keywords_are_read_whatever_their_case_and_spacing(text: str, intent: Intent) -> None:
    assert parse(text).intent == intent


@pytest.mark.parametrize(
    "text",
    [
        # A keyword beside words about something else is not a request to stop the texts: the
        # answer to an unknown reply names X (cancel a visit) and HELP (which names STOP), and
        # staff see the text.
        "cancel my appointment",
        "Can I cancel Tuesday?",
        "I stopped the tablets",
        "Should I stop taking ibuprofen before the visit?",
        "stop the tablets?",
        "the pain won't stop",
        "It will end by 5",
        "I quit my job so any day works",
        "start time?",
        "Is there an end date for the course",
    ],
)
def test_a_keyword_beside_words_about_something_else_is_not_an_opt_out(text: str) -> None:
    assert parse(text).intent not in (Intent.STOP, Intent.EMERGENCY)


@pytest.mark.parametrize(
    ("text", "pain", "hours", "medication"),
    [
        ("0", 0, None, False),
        ("7", 7, None, False),
        ("10", 10, None, False),
        ("7 3h M", 7, 3.0, True),
        ("7 3h m", 7, 3.0, True),
        ("5 2.5h", 5, 2.5, False),
        ("5 2,5 hrs", 5, 2.5, False),
        ("4 M", 4, None, True),
        ("6 12 hours med", 6, 12.0, True),
        ("７ ３ｈ Ｍ", 7, 3.0, True),
        ("7\u00a03h\u00a0M", 7, 3.0, True),
        ("7 – 3h – M", 7, 3.0, True),
        ("7, 3h, M", 7, 3.0, True),
        ("7/10", 7, None, False),
        ("7 / 10 3h", 7, 3.0, False),
        ("8 out of 10", 8, None, False),
        ("0.", 0, None, False),
        ("“6”", 6, None, False),
        ("6 MEDS", 6, None, True),
    ],
)
def test_diary_replies_give_pain_hours_and_medication(
    text: str, pain: int, hours: float | None, medication: bool
) -> None:
    reply = parse(text)
    assert (reply.intent, reply.pain, reply.hours, reply.medication) == (
        Intent.DIARY,
        pain,
        hours,
        medication,
    )


@pytest.mark.parametrize(
    "text",
    [
        "worst headache of my life",
        "Worst headache in my life",
        "worst headache ever",
        "WORST. HEADACHE. EVER.",
        "worst pain of my life",
        "the worst headache I’ve ever had",
        "the worst headache I have ever had",
        "worst head-ache of my life",
        "most painful headache I've ever felt",
        "worst migraine imaginable",
        "worst ever headache, came on in seconds",
        "thunderclap",
        "Sudden severe headache out of nowhere",
        "I can't speak properly",
        "can't speak",
        "cannot speak",
        "can’t talk",
        "can‘t talk",
        "unable to speak",
        "can\u00b4t speak",
        "ＣＡＮ’Ｔ ＳＰＥＡＫ",
        "slurred speech",
        "my speech is slurred",
        "face drooping",
        "her face is drooping on one side",
        "sudden weakness in my arm",
        "left arm weak",
        "weakness",
        "numb",
        "my face is numb",
        "numbness in my hand",
        "I feel faint",
        "faint",
        "fainted this morning",
        "passed out",
        "I passed out at work",
        "blacked out",
        "stiff neck and fever",
        "fever + stiff neck",
        "can't see",
        "I can’t see out of my left eye",
        "lost my vision for 10 min",
        "double vision",
        "confused and drowsy",
        "had a seizure",
        "I can't feel my left arm",
        "He collapsed",
        "call an ambulance",
    ],
)
def test_words_suggesting_an_emergency_are_recognised(text: str) -> None:
    assert parse(text).intent == Intent.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "can't talk now, at work",
        "Can’t talk right now, will text later",
        "I can't see the link",
        "can’t see any times on Friday",
        "I'm confused about the time",
        "can’t make Tuesday",
        "Can't do Monday, sorry",
        "weekly is fine",
        "my numbers are the same",
        "Feeling much better, thank you",
        "no change this week",
        "I can't move my appointment online",
    ],
)
def test_everyday_replies_are_not_emergencies(text: str) -> None:
    assert parse(text).intent != Intent.EMERGENCY


def test_an_emergency_that_also_asks_to_stop_is_both() -> None:
    reply = parse("Worst headache of my life. Please stop texting me")
    assert (reply.intent, reply.opt_out) == (Intent.EMERGENCY, True)
    assert parse("STOP. I can't speak").opt_out
    assert not parse("worst headache ever").opt_out


def test_an_opt_out_word_still_means_stop() -> None:
    assert parse("STOP").intent == Intent.STOP


def test_staffs_phrases_count_however_either_side_wrote_them() -> None:
    extra = ["Can’t swallow", "TONGUE feels heavy"]
    assert parse("I cannot swallow!", extra).intent == Intent.EMERGENCY
    assert parse("unable to swallow", extra).intent == Intent.EMERGENCY
    assert parse("my tongue feels heavy", extra).intent == Intent.EMERGENCY
    assert parse("I cannot swallow!").intent == Intent.UNKNOWN
    assert parse("my tongues feel heavy", extra).intent == Intent.UNKNOWN  # whole words only
    assert parse("STOP", extra).intent == Intent.STOP


def test_a_staff_phrase_without_words_matches_nothing() -> None:
    assert parse("thanks", ["", "!!!", "   "]).intent == Intent.UNKNOWN


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ＳＴＯＰ", "stop"),
        ("Can’t", "can't"),
        ("“Yes”", '"yes"'),
        ("a\u00a0\u2009b", "a b"),
        ("wait…", "wait..."),
        ("7–8", "7-8"),
        ("café", "cafe"),
        ("st\u200bop", "stop"),
        ("  many \n\t spaces ", "many spaces"),
        ("ﬁne", "fine"),
    ],
)
def test_folding_makes_typographic_and_full_width_characters_plain(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_words_drop_apostrophes_and_read_spellings_as_one() -> None:
    assert words("I can’t—speak!") == "i cant speak"
    assert words("Cannot speak") == words("unable to speak") == "cant speak"
    assert words("Opt-out") == "optout"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=2000), st.lists(st.text(max_size=40), max_size=3))
def test_any_text_at_all_is_read_without_an_error(text: str, extra: list[str]) -> None:
    reply = parse(text, extra)
    assert reply.intent in Intent
    if reply.intent == Intent.DIARY:
        assert reply.pain is not None and 0 <= reply.pain <= 10


@settings(max_examples=1000, deadline=None)
@given(st.text(max_size=200))
def test_folding_twice_changes_nothing_more(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert words(words(text)) == words(text)


@pytest.mark.parametrize("name", list(REPLIES))
def test_each_reply_fits_one_segment_and_names_no_condition(name: str) -> None:
    values = {
        "clinic_name": "Clearwater Clinic",
        "clinic_phone": "+44 20 7946 0000",
        "emergency": "999",
        "when": "Wed 11 Mar at 10:15",
        "day": "Wed 11 Mar",
        "late_hours": "168",
        "manage_url": "https://book.clearwaterclinic.co.uk/m/" + "A" * 22 + "/visits/123/move",
    }
    text = render_reply(name, **values)
    assert len(text) <= 160, (len(text), text)
    assert not any(word in text.lower() for word in FORBIDDEN_WORDS)
