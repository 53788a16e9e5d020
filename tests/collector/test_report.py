"""`sitload report`: loading a range from a history store, the HTML page, the JSON and
CSV exports and the command line, on three simulated weeks (tests/review_store.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

from analytics.live import DATA_NONE, DATA_OK
from analytics.records import Posture
from analytics.review import Review
from collector.review import command
from collector.review.command import build_review, report_cmd
from collector.review.export import CSV_COLUMNS, SCHEMA, render_csv, render_json, review_dict
from collector.review.html import charts, render_html
from collector.review.load import ReviewInputs, load_inputs
from collector.review.meta import ReportMeta
from collector.sinks.history.model import TimelineChunk
from tests.review_store import MemoryStore, SimHistory, filled_store, simulate_history

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


@pytest.fixture(scope="module")
def history() -> SimHistory:
    return simulate_history()  # 21 days from Monday 2026-03-02, Europe/London


@pytest.fixture(scope="module")
def inputs(history: SimHistory) -> ReviewInputs:
    store = filled_store(history)
    return load_inputs(
        store, history.user, history.first_day, history.last_day, ZoneInfo(history.tz)
    )


@pytest.fixture(scope="module")
def rev(history: SimHistory, inputs: ReviewInputs) -> Review:
    return build_review(inputs, tz_name=history.tz, baseline=None)


@pytest.fixture(scope="module")
def meta(history: SimHistory) -> ReportMeta:
    return ReportMeta(
        history.user,
        dt.datetime(2026, 3, 23, 9, 30, tzinfo=ZoneInfo(history.tz)),
        "9.9.9",
        "memory",
    )


@pytest.fixture(scope="module")
def page(rev: Review, meta: ReportMeta) -> str:
    return render_html(rev, meta)


# --------------------------------------------------------------------------- load


def test_load_reads_the_range_a_week_at_a_time_with_the_day_before(
    history: SimHistory, inputs: ReviewInputs
) -> None:
    zone = ZoneInfo(history.tz)
    store = filled_store(history)
    got = load_inputs(store, history.user, history.first_day, history.last_day, zone)
    assert store.timeline_reads == 4  # 21 days + the day before, 7 days a read
    tl = got.timeline
    assert tl.t0_s == dt.datetime(2026, 3, 1, tzinfo=zone).timestamp()
    assert tl.n == 22 * 86_400
    assert (tl.posture[:86_400] == Posture.NONWEAR).all()  # the day before: no data
    expected = np.concatenate([d.posture for d in history.days])
    assert np.array_equal(tl.posture[86_400:], expected)
    assert got.wear_s() == sum(d.wear_s for d in history.days)
    assert {a.source for a in got.alerts} == {"alert"}
    assert len(got.daily) == 21 - 3
    mornings = [p for p in got.pain if p.when == "morning"]
    assert len(mornings) == 22  # the morning after the last day answers for it
    assert not got.empty


def test_seconds_without_data_are_non_wear(history: SimHistory) -> None:
    zone = ZoneInfo(history.tz)
    day = dt.date(2026, 3, 2)
    t0 = int(dt.datetime(2026, 3, 2, 9, tzinfo=zone).timestamp())
    posture = np.full(3600, Posture.SITTING, dtype=np.int8)
    data = np.full(3600, DATA_OK, dtype=np.int8)
    data[:600] = DATA_NONE  # the store kept a posture, but no sample came
    store = MemoryStore()
    store.write([TimelineChunk("u1", t0, posture, np.full(3600, 95.0), data)])
    got = load_inputs(store, "u1", day, day, zone)
    lo = t0 - got.timeline.t0_s
    seg = got.timeline.posture[lo : lo + 3600]
    assert (seg[:600] == Posture.NONWEAR).all()
    assert (seg[600:] == Posture.SITTING).all()
    assert np.isnan(got.timeline.hip_flexion_deg[lo : lo + 600]).all()
    assert got.wear_s() == 3000


def test_a_progress_bar_on_a_terminal(history: SimHistory) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80)
    store = filled_store(history)
    got = load_inputs(
        store,
        history.user,
        history.first_day,
        history.last_day,
        ZoneInfo(history.tz),
        progress=True,
        console=console,
    )
    assert got.timeline.n == 22 * 86_400
    assert "reading history" in out.getvalue()


def test_load_rejects_an_inverted_range(history: SimHistory) -> None:
    with pytest.raises(ValueError, match="before"):
        load_inputs(
            MemoryStore(), "u", dt.date(2026, 3, 5), dt.date(2026, 3, 4), ZoneInfo(history.tz)
        )


# --------------------------------------------------------------------------- review


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


def test_json_is_one_object_with_everything(rev: Review, meta: ReportMeta) -> None:
    doc = json.loads(render_json(rev, meta))
    assert doc == review_dict(rev, meta)
    assert doc["schema"] == SCHEMA
    assert (doc["user"], doc["first_day"], doc["last_day"]) == (
        "p-0042",
        "2026-03-02",
        "2026-03-22",
    )
    assert doc["time_zone"] == "Europe/London"
    assert doc["generated_at"] == "2026-03-23T09:30:00+00:00"
    assert len(doc["days"]) == 21
    assert len(doc["pain"]["mornings"]) == 22
    assert doc["flags"][0]["kind"] == "pain"
    assert doc["days"][0]["adherence"]["source"] == "daily"
    assert doc["bout_bins"]["labels"] == ["<30min", "30-60min", "1-2h", "2-4h", ">=4h"]
    assert [w["flagged"] for w in doc["weeks"]] == [False, True, False]
    assert doc["weeks"][0]["week_start"] == "2026-03-02"
    assert doc["totals"]["valid_days"] == 20
    assert doc["any_riding"] is True


def test_csv_is_the_per_day_table(history: SimHistory, rev: Review) -> None:
    text = render_csv(rev)
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 1 + 21
    body = [dict(zip(CSV_COLUMNS, r, strict=True)) for r in rows[1:]]
    for row, sim in zip(body, history.days, strict=True):
        assert row["date"] == sim.date.isoformat()
        assert float(row["compression_min"]) == pytest.approx(sim.compression_s / 60, abs=0.05)
        assert row["valid"] == ("false" if sim.kind == "low_wear" else "true")
    tue = body[8]  # 2026-03-10, heavy
    assert (tue["high_compression"], tue["pain_next_morning"], tue["pain_next_above_baseline"]) == (
        "true",
        "5",
        "true",
    )
    assert body[-1]["adherence_source"] == "counted"


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def fake_history(
    history: SimHistory, monkeypatch: pytest.MonkeyPatch
) -> tuple[MemoryStore, list[str]]:
    store = filled_store(history)
    urls: list[str] = []

    def fake_open(url: str) -> MemoryStore:
        urls.append(url)
        return store

    monkeypatch.setattr(command, "open_history", fake_open)
    return store, urls


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(report_cmd, list(args))
    return result.exit_code, result.stdout, result.stderr


def base_args(out: Path, *more: str) -> list[str]:
    return [
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-22",
        "--user",
        "p-0042",
        "--tz",
        "Europe/London",
        "--out",
        str(out),
        *more,
    ]


def test_cli_writes_the_html_report(
    tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]
) -> None:
    store, _ = fake_history
    out = tmp_path / "review.html"
    code, stdout, stderr = invoke(*base_args(out))
    assert code == 0, stderr
    assert stdout.startswith(f"wrote {out} (html, 21 days,")
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 6
    assert "5 of 5 mornings with pain above baseline" in html
    assert store.closed


def test_cli_json_and_csv(tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]) -> None:
    code, _, err = invoke(*base_args(tmp_path / "r.json", "--format", "json"))
    assert code == 0, err
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert doc["user"] == "p-0042"
    assert len(doc["days"]) == 21
    code, _, err = invoke(*base_args(tmp_path / "r.csv", "--format", "csv"))
    assert code == 0, err
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert len(lines) == 22


def test_cli_baseline_option(tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]) -> None:
    out = tmp_path / "r.json"
    assert invoke(*base_args(out, "--format", "json", "--baseline", "5"))[0] == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert (doc["pain"]["baseline"], doc["pain"]["baseline_source"]) == (5.0, "given")
    assert doc["pain"]["above"] == 0
    code, _, err = invoke(*base_args(out, "--baseline", "11"))
    assert code == 2
    assert "--baseline" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-3-2"], "--from '2026-3-2': expected a date as YYYY-MM-DD"),
        (["--to", "2026-02-30"], "--to '2026-02-30': day is out of range for month"),
        (["--from", "2026-03-10", "--to", "2026-03-09"], "--to 2026-03-09 is before --from"),
        (["--from", "2024-01-01", "--to", "2026-03-09"], "one report covers at most 366"),
        (["--tz", "Mars/Olympus"], "--tz 'Mars/Olympus': unknown time zone"),
        (["--user", "nobody"], "unknown user 'nobody'; the history has: p-0042"),
        (["--user", "bad id!"], "--user: "),
    ],
)
def test_cli_errors_exit_2(
    tmp_path: Path,
    fake_history: tuple[MemoryStore, list[str]],
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "r.html"
    full = base_args(out)
    for i in range(0, len(args), 2):  # replace the option's value
        k = full.index(args[i])
        full[k + 1] = args[i + 1]
    code, _, stderr = invoke(*full)
    assert code == 2
    assert stderr.startswith("sitload: error: ")
    assert message in stderr
    assert not out.exists()


def test_cli_cannot_write_the_report(
    tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]
) -> None:
    code, _, stderr = invoke(*base_args(tmp_path / "missing" / "r.html"))
    assert code == 2
    assert "cannot write the report" in stderr


def test_cli_no_data_in_range_writes_a_report_saying_so(
    tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]
) -> None:
    out = tmp_path / "r.html"
    args = base_args(out)
    args[1], args[3] = "2025-01-06", "2025-01-12"
    code, _, stderr = invoke(*args)
    assert code == 0
    assert "no sensor data for user p-0042 from 2025-01-06 to 2025-01-12" in stderr
    assert "No data." in out.read_text(encoding="utf-8")


def test_cli_defaults_come_from_the_config(
    tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]
) -> None:
    _, urls = fake_history
    cfg = tmp_path / "sitload.toml"
    db = tmp_path / "history.db"
    cfg.write_text(
        f'[user]\nid = "p-0042"\ntimezone = "Europe/London"\n\n[history]\nurl = "sqlite:///{db}"\n',
        encoding="utf-8",
    )
    out = tmp_path / "r.json"
    code, _, err = invoke(
        "--from", "2026-03-02", "--to", "2026-03-08", "--config", str(cfg), "--out", str(out),
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    assert urls == [f"sqlite:///{str(db).lstrip('/')}"]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert (doc["user"], doc["time_zone"], len(doc["days"])) == ("p-0042", "Europe/London", 7)
    other = tmp_path / "other.db"
    code, _, err = invoke(*base_args(out, "--config", str(cfg), "--history", f"sqlite://{other}"))
    assert code == 0, err
    assert urls[-1] == f"sqlite:///{str(other).lstrip('/')}"


def test_cli_bad_config_and_history_urls(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, _, stderr = invoke(*base_args(out, "--history", "ftp://somewhere"))
    assert code == 2
    assert "unknown history store" in stderr
    code, _, stderr = invoke(*base_args(out, "--history", f"sqlite://{tmp_path}/none.db"))
    assert code == 2
    assert f"no history database at {tmp_path}/none.db" in stderr
    assert not (tmp_path / "none.db").exists()  # a report never creates a database
    bad = tmp_path / "bad.toml"
    bad.write_text("[user]\nid = 3\n", encoding="utf-8")
    code, _, stderr = invoke(*base_args(out, "--config", str(bad)))
    assert code == 2
    assert "user.id" in stderr


def test_cli_on_a_real_sqlite_history(tmp_path: Path, history: SimHistory) -> None:
    from collector.sinks.history import sqlite_store

    db = tmp_path / "history.db"
    store = sqlite_store.SqliteStore(db)
    try:
        store.write(history.records)
    finally:
        store.close()
    out = tmp_path / "r.json"
    code, _, err = invoke(*base_args(out, "--history", f"sqlite://{db}", "--format", "json"))
    assert code == 0, err
    doc = json.loads(out.read_text(encoding="utf-8"))
    by_date = {d["date"]: d for d in doc["days"]}
    for sim in history.days:
        assert by_date[sim.date.isoformat()]["compression_s"] == sim.compression_s
    assert doc["pain"]["above"] == 5
