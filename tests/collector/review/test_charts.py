"""The review's charts (collector/review/charts.py, chart_kit.py, svg_canvas.py): every
chart is there and shows its data, and a process drawing many reviews (the clinic)
draws each chart on the figure it made for the first review, measuring each text
once, with the same SVG as a new figure gives."""

from __future__ import annotations

import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from matplotlib.textpath import TextToPath

from analytics.review_records import Review
from collector.review import chart_kit
from collector.review.building import build_review
from collector.review.chart_kit import BLUE, GREEN, ORANGE, PURPLE, SKY, VERMILION, Chart
from collector.review.charts import charts
from collector.review.load import load_inputs
from tests.review_store import filled_store, simulate_history

KEYS = ["daily", "bouts", "hip", "adherence", "saddle", "pain"]


@pytest.fixture(autouse=True)
def _new_figures() -> Iterator[None]:
    chart_kit.forget_frames()
    yield
    chart_kit.forget_frames()


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


def test_the_next_review_is_drawn_on_the_same_figures(
    rev: Review, other: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[object] = []

    class Counted(chart_kit.Figure):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            made.append(self)

    monkeypatch.setattr(chart_kit, "Figure", Counted)
    charts(rev)
    assert len(made) == 6
    charts(other)
    charts(rev)
    assert len(made) == 6


def test_reused_figures_draw_what_new_figures_draw(rev: Review, other: Review) -> None:
    fresh = [drawing(c) for c in charts(other)]
    chart_kit.forget_frames()
    first = [drawing(c) for c in charts(rev)]
    assert [drawing(c) for c in charts(other)] == fresh  # nothing of the first review left
    again = charts(rev)  # the legends as kept
    assert [drawing(c) for c in again] == first
    assert [c.svg.count("<text") for c in again] == [t.count("<text") for t in first]
    chart_kit.forget_frames()
    assert [drawing(c) for c in charts(rev)] == first
    assert len(fresh) == 5  # no saddle chart without riding


def test_each_text_is_measured_once_per_process(
    rev: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured: list[str] = []
    measure = TextToPath.get_text_width_height_descent

    def counting(self: TextToPath, s: str, prop: object, ismath: object) -> object:
        measured.append(s)
        return measure(self, s, prop, ismath)  # type: ignore[arg-type]

    monkeypatch.setattr(TextToPath, "get_text_width_height_descent", counting)
    first = charts(rev)
    assert measured
    measured.clear()
    again = charts(rev)
    assert measured == []
    assert [drawing(c) for c in again] == [drawing(c) for c in first]


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
