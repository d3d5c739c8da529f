"""The clinical sections of a patient's record as the page shows them: the diary's figures
and questionnaire scores, with their charts, and every safety screen and alert."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from markupsafe import Markup
from sqlalchemy.orm import Session

from scheduler.clinical.alerts import AlertEntry, ScreenEntry, alert_history, screen_history
from scheduler.clinical.diary_figures import DiaryFigures, Window
from scheduler.clinical.questionnaire_schedule import ScoredResponse
from scheduler.clinical.questionnaires import HIT6_MAX
from scheduler.models import QuestionnaireKind, SafetyScreen
from scheduler.patients.record import ClinicalRecord, load_clinical
from web.charts import Series, bar_chart, line_chart

PAIN_MAX = 10
YEAR_SPAN = 300  # days


@dataclass(frozen=True)
class ClinicalSections:
    record: ClinicalRecord
    charts: dict[str, Markup] = field(default_factory=dict)
    screens: list[ScreenEntry] = field(default_factory=list)
    alerts: list[AlertEntry] = field(default_factory=list)

    @property
    def latest_screen(self) -> SafetyScreen | None:
        return self.record.latest_screen


def day_label(day: date, *, year: bool = True) -> str:
    """``2 Mar 2026``, or ``2 Mar`` where the year is plain from the rest of the chart."""
    return f"{day.day} {day:%b %Y}" if year else f"{day.day} {day:%b}"


def _needs_year(days: list[date]) -> bool:
    """Short labels would repeat (or mislead) once a chart spans most of a year."""
    return bool(days) and (max(days) - min(days)).days > YEAR_SPAN


def _unique(labels: Iterable[str]) -> list[str]:
    """The labels with repeats told apart (two answers on one day)."""
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        result.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return result


def diary_charts(figures: DiaryFigures) -> dict[str, Markup]:
    """Headache days per 28 days against the baseline, and the worst pain week by week."""
    if not figures.windows:
        return {}
    charts = {"headache_days": headache_days_chart(figures)}
    if figures.weeks:
        charts["pain"] = pain_chart(figures.weeks)
    return charts


def headache_days_chart(figures: DiaryFigures) -> Markup:
    """Bars of the headache days in each 28-day window (a gap where nothing was recorded),
    with the baseline as the reference line."""
    year = _needs_year([w.start for w in figures.windows])
    days: list[tuple[str, float | None]] = [
        (day_label(w.start, year=year), w.headache_days if w.recorded else None)
        for w in figures.windows
    ]
    return bar_chart(
        "Headache days per 28 days (window starting)",
        Series("Headache days", days),
        reference=figures.baseline.headache_days if figures.baseline is not None else None,
        reference_label="Baseline",
        unit="days",
    )


def pain_chart(weeks: list[Window]) -> Markup:
    """A line of the worst pain recorded each week (0 to 10)."""
    pain: list[tuple[str, float | None]] = [
        (day_label(w.start, year=False), w.worst_pain) for w in weeks
    ]
    return line_chart(
        "Worst pain by week (week starting)", [Series("Worst pain", pain)], y_max=PAIN_MAX
    )


def score_charts(scores: list[ScoredResponse]) -> dict[str, Markup]:
    """A line of HIT-6 totals and one of MIDAS scores, each when answered at least once."""
    charts: dict[str, Markup] = {}
    for kind, key, title, y_max in (
        (QuestionnaireKind.HIT6, "hit6", "HIT-6 score (36-78; lower is better)", HIT6_MAX),
        (QuestionnaireKind.MIDAS, "midas", "MIDAS score (days lost; lower is better)", None),
    ):
        answered = [s for s in scores if s.kind == kind]
        if not answered:
            continue
        year = _needs_year([s.taken_at.date() for s in answered])
        labels = _unique(day_label(s.taken_at.date(), year=year) for s in answered)
        name = "HIT-6" if kind == QuestionnaireKind.HIT6 else "MIDAS"
        charts[key] = line_chart(
            title,
            [Series(name, [(label, s.score) for label, s in zip(labels, answered, strict=True)])],
            y_max=y_max,
        )
    return charts


def clinical_sections(session: Session, patient_id: int, now: datetime) -> ClinicalSections:
    """The patient's clinical record with a chart for each figure that has data, and every
    safety screen and safety alert of theirs."""
    record = load_clinical(session, patient_id, now)
    return ClinicalSections(
        record,
        {**diary_charts(record.figures), **score_charts(record.scores)},
        screens=screen_history(session, patient_id),
        alerts=alert_history(session, patient_id),
    )
