"""The server-drawn charts: accessible SVG, escaped labels, gaps for missing points, a table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from web.charts import BAR, INK, LINE_STYLES, REFERENCE, Series, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    # The output is well-formed markup (every element closed): parse it as XML.
    return ET.fromstring(
        str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def months() -> Series:
    return Series("Headache days", [("2 Feb", 12), ("2 Mar", 7), ("30 Mar", None), ("27 Apr", 5)])


def test_a_bar_chart_is_an_svg_image_with_title_description_and_a_data_table() -> None:
    figure = parse(
        bar_chart("Headache days", months(), reference=12, reference_label="Baseline", unit="days")
    )
    svg = figure.find(f"{SVG}svg")
    assert svg is not None and svg.get("role") == "img"
    assert svg.get("viewBox") == "0 0 360 220" and svg.get("width") == "100%"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and title.text == "Headache days"
    assert desc is not None and desc.text is not None
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "highest 12 days (2 Feb)" in desc.text and "lowest 5 days (27 Apr)" in desc.text
    assert "Reference line: Baseline 12 days" in desc.text
    bars = svg.findall(f"{SVG}rect")
    assert len(bars) == 3  # no bar for the month without a record
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[0] > heights[1] > heights[2] > 0
    rows = [
        [cell.text for cell in row]
        for row in figure.iterfind("details/table/tbody/tr")  # the text alternative
    ]
    assert rows == [["2 Feb", "12"], ["2 Mar", "7"], ["30 Mar", "no record"], ["27 Apr", "5"]]
    assert figure.find("details/summary") is not None
    legend = ["".join(item.itertext()).strip() for item in figure.iterfind("ul/li")]
    assert legend == ["Baseline: 12 days"]  # the reference line, named under the chart
    header = [th.text for th in figure.iterfind("details/table/thead/tr/th")]
    assert header == ["When", "Headache days"]  # the unit is not said twice


def test_the_reference_line_sits_at_its_value() -> None:
    figure = parse(bar_chart("H", Series("H", [("a", 10), ("b", 5)]), reference=10))
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    reference = [line for line in svg.iter(f"{SVG}line") if line.get("stroke") == REFERENCE]
    bar = svg.find(f"{SVG}rect")
    assert len(reference) == 1 and bar is not None
    assert reference[0].get("y1") == bar.get("y")  # the 10-day bar reaches the line


def test_every_label_and_title_is_escaped() -> None:
    nasty = '<script>alert("x")</script>'
    markup = str(
        line_chart(nasty, [Series(nasty, [(nasty, 3), ("b", 4)])], unit=nasty)
        + bar_chart(nasty, Series(nasty, [(nasty, 1)]), reference=1, reference_label=nasty)
    )
    assert "<script>" not in markup and "&lt;script&gt;" in markup


def test_a_line_breaks_where_a_point_was_not_recorded() -> None:
    pain = Series("Worst pain", [("w1", 7), ("w2", 6), ("w3", None), ("w4", 4), ("w5", 3)])
    figure = parse(line_chart("Worst pain by week", [pain], y_max=10))
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    lines = svg.findall(f"{SVG}polyline")
    assert [len(line.get("points", "").split()) for line in lines] == [2, 2]
    assert len(svg.findall(f"{SVG}circle")) == 4
    ticks = [t.text for t in svg.iter(f"{SVG}text")]
    assert "10" in ticks  # the fixed top of the pain scale


def test_several_lines_differ_in_dash_and_marker_and_have_a_legend() -> None:
    midas = Series("MIDAS", [("1 Feb", 30), ("1 May", 12)])
    hit6 = Series("HIT-6", [("1 Feb", 64), ("1 Mar", 58), ("1 May", 52)])
    figure = parse(line_chart("Questionnaire scores", [midas, hit6]))
    svg = figure.find(f"{SVG}svg")
    assert svg is not None
    dashes = [line.get("stroke-dasharray") for line in svg.findall(f"{SVG}polyline")]
    assert dashes == [None, "6 4"]
    assert len(svg.findall(f"{SVG}circle")) == 2 and len(svg.findall(f"{SVG}rect")) == 3
    legend = [item.itertext() for item in figure.iterfind("ul/li")]
    assert ["".join(text).strip() for text in legend] == ["MIDAS", "HIT-6"]
    header = [th.text for th in figure.iterfind("details/table/thead/tr/th")]
    assert header == ["When", "MIDAS", "HIT-6"]
    rows = [[c.text for c in row] for row in figure.iterfind("details/table/tbody/tr")]
    assert rows[1] == ["1 Mar", "no record", "58"]


def test_charts_on_one_page_have_distinct_ids() -> None:
    one, two = bar_chart("A", months()), bar_chart("A", months())
    ids = re.findall(r'id="([^"]+)"', str(one) + str(two))
    assert len(ids) == len(set(ids))


def test_an_empty_chart_still_renders_and_says_nothing_was_recorded() -> None:
    figure = parse(bar_chart("Nothing yet", Series("Headache days", [])))
    desc = figure.find(f"{SVG}svg/{SVG}desc")
    assert desc is not None and "nothing recorded" in (desc.text or "")


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("colour", [INK, BAR, REFERENCE, *(style[0] for style in LINE_STYLES)])
def test_the_colours_meet_aa_contrast_on_white(colour: str) -> None:
    ratio = 1.05 / (_luminance(colour) + 0.05)
    assert ratio >= 4.5  # text-grade contrast, above the 3:1 graphics need
