"""``sitload analyze`` of recordings whose clock jumps (issue 16, finding 1): memory
follows the data, never the time span; each segment is analysed, one warning names
the row of each jump.

Files with a jump are analysed in a child process with a memory limit, so that a
regression fails the test instead of exhausting the machine."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analytics.records import Recording
from collector.cli import main
from collector.recordings import write_recording
from collector.sources.simulator import simulate

LIMIT_BYTES = 2 << 30
"""Address space for the child: the interpreter, numpy and pyarrow fit easily; the
per-second arrays of a 3·10⁹ s span (22 GiB for one of them) do not."""
HEADER = "t_s,thigh_ax_g,thigh_ay_g,thigh_az_g\n"


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def analyze_limited(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "collector.cli", "analyze", *args],
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=_limited,
        timeout=300,
        check=False,
    )


def test_the_reported_file_is_one_clear_message_within_bounded_memory(tmp_path: Path) -> None:
    """The reproduction of the issue: 2,000 rows, t_s jumps by 3·10⁹ s half-way."""
    rows = [
        f"{(i * 0.02 if i < 1000 else 3e9 + i * 0.02)!r},{1 + 0.01 * np.sin(i)},0.01,0.02\n"
        for i in range(2000)
    ]
    path = tmp_path / "jump.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    done = analyze_limited(str(path))
    assert "Traceback" not in done.stderr
    assert "MemoryError" not in done.stderr
    assert done.returncode == 2, done.stderr
    # 20 s of a motionless sensor: nothing to calibrate from, said in one line
    assert "calibrate" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def _uptime_then_unix(half_h: float = 0.25) -> tuple[Recording, int]:
    """A 30-minute desk recording whose clock switches from device uptime (seconds
    since power-on) to Unix time half-way; returns it and the first Unix sample."""
    rec = simulate("desk", 2 * half_h, seed=12).recording
    half = int(np.searchsorted(rec.t_s, rec.t_s[0] + half_h * 3600))
    t = rec.t_s.copy()
    t[:half] = t[:half] - rec.t_s[0] + 37.5  # uptime: 37.5 s after power-on
    return Recording(t_s=t, thigh_acc_g=rec.thigh_acc_g, trunk_acc_g=rec.trunk_acc_g), half


@pytest.fixture(scope="module")
def switch_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    rec, half = _uptime_then_unix()
    path = tmp_path_factory.mktemp("jump") / "switch.csv"
    write_recording(rec, path)
    return path, half


def test_a_clock_switch_half_way_is_analysed_as_two_segments(
    switch_csv: tuple[Path, int],
) -> None:
    path, half = switch_csv
    done = analyze_limited(str(path), "--json", "--tz", "UTC")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    first, second = doc["segments"]
    row = half + 3  # a comment line and the header before the first sample
    assert first["first_row"] == 3
    assert second["first_row"] == row
    assert first["t_first_s"] == 37.5
    assert second["jump_before_s"] > 1e9
    (warning,) = [w for w in doc["warnings"] if "clock jumps" in w]
    assert f"row {row}:" in warning
    assert "forward" in warning
    # each segment on its own day table; the summary covers both
    assert [d["date"] for d in first["days"]] == ["1970-01-01"]
    assert second["days"][0]["date"] >= "2025-01-01"
    total = doc["summary"]
    assert total["duration_s"] == first["summary"]["duration_s"] + second["summary"]["duration_s"]
    assert 1700 <= total["duration_s"] <= 1802
    assert total["wear_s"] > 1500
    # one calibration for both: the sensors did not move when the clock changed
    assert first["calibration"] == second["calibration"]


def test_the_table_shows_each_segment_and_the_warning(switch_csv: tuple[Path, int]) -> None:
    path, half = switch_csv
    done = analyze_limited(str(path), "--tz", "UTC")
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert "segment 1 of 2" in out
    assert "segment 2 of 2" in out
    assert "all 2 segments" in out
    assert f"row {half + 3}: the clock jumps forward by" in out


def test_the_timeline_holds_both_segments(switch_csv: tuple[Path, int], tmp_path: Path) -> None:
    path, _ = switch_csv
    out = tmp_path / "tl.csv"
    assert analyze_limited(str(path), "--timeline", str(out)).returncode == 0
    t = np.array([int(line.split(",")[0]) for line in out.read_text().splitlines()[1:]])
    steps = np.diff(t)
    assert np.count_nonzero(steps != 1) == 1
    assert steps.max() > 1e9


def test_a_parquet_file_names_the_record(tmp_path: Path) -> None:
    rec, half = _uptime_then_unix()
    path = tmp_path / "switch.parquet"
    write_recording(rec, path)
    done = analyze_limited(str(path), "--json", "--tz", "UTC")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [s["first_record"] for s in doc["segments"]] == [1, half + 1]
    assert any(f"record {half + 1}: the clock jumps" in w for w in doc["warnings"])


def test_a_pause_is_a_gap_unless_longer_than_the_limit(tmp_path: Path) -> None:
    """Two hours off (say, lunch and a meeting without the sensor) stay one segment;
    with --max-time-jump-s 3600 they are a clock change."""
    rec = simulate("desk", 1.0, seed=4).recording
    half = rec.n // 2
    t = rec.t_s.copy()
    t[half:] += 2 * 3600.0
    path = tmp_path / "pause.csv"
    write_recording(
        Recording(t_s=t, thigh_acc_g=rec.thigh_acc_g, trunk_acc_g=rec.trunk_acc_g), path
    )
    runner = CliRunner()
    default = json.loads(runner.invoke(main, ["analyze", str(path), "--json"]).stdout)
    assert "segments" not in default
    assert default["summary"]["nonwear_s"] >= 2 * 3600
    split = runner.invoke(main, ["analyze", str(path), "--json", "--max-time-jump-s", "3600"])
    assert split.exit_code == 0, split.output
    assert len(json.loads(split.stdout)["segments"]) == 2


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_a_limit_that_is_no_time_is_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / "r.csv"
    path.write_text(HEADER + "0,1,0,0\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", str(path), "--max-time-jump-s", value])
    assert result.exit_code == 2
    assert "--max-time-jump-s" in result.stderr
