"""The review of three simulated weeks (tests/review_store.py) and its HTML page
(collector/review/html.py, charts.py, sections.py)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from zoneinfo import ZoneInfo

from analytics.review_records import Review
from collector.review.building import build_review
from collector.review.charts import charts
from collector.review.html import render_html
from collector.review.load import load_inputs
from collector.review.meta import ReportMeta
from tests.review_store import SimHistory, filled_store, simulate_history

SECTIONS = (
    "summary",
    "daily",
    "bouts",
    "longest",
    "hip",
    "adherence",
    "saddle",
    "weeks",
    "pain",
    "days",
    "methods",
)


def test_the_review_matches_the_simulated_truth(history: SimHistory, rev: Review) -> None:
    assert [d.date for d in rev.days] == [d.date.isoformat() for d in history.days]
    for day, sim in zip(rev.days, history.days, strict=True):
        assert day.compression_s == sim.compression_s, day.date
        assert day.wear_s == sim.wear_s, day.date
        assert day.valid == (sim.kind != "low_wear")
        assert day.high_compression == (sim.kind == "heavy")
        assert (day.saddle_seated_s > 0) == (sim.kind == "ride")
    sources = Counter(d.adherence.source for d in rev.days)
    assert sources == {"daily": 18, "counted": 3}
    heavy = [d.date for d in history.days if d.kind == "heavy"]
    assert len(heavy) == 5
    assert rev.pain.baseline == 2
    assert rev.pain.above == rev.pain.above_after_high == rev.pain.after_high == 5
    assert rev.flags[0].text.startswith(
        "5 of 5 mornings with pain above baseline (2/10, the median of the mornings) "
        "followed days with > 6 h compression."
    )
    assert rev.pain.correlation is not None
    assert rev.pain.correlation.rho > 0.6
    flagged = [w.change.week_start.isoformat() for w in rev.weeks if w.change.flagged]
    assert flagged == ["2026-03-09"]


# --------------------------------------------------------------------------- html


def test_the_page_has_every_section_in_order(page: str) -> None:
    positions = [page.index(f'<section id="{key}"') for key in SECTIONS]
    assert positions == sorted(positions)
    for key in SECTIONS[1:]:
        assert f'href="#{key}"' in page  # the table of contents


def test_the_page_is_self_contained(page: str) -> None:
    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page
    assert "<link" not in page
    assert "@import" not in page
    assert "url(" not in page.replace("url(#", "")  # only references inside the page
    assert re.search(r"\bsrc=", page) is None
    assert "@font-face" not in page


def test_the_page_charts_are_inline_svg_with_text_equivalents(page: str, rev: Review) -> None:
    assert page.count("<svg") == 6  # daily, bouts, hip, adherence, saddle, pain
    assert page.count("</svg>") == 6
    svgs = re.findall(r"<svg[^>]*>", page)
    assert all('role="img"' in s and "aria-labelledby=" in s for s in svgs)
    assert page.count("<figcaption>") == 6
    titles = re.findall(r'<title id="([^"]+)-title">([^<]+)</title>', page)
    assert [k for k, _ in titles] == ["daily", "bouts", "hip", "adherence", "saddle", "pain"]
    assert all(len(alt) > 40 for _, alt in titles)
    ids = re.findall(r'\bid="([^"]+)"', page)
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert dupes == []  # ids from the six SVGs do not collide
    for ref in set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', page)):
        target = ref[0] or ref[1]
        assert target in ids, target


def test_the_page_reads_in_two_minutes(page: str, rev: Review, meta: ReportMeta) -> None:
    head = page[: page.index('<section id="daily"')]
    assert "p-0042" in head
    assert "Mon 02 Mar 2026 – Sun 22 Mar 2026" in head
    assert "generated 2026-03-23 09:30 GMT" in head
    assert "sitload 9.9.9" in head
    flags = re.findall(r'<li class="flag (alert|note)">(.*?)</li>', head)
    assert len(flags) == len(rev.flags)
    levels = [lvl for lvl, _ in flags]
    assert levels == sorted(levels)  # "alert" before "note"
    assert "5 of 5 mornings with pain above baseline" in flags[0][1]
    assert "followed days with &gt; 6 h compression" in flags[0][1]
    assert "No data" not in head


def test_the_page_tables_have_headers(page: str) -> None:
    tables = page.count("<table")
    assert tables >= 6
    assert page.count("<caption>") == tables
    assert page.count("<thead>") == tables
    assert 'scope="col"' in page
    assert 'scope="row"' in page


def test_the_page_prints_on_a4(page: str) -> None:
    assert "@page{size:A4" in page
    assert "@media print" in page
    assert "section{break-before:page" in page
    assert "figure,svg.chart" in page  # never split a chart
    assert "thead{display:table-header-group}" in page


def test_the_pain_table_marks_mornings_above_baseline(page: str) -> None:
    pain = page[page.index('<section id="pain"') : page.index('<section id="days"')]
    assert pain.count('<tr class="flagged">') == 5
    assert "Baseline 2/10 (the median of the morning scores)" in pain
    assert "Spearman ρ = +" in pain


def test_no_saddle_section_without_riding(meta: ReportMeta) -> None:
    h = simulate_history(n_days=5, plan=["desk", "heavy", "desk", "desk", "rest"])
    inp = load_inputs(filled_store(h), h.user, h.first_day, h.last_day, ZoneInfo(h.tz))
    r = build_review(inp, tz_name=h.tz, baseline=None)
    html = render_html(r, meta)
    assert not r.any_riding
    assert html.count("<svg") == 5
    assert '<section id="saddle"' not in html
    assert 'href="#saddle"' not in html


def test_a_range_without_data_says_so(history: SimHistory, meta: ReportMeta) -> None:
    zone = ZoneInfo(history.tz)
    inp = load_inputs(
        filled_store(history), history.user, dt.date(2025, 1, 6), dt.date(2025, 1, 12), zone
    )
    assert inp.empty
    r = build_review(inp, tz_name=history.tz, baseline=None)
    html = render_html(r, meta)
    assert '<div class="banner" role="alert"><strong>No data.</strong>' in html
    assert html.count("<svg") == 4  # no adherence chart without alerts
    assert "No stand-prompt data in this range" in html


def test_charts_are_drawn_once_and_can_be_reused(rev: Review, meta: ReportMeta) -> None:
    drawn = charts(rev)
    assert [c.key for c in drawn] == ["daily", "bouts", "hip", "adherence", "saddle", "pain"]
    assert render_html(rev, meta, drawn).count("<svg") == 6


# --------------------------------------------------------------------------- exports
