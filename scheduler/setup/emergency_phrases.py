"""The phrases staff add to the emergency detector's built-in list for patients' SMS replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduler.errors import ValidationFailed
from scheduler.field_errors import FieldErrors
from scheduler.lookup import existing
from scheduler.messaging.replies import (
    ALSO_ALLOWED,
    COURTESY,
    Intent,
    asks_to_stop,
    is_emergency,
    keyword_intent,
    parse,
    words,
)
from scheduler.models import EmergencyPhrase

SHORTEST = 3
LONGEST = 120  # the column's length
EVERYDAY_WORDS = COURTESY | ALSO_ALLOWED[Intent.STOP]
A_REPLY = (
    "Patients send this to answer our texts (a keyword such as STOP or YES, or a diary score), "
    "so it cannot also mean an emergency."
)
TOO_COMMON = "These words are in everyday replies. Add words that say what is wrong."
ALREADY_READ = "Texts with this phrase already get the emergency advice."
TAKEN = "This phrase is already in the list."


def list_phrases(session: Session) -> list[EmergencyPhrase]:
    """Every phrase staff added, in alphabetical order."""
    return list(session.scalars(select(EmergencyPhrase).order_by(EmergencyPhrase.phrase)))


def add_phrase(session: Session, typed: str, *, by: str, now: datetime) -> EmergencyPhrase:
    """Add a phrase: from then on a text holding it (as whole words, folded as replies are)
    gets the emergency advice at once and raises a staff alert.

    The phrase is kept folded, as it is matched: lower case, without punctuation, "cannot"
    and "unable to" as "cant" (see ``replies.words``).

    :raise ValidationFailed: on "phrase" when it is empty, has control characters, is over 120
        characters or under 3 once folded, is a reply keyword or a diary answer, holds only
        everyday words, is already read as an emergency, or is already in the list; nothing
        is written.
    """
    phrase = EmergencyPhrase(
        phrase=_checked(session, typed), created_at=now, created_by=(by or "")[:LONGEST]
    )
    try:
        with session.begin_nested():  # two admins adding one phrase at once: one is refused
            session.add(phrase)
            session.flush()
    except IntegrityError:
        raise ValidationFailed({"phrase": [TAKEN]}) from None
    return phrase


def remove_phrase(session: Session, phrase_id: int) -> str:
    """Take a phrase out of the list; texts holding it are read as before it was added.
    Returns the phrase.

    :raise NotFound: if there is no such phrase.
    """
    phrase = existing(session, EmergencyPhrase, phrase_id, "emergency phrase")
    session.delete(phrase)
    session.flush()
    return phrase.phrase


def _checked(session: Session, typed: str) -> str:
    """The phrase as it is kept and matched.

    :raise ValidationFailed: as ``add_phrase`` says.
    """
    errors = FieldErrors()
    text = errors.text("phrase", typed, longest=LONGEST)
    errors.raise_if_any()
    phrase = words(text)
    problem = _problem(phrase)
    if problem is None and session.scalar(
        select(EmergencyPhrase.id).where(EmergencyPhrase.phrase == phrase)
    ):
        problem = TAKEN
    if problem is not None:
        errors.add("phrase", problem)
    errors.raise_if_any()
    return phrase


def _problem(phrase: str) -> str | None:
    """Why a folded phrase cannot join the list, or None if it can."""
    if len(phrase) < SHORTEST:
        return f"Enter at least {SHORTEST} letters or digits."
    if len(phrase) > LONGEST:
        return f"Use at most {LONGEST} characters."
    if keyword_intent(phrase) is not None or asks_to_stop(phrase, phrase):
        return A_REPLY
    if parse(phrase).intent == Intent.DIARY:
        return A_REPLY
    if set(phrase.split()) <= EVERYDAY_WORDS:
        return TOO_COMMON
    if is_emergency(phrase):
        return ALREADY_READ
    return None
