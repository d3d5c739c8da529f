"""The demo's MIDAS and HIT-6 answers, each given while its point was open and scored for real."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from scheduler.clinical.questionnaire_schedule import record_response, scheduled_points
from scheduler.clinical.questionnaires import HIT6_ITEMS, HIT6_VALUES
from scheduler.demo.history import Seeded, at
from scheduler.models import QuestionnaireKind
from scheduler.records.audit import acting_as

ANSWERED_AFTER = timedelta(hours=26)  # patients answer about a day after the point opens
# How heavy the headaches still weigh at each point (1.0: as at baseline).
WEIGHT = {"baseline": 1.0, "session-4": 0.75, "session-8": 0.55, "month-3": 0.45}
MAINTENANCE_WEIGHT = 0.4


def midas_answers(weight: float) -> dict[str, Any]:
    """MIDAS answers for a patient whose headaches weigh ``weight`` of their baseline."""
    days = (8, 14, 6, 10, 9)
    answers: dict[str, Any] = {str(i + 1): round(d * weight) for i, d in enumerate(days)}
    answers["A"] = round(36 * weight)
    answers["B"] = max(3, round(8 * weight + 2))
    return answers


def hit6_answers(weight: float) -> dict[str, Any]:
    """HIT-6 answers: each item on the scale's steps, lower as the weight falls."""
    top = len(HIT6_VALUES) - 1
    steps = (4, 3, 3, 2, 3, 4)
    return {
        code: HIT6_VALUES[min(top, max(0, round(step * weight + (weight - 1))))]
        for code, step in zip(HIT6_ITEMS, steps, strict=True)
    }


def _weight(point: str, improves: bool) -> float:
    if not improves:
        return 0.95
    return WEIGHT.get(point, MAINTENANCE_WEIGHT)


def answer_questionnaires(session: Session, seeded: Seeded, now: datetime) -> int:
    """Answer every point of the patient's schedule that opened a day or more ago (and is
    still open then) through the real use case; returns how many answers were kept."""
    if not seeded.story.questionnaires:
        return 0
    improves = seeded.story.diary is None or seeded.story.diary.anchor == "visit"
    kept = 0
    for point in scheduled_points(session, seeded.patient):
        moment = point.opens + ANSWERED_AFTER
        if moment > now or not point.is_open(moment):
            continue
        weight = _weight(point.point, improves)
        answers = (
            midas_answers(weight) if point.kind == QuestionnaireKind.MIDAS else hit6_answers(weight)
        )
        with acting_as(at(moment, "patient")):
            record_response(session, seeded.patient, point.kind, point.point, answers, moment)
        kept += 1
    return kept
