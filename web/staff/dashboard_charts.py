"""The dashboard's charts: each figure of the clinic as an accessible inline SVG chart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup

from scheduler.records.statistics import ClinicalFigures, Operations, WeekFigures, rate
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
    weeks = ops.weeks
    charts = {
        "visits": bar_chart(
            "Visits held per week (week starting)",
            weekly_series("Visits held", weeks, lambda w: w.held),
            unit="visits",
        ),
        "attendance": rate_chart(
            "No-show and late-cancellation rates per week (share of visits due)",
            [
                weekly_series("No-show rate", weeks, lambda w: rate(w.no_shows, w.due)),
                weekly_series(
                    "Late-cancellation rate", weeks, lambda w: rate(w.late_cancellations, w.due)
                ),
            ],
        ),
        "reminders": rate_chart(
            "Reminded visits confirmed per week",
            [
                weekly_series(
                    "Confirmed after a reminder", weeks, lambda w: rate(w.confirmed, w.reminded)
                )
            ],
        ),
        "courses": bar_chart(
            "Courses by where they stand",
            Series(
                "Courses",
                [
                    ("Running", ops.courses.active),
                    ("Completed", ops.courses.completed),
                    ("Stopped early", ops.courses.stopped),
                ],
            ),
            unit="courses",
        ),
    }
    if clinical is not None:
        charts["responders"] = bar_chart(
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
        charts["overuse"] = bar_chart(
            "Medication overuse among recent diaries",
            Series(
                "Patients",
                [
                    ("Overuse alert", len(clinical.overuse)),
                    ("No alert", clinical.diaries_checked - len(clinical.overuse)),
                ],
            ),
            unit="patients",
        )
    return charts
