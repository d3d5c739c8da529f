"""The demo diaries: days chosen by a fixed pattern, recorded through the web and SMS paths."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from scheduler.clinical.diary import DayForm, record_day, record_pain_free_day
from scheduler.config import Settings
from scheduler.demo.history import Seeded, at, course_visits
from scheduler.demo.messages import text_the_clinic, write_diary_prompt
from scheduler.demo.stories import DiaryPlan
from scheduler.models import Patient
from scheduler.records.audit import acting_as

WINDOW = 28
RECORDED_AT = time(21, 30)  # web entries are made in the evening


@dataclass(frozen=True)
class Day:
    """One diary day as the patient will record it; pain 0 is a pain-free day."""

    day: date
    pain: int
    hours: float
    medicine: bool


def _count(counts: tuple[int, ...], index: int, days: int) -> int:
    """The window's count (the first before the pattern starts, the last after it ends),
    scaled to the days of the window that are in the diary."""
    whole = counts[min(max(index, 0), len(counts) - 1)]
    return round(whole * days / WINDOW)


def _window_days(
    plan: DiaryPlan, first: date, last: date, anchor: date, rng: random.Random
) -> list[Day]:
    """The recorded days: in each 28-day window from ``anchor``, exactly its headache days
    (some with medicine) and a share of the other days recorded pain-free."""
    found: list[Day] = []
    index = (first - anchor).days // WINDOW
    while anchor + timedelta(days=index * WINDOW) <= last:
        start = anchor + timedelta(days=index * WINDOW)
        days = [start + timedelta(days=i) for i in range(WINDOW)]
        days = [d for d in days if first <= d <= last]
        found += _one_window(plan, index, days, rng)
        index += 1
    return sorted(found, key=lambda d: d.day)


def _one_window(plan: DiaryPlan, index: int, days: list[date], rng: random.Random) -> list[Day]:
    headache = sorted(
        rng.sample(days, min(len(days), _count(plan.headache_days, index, len(days))))
    )
    medicine = set(
        rng.sample(headache, min(len(headache), _count(plan.medicine_days, index, len(days))))
    )
    result = [
        Day(d, rng.randint(4, 8), float(rng.choice((2, 3, 4, 6, 8, 12))), d in medicine)
        for d in headache
    ]
    rest = [d for d in days if d not in headache]
    result += [Day(d, 0, 0.0, False) for d in rest if rng.random() < plan.recorded_share]
    return result


def diary_days(
    plan: DiaryPlan, first_visit: date, today: date, since: date, rng: random.Random
) -> list[Day]:
    """The days the patient records, from the plan's start (not before ``since``) to yesterday."""
    first = max(since, first_visit - timedelta(days=plan.starts_days))
    anchor = (
        first_visit - timedelta(days=WINDOW)
        if plan.anchor == "visit"
        else today - timedelta(days=WINDOW - 1)
    )
    return _window_days(plan, first, today - timedelta(days=1), anchor, rng)


def keep_diary(
    session: Session, seeded: Seeded, settings: Settings, now: datetime, rng: random.Random
) -> int:
    """The patient's diary, through the web diary's use cases or the SMS replies to their
    diary prompts (from the day the course was booked); returns the days recorded."""
    plan = seeded.story.diary
    if plan is None:
        return 0
    patient = seeded.patient
    zone = ZoneInfo(patient.time_zone)
    first_visit = course_visits(session, seeded.course)[0].starts_at.astimezone(zone).date()
    today = now.astimezone(zone).date()
    since = seeded.course.created_at.astimezone(zone).date() if plan.source == "sms" else date.min
    days = diary_days(plan, first_visit, today, since, rng)
    if plan.source == "sms":
        _by_sms(session, patient, since, today, days, settings)
    else:
        for day in days:
            _on_the_web(session, patient, day, plan, zone)
    return len(days)


def _on_the_web(
    session: Session, patient: Patient, day: Day, plan: DiaryPlan, zone: ZoneInfo
) -> None:
    moment = datetime.combine(day.day, RECORDED_AT, zone)
    with acting_as(at(moment, "patient")):
        if day.pain == 0:
            record_pain_free_day(session, patient, day.day.isoformat(), now=moment)
            return
        form = DayForm(
            day=day.day.isoformat(),
            worst_pain=str(day.pain),
            hours=f"{day.hours:g}",
            medication_taken=day.medicine,
            medication_class=(plan.medicine_class or "") if day.medicine else "",
        )
        record_day(session, patient, form, now=moment)


def _by_sms(
    session: Session,
    patient: Patient,
    since: date,
    today: date,
    days: list[Day],
    settings: Settings,
) -> None:
    """An evening prompt each day, delivered, and the patient's reply on the days they
    answered ("0", "6 4h", "7 3h M")."""
    answered = {d.day: d for d in days}
    for offset in range((today - since).days):
        prompt = write_diary_prompt(session, patient, since + timedelta(days=offset), settings)
        day = answered.get(since + timedelta(days=offset))
        if prompt is None or day is None:
            continue
        body = (
            "0" if day.pain == 0 else f"{day.pain} {day.hours:g}h" + (" M" if day.medicine else "")
        )
        text_the_clinic(session, patient, body, settings, prompt.due_at + timedelta(minutes=40))
