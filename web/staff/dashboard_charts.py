"""The dashboard's charts: each figure of the clinic as an accessible inline SVG chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup

from scheduler.records.statistics import (
    ClinicalFigures,
    CourseFigures,
    Operations,
    WeekFigures,
    rate,
)
from web.charts import Series, bar_chart, line_chart


def week_label(monday: date) -> str:
    """``2 Mar``: the Monday a week starts on."""
    return f"{monday.day} {monday:%b}"


def weekly_series(
    label: str, weeks: Sequence[WeekFigures], value: Callable[[WeekFigures], float | None]
) -> Series:
    """A series of one value per week (None for a gap), labelled by the week's Monday."""
    return Series(label, [(week_label(w.starts_on), value(w)) for w in weeks])


def rate_chart(title: str, series: Sequence[Series]) -> Markup:
    """A line chart of percentages (0 to 100)."""
    return line_chart(title, series, y_max=100, unit="%")


def dashboard_charts(ops: Operations, clinical: ClinicalFigures | None) -> dict[str, Markup]:
    """A chart per figure, keyed by the figure's name; the clinical ones only with
    ``clinical``. A week with nothing to divide by is a gap, not a zero."""
    charts = {
        "visits": visits_chart(ops.weeks),
        "attendance": attendance_chart(ops.weeks),
        "reminders": reminders_chart(ops.weeks),
        "courses": courses_chart(ops.courses),
    }
    if clinical is not None:
        charts["responders"] = responders_chart(clinical)
        charts["overuse"] = overuse_chart(clinical)
    return charts


def visits_chart(weeks: Sequence[WeekFigures]) -> Markup:
    """Bars of the visits held each week."""
    return bar_chart(
        "Visits held per week (week starting)",
        weekly_series("Visits held", weeks, lambda w: w.held),
        unit="visits",
    )


def attendance_chart(weeks: Sequence[WeekFigures]) -> Markup:
    """Lines of the no-show and late-cancellation rates, each a share of the visits due."""
    return rate_chart(
        "No-show and late-cancellation rates per week (share of visits due)",
        [
            weekly_series("No-show rate", weeks, lambda w: rate(w.no_shows, w.due)),
            weekly_series(
                "Late-cancellation rate", weeks, lambda w: rate(w.late_cancellations, w.due)
            ),
        ],
    )


def reminders_chart(weeks: Sequence[WeekFigures]) -> Markup:
    """A line of the share of reminded visits that the patient confirmed."""
    return rate_chart(
        "Reminded visits confirmed per week",
        [
            weekly_series(
                "Confirmed after a reminder", weeks, lambda w: rate(w.confirmed, w.reminded)
            )
        ],
    )


def courses_chart(courses: CourseFigures) -> Markup:
    """Bars of the courses running, completed and stopped early."""
    return bar_chart(
        "Courses by where they stand",
        Series(
            "Courses",
            [
                ("Running", courses.active),
                ("Completed", courses.completed),
                ("Stopped early", courses.stopped),
            ],
        ),
        unit="courses",
    )


def responders_chart(clinical: ClinicalFigures) -> Markup:
    """Bars of the patients past week 12: responders, not responders, and those whose diary
    is too thin to judge."""
    return bar_chart(
        "Patients past week 12",
        Series(
            "Patients",
            [
                ("Responders", clinical.responders),
                ("Not responders", clinical.judged - clinical.responders),
                ("Diary too thin to judge", clinical.past_week_12 - clinical.judged),
            ],
        ),
        unit="patients",
    )


def overuse_chart(clinical: ClinicalFigures) -> Markup:
    """Bars of the recent diaries with and without a medication-overuse alert."""
    overusing = len(clinical.overuse)
    return bar_chart(
        "Medication overuse among recent diaries",
        Series(
            "Patients",
            [("Overuse alert", overusing), ("No alert", clinical.diaries_checked - overusing)],
        ),
        unit="patients",
    )
