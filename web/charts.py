"""Accessible charts drawn on the server as inline SVG: no JavaScript, and a data table for each.

Use from a view or a template (the result is ``Markup``, safe to insert as it is)::

    from web.charts import Series, bar_chart, line_chart

    bar_chart(
        "Headache days per 28 days",
        Series("Headache days", [("2 Feb", 12), ("2 Mar", 7), ("30 Mar", None)]),
        reference=12,
        reference_label="Baseline",
        unit="days",
    )
    line_chart(
        "Worst pain by week",
        [Series("Worst pain", [("2 Feb", 7), ("9 Feb", 5)]), Series("Average", [...])],
        y_max=10,
    )

Each chart is a ``<figure class="chart">``: a caption (the title), an ``<svg role="img">``
labelled by its ``<title>`` and a generated ``<desc>`` (range, highest, lowest, latest), a
legend (each line series; a bar chart's reference line), and a ``<details>`` holding the same
numbers as a table. The SVG has a
``viewBox`` and ``width="100%"``, so it scales to a phone's width. A point whose value is
``None`` means "no record": no bar is drawn, a line has a gap, and the table says so. Colours
meet WCAG AA against white (text 4.5:1, marks 3:1), and line series differ in dash and marker
too, not by colour alone. Every label, title and unit is escaped.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 360, 220
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 12, 34
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
INK, AXIS, GRID = "#1b1f23", "#4a5560", "#dde3ea"
BAR = "#0b5cad"
REFERENCE = "#8a3b00"
# Colour, dash pattern and marker per line series, so series differ without colour too.
LINE_STYLES = (
    ("#0b5cad", "", "circle"),
    ("#8a3b00", "6 4", "square"),
    ("#1e6b30", "2 3", "triangle"),
    ("#6b2c91", "10 3 2 3", "diamond"),
)
FONT = 11
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    """One named series of (label, value) points in order; ``None`` is a point not recorded."""

    label: str
    points: list[tuple[str, float | None]]


def bar_chart(
    title: str,
    series: Series,
    *,
    reference: float | None = None,
    reference_label: str = "",
    unit: str = "",
) -> Markup:
    """A bar per point of ``series``, with an optional dashed reference line (a baseline, say)
    labelled ``reference_label``. ``unit`` follows the values in the description and table."""
    chart_id = f"chart-{next(_ids)}"
    values = [v for _label, v in series.points if v is not None]
    top = _nice_top(max([*values, reference or 0, 0]))
    slot = PLOT_W / max(len(series.points), 1)
    parts = [*_grid(top), *_bars(series, top, slot, unit)]
    parts += _x_labels([label for label, _v in series.points], slot)
    legend: list[str] = []
    if reference is not None:
        y = _y(reference, top)
        parts.append(_line(LEFT, y, WIDTH - RIGHT, y, REFERENCE, dash="6 4", width=2))
        # Named in the legend under the chart, where it cannot overlap a bar's value.
        text = _reference_text(reference, reference_label, unit)
        legend.append(_legend_item(REFERENCE, "6 4", None, text))
    description = _describe_bars(series, reference, reference_label, unit)
    return _figure(chart_id, title, description, parts, [series], unit, legend)


def line_chart(
    title: str,
    series_list: Sequence[Series],
    *,
    y_max: float | None = None,
    unit: str = "",
) -> Markup:
    """One line per series over the labels of all the series (merged in their order);
    a ``None`` value breaks the line (a label a series does not list is simply passed over).
    ``y_max`` fixes the top of the scale (10 for pain); values above it still fit."""
    chart_id = f"chart-{next(_ids)}"
    labels = _labels(series_list)
    values = [v for s in series_list for _label, v in s.points if v is not None]
    top = _nice_top(max([*values, 0])) if y_max is None else max(y_max, *values, 0)
    slot = PLOT_W / max(len(labels), 1)
    position = {label: LEFT + slot * i + slot / 2 for i, label in enumerate(labels)}
    parts = [*_grid(top), *_draw_lines(series_list, position, top, unit), *_x_labels(labels, slot)]
    description = _describe_lines(series_list, unit)
    legend = [_legend_item(*_line_style(i), s.label) for i, s in enumerate(series_list)]
    return _figure(chart_id, title, description, parts, list(series_list), unit, legend)


# --- drawing ---------------------------------------------------------------------------------


def _nice_top(value: float) -> float:
    """A round number at or above ``value`` for the top of the scale (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _ticks(top: float) -> list[float]:
    """Up to 5 evenly spaced round ticks from 0 to ``top``."""
    for step in (0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if top / step <= 5:
            return [step * i for i in range(int(top / step + 1e-9) + 1)]
    return [0, top]


def _y(value: float, top: float) -> float:
    return TOP + PLOT_H - (value / top) * PLOT_H


def _grid(top: float) -> list[str]:
    parts = []
    for tick in _ticks(top):
        y = _y(tick, top)
        parts.append(_line(LEFT, y, WIDTH - RIGHT, y, GRID if tick else AXIS))
        parts.append(_text(LEFT - 4, y + FONT / 3, _number(tick), anchor="end"))
    parts.append(_line(LEFT, TOP, LEFT, TOP + PLOT_H, AXIS))
    return parts


def _bars(series: Series, top: float, slot: float, unit: str) -> list[str]:
    """A bar per recorded point, its value above it while there are few enough to read; a
    point not recorded is a dotted stub on the axis."""
    width = slot * 0.7
    show_values = len(series.points) <= 12
    parts = []
    for i, (label, value) in enumerate(series.points):
        x = LEFT + slot * i + (slot - width) / 2
        if value is None:
            parts.append(_line(x, _y(0, top), x + width, _y(0, top), AXIS, dash="2 2"))
            continue
        y = _y(value, top)
        parts.append(_bar(x, width, y, top, f"{label}: {_number(value, unit)}"))
        if show_values:
            parts.append(_text(x + width / 2, y - 3, _number(value), anchor="middle"))
    return parts


def _bar(x: float, width: float, y: float, top: float, tip: str) -> str:
    height = max(_y(0, top) - y, 0)
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{BAR}">'
        f"<title>{escape(tip)}</title></rect>"
    )


def _line_style(index: int) -> tuple[str, str, str]:
    """The colour, dash pattern and marker of the ``index``-th line series."""
    return LINE_STYLES[index % len(LINE_STYLES)]


def _draw_lines(
    series_list: Sequence[Series], position: dict[str, float], top: float, unit: str
) -> list[str]:
    """Every series' lines, then every marker: drawn last, so no line hides a point."""
    lines: list[str] = []
    markers: list[str] = []
    for index, series in enumerate(series_list):
        drawn, points = _series_marks(series, _line_style(index), position, top, unit)
        lines += drawn
        markers += points
    return lines + markers


def _series_marks(
    series: Series,
    style: tuple[str, str, str],
    position: dict[str, float],
    top: float,
    unit: str,
) -> tuple[list[str], list[str]]:
    """A series' lines (broken at each point not recorded) and a marker on each point."""
    colour, dash, marker = style
    lines: list[str] = []
    markers: list[str] = []
    run: list[tuple[float, float]] = []
    for label, value in [*series.points, ("", None)]:
        if value is None:
            if len(run) > 1:
                lines.append(_polyline(run, colour, dash))
            run = []
            continue
        x, y = position[label], _y(value, top)
        run.append((x, y))
        tip = f"{series.label}, {label}: {_number(value, unit)}"
        markers.append(_marker(marker, x, y, colour, tip))
    return lines, markers


def _polyline(run: list[tuple[float, float]], colour: str, dash: str) -> str:
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"{dashed}/>'


def _x_labels(labels: list[str], slot: float) -> list[str]:
    """The labels under the plot; every n-th one when they would crowd (the table has all)."""
    longest = max((len(label) for label in labels), default=1)
    fits = max(1, int(PLOT_W // max(longest * FONT * 0.6 + 6, 1)))
    every = math.ceil(len(labels) / fits) if labels else 1
    parts = []
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + slot * i + slot / 2
            parts.append(_text(x, TOP + PLOT_H + FONT + 6, label, anchor="middle"))
    return parts


def _line(
    x1: float, y1: float, x2: float, y2: float, colour: str, dash: str = "", width: float = 1
) -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{colour}" stroke-width="{width}"{dashed}/>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = INK) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" '
        f'font-size="{FONT}">{escape(text)}</text>'
    )


def _marker(shape: str, x: float, y: float, colour: str, tip: str = "") -> str:
    title = f"<title>{escape(tip)}</title>" if tip else ""
    if shape == "square":
        body = f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}">'
        return body + title + "</rect>"
    if shape in ("triangle", "diamond"):
        points = (
            f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
            if shape == "triangle"
            else f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        )
        return f'<polygon points="{points}" fill="{colour}">{title}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">{title}</circle>'


# --- words -----------------------------------------------------------------------------------


def _number(value: float, unit: str = "") -> str:
    text = str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    return f"{text} {unit}".strip()


def _labels(series_list: Sequence[Series]) -> list[str]:
    """Every series' labels in one order: a label new to the list goes right after the label
    before it in its own series (so dates from several series stay in date order)."""
    merged: list[str] = []
    for series in series_list:
        previous: str | None = None
        for label, _value in series.points:
            if label not in merged:
                merged.insert(merged.index(previous) + 1 if previous is not None else 0, label)
            previous = label
    return merged


def _extremes(series: Series, unit: str) -> str:
    recorded = [(label, v) for label, v in series.points if v is not None]
    if not recorded:
        return f"{series.label}: nothing recorded."
    high = max(recorded, key=lambda p: p[1])
    low = min(recorded, key=lambda p: p[1])
    latest = recorded[-1]
    return (
        f"{series.label}: highest {_number(high[1], unit)} ({high[0]}), "
        f"lowest {_number(low[1], unit)} ({low[0]}), latest {_number(latest[1], unit)} "
        f"({latest[0]})."
    )


def _span(labels: list[str]) -> str:
    if not labels:
        return "no points"
    if len(labels) == 1:
        return f"1 point, {labels[0]}"
    return f"{len(labels)} points from {labels[0]} to {labels[-1]}"


def _describe_bars(series: Series, reference: float | None, label: str, unit: str) -> str:
    text = f"Bar chart, {_span([p[0] for p in series.points])}. {_extremes(series, unit)}"
    if reference is not None:
        text += f" Reference line: {(label + ' ') if label else ''}{_number(reference, unit)}."
    return text


def _describe_lines(series_list: Sequence[Series], unit: str) -> str:
    names = ", ".join(s.label for s in series_list)
    text = f"Line chart of {names}, {_span(_labels(series_list))}."
    return " ".join([text, *(_extremes(s, unit) for s in series_list)])


def _unit_suffix(label: str, unit: str) -> str:
    """ " (days)" after a column's name, unless the name already says it."""
    return f" ({unit})" if unit and unit.lower() not in label.lower() else ""


def _cell(value: float | None) -> str:
    return "no record" if value is None else str(escape(_number(value)))


def _table(title: str, series_list: list[Series], unit: str) -> str:
    labels = _labels(series_list)
    by_series = [dict(s.points) for s in series_list]
    head = "".join(
        f'<th scope="col">{escape(s.label)}{escape(_unit_suffix(s.label, unit))}</th>'
        for s in series_list
    )
    rows = []
    for label in labels:
        cells = "".join(f"<td>{_cell(values.get(label))}</td>" for values in by_series)
        rows.append(f'<tr><th scope="row">{escape(label)}</th>{cells}</tr>')
    return (
        f'<table class="chart-data"><caption>{escape(title)}</caption>'
        f'<thead><tr><th scope="col">When</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _reference_text(reference: float, label: str, unit: str) -> str:
    return f"{label}: {_number(reference, unit)}" if label else _number(reference, unit)


def _legend_item(colour: str, dash: str, marker: str | None, label: str) -> str:
    """A legend entry: a small drawing of the line (hidden from screen readers) and its name."""
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    swatch = (
        f'<svg class="swatch" viewBox="0 0 28 10" width="28" height="10" aria-hidden="true" '
        f'focusable="false"><line x1="0" y1="5" x2="28" y2="5" stroke="{colour}" '
        f'stroke-width="2.5"{dashed}/>{_marker(marker, 14, 5, colour) if marker else ""}</svg>'
    )
    return f"<li>{swatch} {escape(label)}</li>"


def _figure(
    chart_id: str,
    title: str,
    description: str,
    parts: list[str],
    series_list: list[Series],
    unit: str,
    legend: list[str],
) -> Markup:
    legend_list = f'<ul class="chart-legend">{"".join(legend)}</ul>' if legend else ""
    return Markup(
        f'<figure class="chart" id="{chart_id}">'
        f"<figcaption>{escape(title)}</figcaption>{_svg(chart_id, title, description, parts)}"
        f"{legend_list}"
        f"<details><summary>Show the numbers as a table</summary>"
        f"{_table(title, series_list, unit)}</details></figure>"
    )


def _svg(chart_id: str, title: str, description: str, parts: list[str]) -> str:
    """The drawing, labelled by its title and described in words for screen readers."""
    return (
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="system-ui, sans-serif">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f"{''.join(parts)}</svg>"
    )
