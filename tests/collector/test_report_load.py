"""`sitload report` reads a range from a history store (collector/review/load.py)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from rich.console import Console

from analytics.live import DATA_NONE, DATA_OK
from analytics.records import Posture
from collector.review.load import ReviewInputs, load_inputs
from collector.sinks.history.model import TimelineChunk
from tests.review_store import MemoryStore, SimHistory, filled_store

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


def test_a_cold_json_report_imports_no_progress_bar_or_chart_library(tmp_path: Path) -> None:
    # issue 14: a report that shows no progress bar does not pay for importing rich
    from tests.collector.cli.test_cli_startup import loaded_after, run_main
    from tests.review_store import simulate_history, sqlite_history

    history = simulate_history(n_days=3)
    sqlite_history(history, tmp_path / "h.db")
    loaded = loaded_after(
        run_main(
            "report", "--user", history.user, "--tz", history.tz, "--format", "json",
            "--from", history.first_day.isoformat(), "--to", history.last_day.isoformat(),
            "--history", f"sqlite:///{tmp_path / 'h.db'}", "--out", str(tmp_path / "r.json"),
        )
    )  # fmt: skip
    assert (tmp_path / "r.json").stat().st_size > 0
    assert "analytics" in loaded
    assert not loaded & {"rich", "matplotlib", "influxdb_client"}, sorted(loaded)


def test_a_cold_html_report_imports_no_settings_schema_or_chart_library(tmp_path: Path) -> None:
    """issue 14: `sitload report` (the HTML page, its charts) in a new process on the
    default settings imports neither pydantic (the config file's schema; there is no
    file) nor matplotlib (the charts are written straight as SVG)."""
    import json
    import os
    import subprocess
    import sys

    from tests.collector.cli.test_cli_startup import REPO, run_main
    from tests.review_store import simulate_history, sqlite_history

    history = simulate_history(n_days=3)
    sqlite_history(history, tmp_path / "h.db")
    out = tmp_path / "r.html"
    code = run_main(
        "report", "--user", history.user, "--tz", history.tz,
        "--from", history.first_day.isoformat(), "--to", history.last_day.isoformat(),
        "--history", f"sqlite:///{tmp_path / 'h.db'}", "--out", str(out),
    )  # fmt: skip
    code += "import json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # no config file
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHONPATH": str(REPO),
    }
    env.pop("SITLOAD_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert out.read_text(encoding="utf-8").count("<svg") >= 5
    assert "analytics" in loaded
    assert not loaded & {"pydantic", "pydantic_core", "matplotlib"}, sorted(loaded)
