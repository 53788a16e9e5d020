from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analytics.records import POSTURE_WORDS, Posture
from analytics.summary import agreement
from collector.cli import main
from collector.recordings import write_recording
from collector.sources.simulator import simulate
from collector.timeline_io import read_timeline


@pytest.fixture(scope="module")
def desk_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "desk.csv"
    sim = simulate("desk", 1.5, seed=21, fs_hz=25.0)
    write_recording(sim.recording, path)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_timeline_csv_has_the_exact_format(desk_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "timeline.csv"
    code, stdout, _ = run("analyze", str(desk_file), "--timeline", str(out))
    assert code == 0
    assert stdout == ""
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "t_s,posture,hip_flexion_deg"
    rows = list(csv.reader(lines[1:]))
    t = [int(r[0]) for r in rows]  # integers, not floats
    assert all(r[0] == str(int(r[0])) for r in rows)
    assert np.all(np.diff(t) == 1)
    assert {r[1] for r in rows} <= set(POSTURE_WORDS)
    for r in rows:
        if r[1] == "nonwear":
            assert r[2] == ""
        else:
            assert r[2] == f"{float(r[2]):.1f}"
    data = [ln for ln in desk_file.read_text(encoding="utf-8").splitlines() if ln[:1] != "#"]
    first_t = float(data[1].split(",")[0])
    assert t[0] == int(np.floor(first_t))  # the input's own time base


def test_timeline_matches_the_simulators_truth(desk_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "timeline.csv"
    assert run("analyze", str(desk_file), "--timeline", str(out))[0] == 0
    truth = simulate("desk", 1.5, seed=21, fs_hz=25.0).truth
    agree, err = agreement(read_timeline(out), truth)
    assert agree > 0.97
    assert abs(err) < 0.02


REQUIRED_KEYS = (
    "wear_s",
    "sitting_s",
    "upright_s",
    "lying_s",
    "nonwear_s",
    "riding_seated_s",
    "sit_to_stand",
    "sitting_bouts_gt30min",
    "sitting_bouts_gt60min",
    "sitting_time_in_bouts_gt30min_s",
    "longest_sitting_bout_s",
    "compression_bouts",
    "breaks_taken",
    "micro_breaks",
    "hip_flexion_gt90_s",
    "hip_flexion_dose_gt90_deg_min",
)


def test_json_output(desk_file: Path) -> None:
    code, stdout, _ = run("analyze", str(desk_file), "--json", "--tz", "Europe/Paris")
    assert code == 0
    doc = json.loads(stdout)
    total = doc["total"]
    for key in REQUIRED_KEYS:
        assert key in total, key
        for day in doc["days"]:
            assert key in day, key
    assert all(day["date"] for day in doc["days"])
    assert total["wear_s"] + total["nonwear_s"] == pytest.approx(doc["summary"]["duration_s"])
    parts = ("sitting_s", "upright_s", "lying_s", "riding_seated_s", "riding_standing_s")
    assert total["wear_s"] == pytest.approx(sum(total[k] for k in parts))
    assert sum(d["sitting_s"] for d in doc["days"]) == pytest.approx(total["sitting_s"])
    assert total["compression_bouts"] == len(doc["bouts"])
    assert doc["calibration"]["source"] == "auto"
    assert doc["hip_flexion"] == "trunk-thigh angle"
    assert doc["time_zone"] == "Europe/Paris"


def test_bad_time_zone_is_a_usage_error(desk_file: Path) -> None:
    code, _, stderr = run("analyze", str(desk_file), "--tz", "Mars/Olympus")
    assert code == 2
    assert "Mars/Olympus" in stderr


def test_plain_summary_is_readable(desk_file: Path) -> None:
    code, stdout, _ = run("analyze", str(desk_file))
    assert code == 0
    assert "sitting" in stdout
    assert "hip flexion > 90°" in stdout
    assert "calibration: auto" in stdout


def test_simulate_writes_recording_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "ride.csv"
    code, stdout, _ = run(
        "simulate", "--profile", "cyclist", "--hours", "0.5", "--seed", "4", "--out", str(out)
    )
    assert code == 0, stdout
    truth = tmp_path / "ride.truth.csv"
    assert truth.read_text(encoding="utf-8").startswith("t_s,posture,hip_flexion_deg\n")
    tl = read_timeline(truth)
    assert tl.seconds_in(Posture.RIDING_SEATED) > 0
    header = next(ln for ln in out.read_text(encoding="utf-8").splitlines() if ln[:1] != "#")
    assert "cadence_rpm" in header.split(",")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "t_s,thigh_ax_g,thigh_ay_g,thigh_az_g\n"
GOOD = "0.0,1,0,0\n0.1,1,0,0\n"


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        ("t_s,thigh_ax_g,thigh_ay_g\n0,1,0\n", r"thigh_az_g"),
        (HEADER + GOOD + "0.2,1,nan,0\n", r"row 4.*thigh_ay_g"),
        (HEADER + GOOD + "0.2,1,abc,0\n", r"row 4.*thigh_ay_g"),
        (HEADER + GOOD + "0.05,1,0,0\n", r"row 4"),
        (HEADER + GOOD + "0.1,1,0,0\n", r"row 4"),
        ("", r"empty"),
        (HEADER, r"no data|no samples|header"),
        (HEADER + GOOD + "0.2,1,0\n", r"row 4"),
        ("hello world\n", r"csv|wisdm|parquet"),
    ],
    ids=[
        "missing-column",
        "nan",
        "not-a-number",
        "time-backwards",
        "time-repeats",
        "empty",
        "header-only",
        "truncated",
        "unknown-format",
    ],
)
def test_bad_input_is_one_clear_error_and_exit_2(tmp_path: Path, content: str, expect: str) -> None:
    path = write(tmp_path / "bad.csv", content)
    code, stdout, stderr = run("analyze", str(path))
    assert code == 2
    assert stdout == ""
    message = stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert str(path) in message
    assert re.search(expect, message, re.IGNORECASE), message


def test_missing_file_and_directory_exit_2(tmp_path: Path) -> None:
    code, _, stderr = run("analyze", str(tmp_path / "nope.csv"))
    assert code == 2
    assert "nope.csv" in stderr
    code, _, stderr = run("analyze", str(tmp_path))
    assert code == 2
    assert str(tmp_path) in stderr


def test_recording_without_walking_or_standing_says_how_to_calibrate(tmp_path: Path) -> None:
    t = np.arange(0, 600, 0.1)
    rows = "".join(f"{x:.1f},0.05,0.99,0.1\n" for x in t)
    path = write(tmp_path / "sitting.csv", HEADER + rows)
    code, _, stderr = run("analyze", str(path))
    assert code == 2
    assert "calibrate" in stderr
    assert str(path) in stderr


def test_bad_seat_layout_option(desk_file: Path) -> None:
    code, _, stderr = run("analyze", str(desk_file), "--seat-layout", "eight")
    assert code == 2
    assert "ROWSxCOLUMNS" in stderr


def test_demo_runs(tmp_path: Path) -> None:
    code, stdout, _ = run("demo", "--hours", "0.5")
    assert code == 0, stdout
    assert "agreement" in stdout
    assert "saddle" not in stdout  # a desk day has no rides


def test_a_cyclist_demo_shows_the_saddle() -> None:
    code, stdout, _ = run("demo", "--profile", "cyclist", "--hours", "2")
    assert code == 0, stdout
    assert "cyclist-day (simulated)" in stdout
    for line in ("rides", "on the saddle (seated riding)", "stands / per hour"):
        assert line in stdout


def test_console_script_is_installed() -> None:
    exe = shutil.which("sitload", path=str(Path(sys.executable).parent))
    assert exe is not None, "pip install -e . should install the sitload console script"
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    for command in ("analyze", "simulate", "demo"):
        assert command in done.stdout


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "activpal"


@pytest.mark.parametrize("name", ["Test_Events_excerpt.csv", "Test2-EventsEx_excerpt.csv"])
def test_activpal_exports_give_the_same_summaries(name: str, tmp_path: Path) -> None:
    path = FIXTURES / name
    code, stdout, _ = run("analyze", str(path), "--json", "--period-hours", "2")
    assert code == 0
    doc = json.loads(stdout)
    assert doc["time_zone"] == "local clock of the file"
    for key in REQUIRED_KEYS:
        assert key in doc["total"]
    assert doc["total"]["steps"] > 0
    assert doc["total"]["stepping_s"] > 0  # activPAL says which upright time was stepping
    assert all(p["label"].endswith(("00", "30")) for p in doc["periods"])
    out = tmp_path / "t.csv"
    assert run("analyze", str(path), "--timeline", str(out))[0] == 0
    assert out.read_text(encoding="utf-8").startswith("t_s,posture,hip_flexion_deg\n")
    code, stdout, _ = run("analyze", str(path))
    assert code == 0
    assert "compression exposure per day" in stdout
