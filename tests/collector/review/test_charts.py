"""The review's charts (collector/review/charts.py, chart_kit.py, svg_figure.py,
svg_ticks.py, svg_legends.py): every chart is there and shows its data (bars, lines,
markers, ticks, legend), drawn without matplotlib, and a process drawing many reviews
(the clinic) draws each the same as a new process."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from analytics.review_records import Review
from collector.review.building import build_review
from collector.review.chart_kit import (
    BLUE,
    GREEN,
    GREY,
    INK,
    ORANGE,
    PURPLE,
    SKY,
    VERMILION,
    Chart,
)
from collector.review.charts import charts
from collector.review.load import load_inputs
from collector.review.svg_font import text_width
from tests.collector.cli.test_cli_startup import modules_after
from tests.review_store import filled_store, simulate_history

KEYS = ["daily", "bouts", "hip", "adherence", "saddle", "pain"]


@pytest.fixture(scope="module")
def other() -> Review:
    """Five days without riding: a chart fewer, other days, other ticks."""
    h = simulate_history(n_days=5, plan=["desk", "heavy", "low_wear", "desk", "rest"])
    inp = load_inputs(filled_store(h), h.user, h.first_day, h.last_day, ZoneInfo(h.tz))
    return build_review(inp, tz_name=h.tz, baseline=None)


def drawing(chart: Chart) -> str:
    """What ``chart`` draws: its shapes, marks and texts (each with where and how),
    in any order, without the ids matplotlib counts as it draws."""
    svg = re.sub(r' id="[\w-]+_\d+"', "", chart.svg)
    shapes = re.findall(r"<(?:path|use|pattern)\b[^>]*>|<text\b[^>]*>[^<]*</text>", svg)
    return "\n".join(sorted(shapes))


def bars_in(chart: Chart, colour: str) -> int:
    """The rectangles filled with ``colour``: each bar a closed subpath, and the
    legend's swatch."""
    style = f"fill: {colour.lower()}"
    return sum(
        d.count("z")
        for d, s in re.findall(r'<path d="([^"]*)"[^>]*style="([^"]*)"', chart.svg)
        if s.startswith(style)
    )


def test_every_chart_is_there_and_shows_its_data(rev: Review) -> None:
    drawn = {c.key: c for c in charts(rev)}
    assert list(drawn) == KEYS
    for c in drawn.values():
        assert c.svg.startswith("<svg")
        assert c.svg.endswith("</svg>")
        assert f'<title id="{c.key}-title">' in c.svg
    days = rev.days
    swatch = 1
    assert bars_in(drawn["daily"], BLUE) == sum(d.valid and d.sitting_s > 0 for d in days) + swatch
    riding = sum(d.valid and d.riding_seated_s > 0 for d in days)
    assert bars_in(drawn["daily"], ORANGE) == riding + swatch
    compression_bins = sum(n > 0 for n in rev.bins.compression_counts)
    sitting_bins = sum(n > 0 for n in rev.bins.sitting_counts)
    assert bars_in(drawn["bouts"], BLUE) == 2 * compression_bins + swatch  # count, hours
    assert bars_in(drawn["bouts"], SKY) == 2 * sitting_bins + swatch
    hip = sum(d.valid and d.hip_gt90_s > 0 for d in days)
    assert bars_in(drawn["hip"], PURPLE) == hip + swatch
    taken = sum(d.adherence.taken > 0 for d in days)
    assert bars_in(drawn["adherence"], GREEN) == taken + swatch
    rides = sum(d.saddle_seated_s > 0 for d in days)
    assert rides > 0
    assert bars_in(drawn["saddle"], ORANGE) == rides + swatch
    compression = sum(d.valid and d.compression_s > 0 for d in days)
    assert bars_in(drawn["pain"], SKY) == compression  # no legend on that side
    assert f"stroke: {VERMILION.lower()}" in drawn["pain"].svg  # the pain line


def markers_in(chart: Chart, colour: str) -> int:
    """The markers drawn in ``colour`` (each a ``<use>`` of a marker's shape; the
    legend's too)."""
    return len(re.findall(rf'<use [^>]*style="[^"]*stroke: {colour.lower()}', chart.svg))


def line_points(chart: Chart, colour: str, width: str = "") -> list[int]:
    """The number of points of each line stroked in ``colour``."""
    return [
        d.count("L") + 1
        for d, style in re.findall(r'<path d="([^"]*)"[^>]*style="([^"]*)"', chart.svg)
        if style.startswith("fill: none")
        and f"stroke: {colour.lower()}" in style
        and width in style
    ]


def test_every_chart_has_its_lines_markers_ticks_and_legend(rev: Review) -> None:
    drawn = {c.key: c for c in charts(rev)}
    days = rev.days
    n = len(days)
    assert n == 21
    for c in drawn.values():
        assert c.svg.count('<g class="yticks">') >= 1, c.key
        assert c.svg.count('<g class="xticks">') >= 1, c.key
        assert c.svg.count('<g class="legend">') == 1, c.key
    # daily: the dashed threshold across the axes (and in the legend)
    assert len(line_points(drawn["daily"], VERMILION)) == 2
    # hip: the dose line through every day, a marker on each (and the legend's)
    assert n in line_points(drawn["hip"], INK, "stroke-width: 0.9")
    assert markers_in(drawn["hip"], INK) == n + 1
    # adherence: a diamond per day for the breaks without a prompt, crosses for snoozes
    assert markers_in(drawn["adherence"], BLUE) == n + 1
    snoozing = sum(d.adherence.snoozed > 0 for d in days)
    assert snoozing > 0
    assert markers_in(drawn["adherence"], INK) == snoozing + 1
    # saddle: the longest seated bout of every ride day
    assert markers_in(drawn["saddle"], INK) == sum(d.saddle_seated_s > 0 for d in days) + 1
    # pain: a marker per morning (and per legend entry), the pain line through them
    mornings = [m for m in rev.pain.mornings if m.previous_compression_s is not None]
    pain_marks = sum(markers_in(drawn["pain"], c) for c in (BLUE, VERMILION, GREY))
    groups = 3 if any(not m.previous_valid for m in mornings) else 2
    next_mornings = sum(d.pain_next_morning is not None for d in days)
    assert pain_marks == len(mornings) + groups + next_mornings
    assert next_mornings in line_points(drawn["pain"], VERMILION)


def test_charts_are_drawn_without_matplotlib() -> None:
    """A new process draws every chart of a review and imports no matplotlib (its
    import alone cost a `sitload report` more than the whole review's drawing)."""
    loaded = modules_after(
        "from zoneinfo import ZoneInfo\n"
        "from collector.review.building import build_review\n"
        "from collector.review.charts import charts\n"
        "from collector.review.load import load_inputs\n"
        "from tests.review_store import filled_store, simulate_history\n"
        "h = simulate_history(n_days=8)\n"
        "inp = load_inputs(filled_store(h), h.user, h.first_day, h.last_day, ZoneInfo(h.tz))\n"
        "drawn = charts(build_review(inp, tz_name=h.tz, baseline=None))\n"
        "assert len(drawn) >= 5, len(drawn)\n"
    )
    assert "collector.review.charts" in loaded
    assert not {m for m in loaded if m.split(".")[0] == "matplotlib"}


def test_every_day_has_a_tick_and_its_label_under_its_bar(rev: Review) -> None:
    daily = next(c for c in charts(rev) if c.key == "daily")
    group = re.search(r'<g class="xticks"><path d="([^"]*)"[^>]*/>(.*?)</g>', daily.svg)
    assert group is not None
    marks = [float(x) for x in re.findall(r"M ([\d.]+) ", group.group(1))]
    assert len(marks) == len(rev.days) == 21
    texts = re.findall(r'<text x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', group.group(2))
    days = [t for t in texts if t[2].isdigit()]
    assert [t[2] for t in days] == [d.date[8:] for d in rev.days]
    assert [float(t[0]) for t in days] == pytest.approx(marks, abs=1e-3)
    months = [t for t in texts if not t[2].isdigit()]  # under the first day and Mondays
    assert [t[2] for t in months] == ["Mar"] * 3
    assert all(float(m[1]) > float(days[0][1]) for m in months)  # the second line
    blue = re.search(rf'<path d="([^"]*)"[^>]*style="fill: {BLUE.lower()}', daily.svg)
    assert blue is not None
    corners = [float(x) for x in re.findall(r"([\d.]+) [\d.]+", blue.group(1))]  # 4 a bar
    centres = [(corners[i] + corners[i + 2]) / 2 for i in range(0, len(corners), 4)]
    assert len(centres) == sum(d.valid and d.sitting_s > 0 for d in rev.days)
    assert all(min(abs(c - m) for m in marks) < 1e-3 for c in centres)  # each bar on a tick


def test_the_y_ticks_are_labelled_counts_with_their_grid_lines(rev: Review) -> None:
    drawn = {c.key: c for c in charts(rev)}
    for key, sides in (("daily", 1), ("hip", 2), ("pain", 3)):
        svg = drawn[key].svg
        groups = re.findall(r'<g class="yticks"><path d="([^"]*)"[^>]*/>(.*?)</g>', svg)
        assert len(groups) == sides, key  # the twins' axes on the right
        for marks_d, texts_svg in groups:
            marks = [float(y) for y in re.findall(r"M [\d.]+ ([\d.]+) ", marks_d)]
            labels = re.findall(r'<text x="[\d.]+" y="[\d.]+"[^>]*>([^<]*)</text>', texts_svg)
            assert 3 <= len(labels) == len(marks) <= 7, key
            values = [int(t) for t in labels]  # whole counts, hours, minutes
            assert values == sorted(values), key
            assert marks == sorted(marks, reverse=True), key  # up the page
    daily = drawn["daily"].svg
    grid_line = r'<path d="M [\d.]+ ([\d.]+) \nL [\d.]+ \1 \n"[^>]*stroke: #e4e4e4'
    grid = [float(y) for y in re.findall(grid_line, daily)]
    group = re.search(r'<g class="yticks"><path d="([^"]*)"', daily)
    assert group is not None
    marks = [float(y) for y in re.findall(r"M [\d.]+ ([\d.]+) ", group.group(1))]
    assert grid == pytest.approx(marks, abs=1e-3)
    assert ">hours of compression</text>" in daily


def test_every_reference_has_its_definition_once(rev: Review, other: Review) -> None:
    charts(rev)
    for review in (other, rev):  # drawn again: figures and legends as kept
        for c in charts(review):
            ids = re.findall(r' id="([^"]+)"', c.svg)
            assert len(ids) == len(set(ids)), c.key
            for ref in set(re.findall(r'(?:url\(#|href="#)([^)"]+)', c.svg)):
                assert ref in ids, (c.key, ref)


def test_text_widths_are_the_fonts() -> None:
    """The advance table gives each text the width matplotlib measured it with in the
    font itself (a tenth of a point at most at the legend's size; kerning aside)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure = TextToPath()
    prop = FontProperties(family="DejaVu Sans", size=7.5)
    for text in ("sitting", "seated riding", "low-wear day (not valid)", "12", "Mon",
                 "minutes > 90°", "dose (deg·min above 90°)", "≥ 4 h", "30–60 min"):  # fmt: skip
        width = measure.get_text_width_height_descent(text, prop, ismath=False)[0]
        assert text_width(text, 7.5) == pytest.approx(width, abs=0.1), text
