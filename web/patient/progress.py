"""The patient's progress behind their personal link: charts, and what to share with a doctor."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.clinical.diary_export import diary_csv
from scheduler.clinical.diary_figures import Baseline, DiaryFigures, Window
from scheduler.clinical.progress import baseline_collecting, doctor_summary, figures_for
from scheduler.clinical.questionnaire_schedule import ScoredResponse, scores_for
from scheduler.errors import NotFound
from scheduler.models import DiaryDay, Patient, QuestionnaireKind
from scheduler.patients.links import patient_for_token
from web.charts import Series, bar_chart, line_chart
from web.context import clock, db
from web.patient.manage import _invalid_link

bp = Blueprint("progress", __name__, url_prefix="/m/<token>")

CHART_WINDOWS = 13  # a year of 28-day windows
QUESTIONNAIRE_NAMES = {QuestionnaireKind.MIDAS: "MIDAS", QuestionnaireKind.HIT6: "HIT-6"}
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _patient(session: Session, token: str) -> Patient:
    patient = patient_for_token(session, token, clock().now())
    if patient is None:
        raise NotFound("no such link")
    return patient


def _short(day: date) -> str:
    return day.strftime("%-d %b")


def _count(window: Window, value: int) -> float | None:
    """A window's count, or no record when none of its days was recorded."""
    return float(value) if window.recorded else None


def progress_charts(figures: DiaryFigures, scores: list[ScoredResponse]) -> list[Markup]:
    """The progress page's charts, each with its table."""
    windows = figures.windows[-CHART_WINDOWS:]
    # A baseline still being collected is no line to measure against.
    baseline = None if baseline_collecting(figures) else figures.baseline
    return [
        _headache_days_chart(windows, baseline),
        line_chart(
            "Worst pain each week",
            [Series("Worst pain", [(_short(w.start), w.worst_pain) for w in figures.weeks])],
            y_max=10,
        ),
        bar_chart(
            "Days with headache medicine in each 28 days",
            Series(
                "Medicine days",
                [(_short(w.start), _count(w, w.medication_days)) for w in windows],
            ),
            unit="days",
        ),
        *_score_charts(scores),
    ]


def _headache_days_chart(windows: list[Window], baseline: Baseline | None) -> Markup:
    """Headache days in each window, against the baseline when there is one."""
    return bar_chart(
        "Headache days in each 28 days",
        Series("Headache days", [(_short(w.start), _count(w, w.headache_days)) for w in windows]),
        reference=baseline.headache_days if baseline else None,
        reference_label="Before treatment"
        if baseline and baseline.before_treatment
        else "First month",
        unit="days",
    )


def _score_charts(scores: list[ScoredResponse]) -> list[Markup]:
    """A chart of each questionnaire's scores, for those answered at least once."""
    charts = []
    for kind, name in QUESTIONNAIRE_NAMES.items():
        points: list[tuple[str, float | None]] = [
            (s.taken_at.strftime("%-d %b %Y"), float(s.score)) for s in scores if s.kind == kind
        ]
        if points:
            charts.append(line_chart(f"{name} scores", [Series(f"{name} score", points)]))
    return charts


@bp.get("/progress")
def progress(token: str) -> Any:
    """The plain-language summary, then charts of headache days against the baseline, worst
    pain, medicine days and questionnaire scores; every chart has its numbers as a table."""
    with db().session() as session:
        try:
            patient = _patient(session, token)
        except NotFound:
            return _invalid_link()
        figures = figures_for(session, patient, clock().now())
        scores = scores_for(session, patient.id)
        return render_template(
            "progress.html",
            token=token,
            figures=figures,
            collecting=baseline_collecting(figures),
            charts=progress_charts(figures, scores),
            scores=scores,
            names=QUESTIONNAIRE_NAMES,
        )


@bp.get("/diary.csv")
def diary_file(token: str) -> Any:
    """Every day entry as CSV (one row per day, a header first), safe to open in a spreadsheet."""
    with db().session() as session:
        try:
            patient = _patient(session, token)
        except NotFound:
            return _invalid_link()
        entries = session.scalars(
            select(DiaryDay).where(DiaryDay.patient_id == patient.id).order_by(DiaryDay.day)
        )
        body = diary_csv(entries)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="diary.csv"', **PRIVATE},
    )


@bp.get("/summary")
def summary(token: str) -> Any:
    """A one-page summary of the last 3 months to print or show a doctor."""
    with db().session() as session:
        try:
            patient = _patient(session, token)
        except NotFound:
            return _invalid_link()
        report = doctor_summary(session, patient, clock().now())
        html = render_template(
            "diary_summary.html",
            token=token,
            report=report,
            zone=ZoneInfo(patient.time_zone),
            names=QUESTIONNAIRE_NAMES,
            printed=clock().now(),
        )
    return Response(html, headers=PRIVATE)
