"""Scoring MIDAS and HIT-6 answers, their grades and bands, and changes between two scores.

Pure rules (DOMAIN.md section 6): no database, no wording. Answers arrive as a mapping of item
code to what the patient entered (a form's strings or integers) and leave as whole numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scheduler.errors import ValidationFailed
from scheduler.models import QuestionnaireKind

MIDAS_SCORED = ("1", "2", "3", "4", "5")
MIDAS_UNSCORED = ("A", "B")
MIDAS_ITEMS = MIDAS_SCORED + MIDAS_UNSCORED
MIDAS_MAX_DAYS = 90
MIDAS_MAX_PAIN = 10
# Items whose days may not overlap: the second never counts the first one's days.
MIDAS_PAIRS = (("1", "2"), ("3", "4"))
# A MIDAS answer's range and what to say when it is blank or out of range: item B is a pain
# score, every other item a number of days.
MIDAS_PAIN_ANSWER = (
    MIDAS_MAX_PAIN,
    "Give a number from 0 to 10.",
    "Give a whole number from 0 to 10.",
)
MIDAS_DAYS_ANSWER = (
    MIDAS_MAX_DAYS,
    "Give a number of days from 0 to 90 (0 if none).",
    "Give a whole number of days from 0 to 90.",
)
# (highest score of the grade, grade); grade IV has no upper bound.
MIDAS_GRADES = ((5, "I"), (10, "II"), (20, "III"))
MIDAS_MEANINGS = {
    "I": "little or no disability",
    "II": "mild disability",
    "III": "moderate disability",
    "IV": "severe disability",
}

HIT6_ITEMS = ("1", "2", "3", "4", "5", "6")
HIT6_VALUES = (6, 8, 10, 11, 13)  # never, rarely, sometimes, very often, always
HIT6_MIN = len(HIT6_ITEMS) * HIT6_VALUES[0]  # 36
HIT6_MAX = len(HIT6_ITEMS) * HIT6_VALUES[-1]  # 78
# (highest score of the band, band); the last band has no upper bound.
HIT6_BANDS = ((49, "little or no impact"), (55, "some impact"), (59, "substantial impact"))
HIT6_TOP_BAND = "severe impact"
HIT6_MEANINGFUL_FALL = 5

ITEMS: dict[QuestionnaireKind, tuple[str, ...]] = {
    QuestionnaireKind.MIDAS: MIDAS_ITEMS,
    QuestionnaireKind.HIT6: HIT6_ITEMS,
}


@dataclass(frozen=True)
class Scored:
    """Validated answers with their total and grade (MIDAS) or band (HIT-6)."""

    kind: QuestionnaireKind
    answers: dict[str, int]
    score: int
    grade: str


@dataclass(frozen=True)
class Change:
    """How a score moved since the previous one of the same questionnaire.

    ``difference`` is the new score minus the previous one (negative: fewer days lost or
    less impact, which is better on both). ``meaningful`` says whether the fall is large
    enough to count as a real change for one patient (HIT-6 only; MIDAS has no such rule
    here, so a change of grade is reported instead).
    """

    previous: int
    current: int
    difference: int
    meaningful: bool
    previous_grade: str
    grade: str

    @property
    def better(self) -> bool:
        return self.difference < 0

    @property
    def worse(self) -> bool:
        return self.difference > 0


def midas_grade(score: int) -> str:
    """MIDAS grade: I (0-5), II (6-10), III (11-20), IV (21 and over)."""
    if score < 0:
        raise ValueError("a MIDAS score is never negative")
    return next((grade for top, grade in MIDAS_GRADES if score <= top), "IV")


def hit6_band(score: int) -> str:
    """HIT-6 band: little or no impact (up to 49), some (50-55), substantial (56-59),
    severe (60 and over)."""
    if not HIT6_MIN <= score <= HIT6_MAX:
        raise ValueError(f"a HIT-6 total is between {HIT6_MIN} and {HIT6_MAX}")
    return next((band for top, band in HIT6_BANDS if score <= top), HIT6_TOP_BAND)


def meaning(kind: QuestionnaireKind, grade: str) -> str:
    """The grade or band in plain words, e.g. ``mild disability`` or ``some impact``."""
    if kind == QuestionnaireKind.MIDAS:
        return MIDAS_MEANINGS[grade]
    return grade


def _whole_number(raw: object) -> int | None:
    """The answer as a whole number, or None if it is not one (blank, words, 2.5, -3...)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        if text.isdigit() and text.isascii() and len(text) <= 4:
            return int(text)
    return None


def score_midas(answers: Mapping[str, object]) -> Scored:
    """Validate and score a MIDAS: the sum of items 1-5, graded I to IV.

    Each day count is a whole number from 0 to 90 (item B, average pain, from 0 to 10);
    items 1 and 2, and items 3 and 4, may not add up to more than the 90 days asked about.

    :raise ValidationFailed: with a message for every item that is wrong.
    """
    errors: dict[str, list[str]] = {}
    values: dict[str, int] = {}
    for code in MIDAS_ITEMS:
        value = _midas_item(code, answers.get(code), errors)
        if value is not None:
            values[code] = value
    _check_midas_pairs(values, errors)
    if errors:
        raise ValidationFailed(errors)
    score = sum(values[code] for code in MIDAS_SCORED)
    return Scored(QuestionnaireKind.MIDAS, values, score, midas_grade(score))


def _midas_item(code: str, raw: object, errors: dict[str, list[str]]) -> int | None:
    """One MIDAS answer as a number; None, with a message in ``errors``, if it is wrong."""
    top, blank, wrong = MIDAS_PAIN_ANSWER if code == "B" else MIDAS_DAYS_ANSWER
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors[code] = [blank]
        return None
    value = _whole_number(raw)
    if value is None or not 0 <= value <= top:
        errors[code] = [wrong]
        return None
    return value


def _check_midas_pairs(values: dict[str, int], errors: dict[str, list[str]]) -> None:
    """Items 1 and 2, and 3 and 4, may not add up to more than the 90 days asked about."""
    for first, second in MIDAS_PAIRS:
        if first in values and second in values and values[first] + values[second] > 90:
            errors.setdefault(second, []).append(
                f"Questions {first} and {second} add up to {values[first] + values[second]} "
                f"days, more than the 90 days asked about. Question {second} does not count "
                f"the days of question {first}."
            )


def score_hit6(answers: Mapping[str, object]) -> Scored:
    """Validate and score a HIT-6: all six items answered, each one of 6, 8, 10, 11 or 13;
    the total (36-78) is banded.

    :raise ValidationFailed: with a message for every item that is missing or not allowed.
    """
    errors: dict[str, list[str]] = {}
    values: dict[str, int] = {}
    for code in HIT6_ITEMS:
        raw = answers.get(code)
        value = _whole_number(raw)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            errors[code] = ["Choose one answer."]
        elif value not in HIT6_VALUES:
            errors[code] = ["Choose one of the answers shown."]
        else:
            values[code] = value
    if errors:
        raise ValidationFailed(errors)
    score = sum(values.values())
    return Scored(QuestionnaireKind.HIT6, values, score, hit6_band(score))


def score(kind: QuestionnaireKind, answers: Mapping[str, object]) -> Scored:
    """Validate and score answers to ``kind``.

    :raise ValidationFailed: with a message for every item that is wrong.
    """
    if kind == QuestionnaireKind.MIDAS:
        return score_midas(answers)
    return score_hit6(answers)


def compare_hit6(
    previous: int, current: int, meaningful_fall: int = HIT6_MEANINGFUL_FALL
) -> Change:
    """The change from one HIT-6 total to the next; a fall of ``meaningful_fall`` points or
    more is a meaningful change for one patient."""
    difference = current - previous
    return Change(
        previous=previous,
        current=current,
        difference=difference,
        meaningful=-difference >= meaningful_fall,
        previous_grade=hit6_band(previous),
        grade=hit6_band(current),
    )


def compare_midas(previous: int, current: int) -> Change:
    """The change from one MIDAS score to the next, with both grades."""
    return Change(
        previous=previous,
        current=current,
        difference=current - previous,
        meaningful=False,
        previous_grade=midas_grade(previous),
        grade=midas_grade(current),
    )


def compare(
    kind: QuestionnaireKind,
    previous: int,
    current: int,
    meaningful_fall: int = HIT6_MEANINGFUL_FALL,
) -> Change:
    """The change between two scores of ``kind`` (see ``compare_hit6`` and ``compare_midas``)."""
    if kind == QuestionnaireKind.HIT6:
        return compare_hit6(previous, current, meaningful_fall)
    return compare_midas(previous, current)


def describe_change(kind: QuestionnaireKind, change: Change, meaningful_fall: int) -> str:
    """The change in plain words, for the patient's result page."""
    if kind == QuestionnaireKind.MIDAS:
        if change.difference == 0:
            return f"The same score as last time ({change.previous})."
        direction = "fewer" if change.better else "more"
        text = (
            f"{abs(change.difference)} {direction} days affected than last time "
            f"({change.previous}, grade {change.previous_grade})."
        )
        if change.grade != change.previous_grade:
            text += f" Your grade moved from {change.previous_grade} to {change.grade}."
        return text
    if change.difference == 0:
        return f"The same score as last time ({change.previous})."
    points = "point" if abs(change.difference) == 1 else "points"
    if change.better:
        text = f"{-change.difference} {points} lower than last time ({change.previous})."
        if change.meaningful:
            return text + f" A fall of {meaningful_fall} points or more is a real improvement."
        return text + f" Changes under {meaningful_fall} points can come and go."
    return f"{change.difference} {points} higher than last time ({change.previous})."
