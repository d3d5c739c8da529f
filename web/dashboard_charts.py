"""The dashboard's charts: each figure of the clinic as an accessible inline SVG chart."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup

from scheduler.clinic_stats import ClinicalFigures, Operations, rate
from web.charts import Series, bar_chart, line_chart


def week_label(monday: date) -> str:
    """``2 Mar``: the Monday a week starts on."""
    return f"{monday.day} {monday:%b}"


def dashboard_charts(ops: Operations, clinical: ClinicalFigures | None) -> dict[str, Markup]:
    """A chart per figure, keyed by the figure's name; the clinical ones only with
    ``clinical``. A week with nothing to divide by is a gap, not a zero."""
    weeks = ops.weeks
    charts = {
        "visits": bar_chart(
            "Visits held per week (week starting)",
            Series("Visits held", [(week_label(w.starts_on), w.held) for w in weeks]),
            unit="visits",
        ),
        "attendance": line_chart(
            "No-show and late-cancellation rates per week (share of visits due)",
            [
                Series(
                    "No-show rate",
                    [(week_label(w.starts_on), rate(w.no_shows, w.due)) for w in weeks],
                ),
                Series(
                    "Late-cancellation rate",
                    [(week_label(w.starts_on), rate(w.late_cancellations, w.due)) for w in weeks],
                ),
            ],
            y_max=100,
            unit="%",
        ),
        "reminders": line_chart(
            "Reminded visits confirmed per week",
            [
                Series(
                    "Confirmed after a reminder",
                    [(week_label(w.starts_on), rate(w.confirmed, w.reminded)) for w in weeks],
                )
            ],
            y_max=100,
            unit="%",
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
