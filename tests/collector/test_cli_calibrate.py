"""``sitload analyze``: accelerometer units (m/s² converted, nonsense refused), explicit
thigh calibration (--calibrate-from, --calibrate-file) and a seat mat's known baseline
(--seat-baseline) (issue 11, findings 5 and 7)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from analytics.records import Recording, Timeline
from analytics.summary import agreement
from collector.analyze_inputs import parse_range
from collector.cli import main
from collector.recordings import write_recording
from collector.sources.simulator import simulate
from collector.timeline_io import read_timeline
from tests.analytics.seat_chair import chair_recording

G = 9.80665
STAND_S = (337.0, 416.0)
"""Seconds of the desk simulation (seed 21) in which the person stands still."""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def analyze_json(*args: str) -> dict[str, Any]:
    code, out, err = run("analyze", *args, "--json")
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def one_line_error(code: int, stderr: str) -> str:
    assert code == 2
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("sitload: error: ")
    return lines[0]


@pytest.fixture(scope="module")
def desk() -> Any:
    return simulate("desk", 1.5, seed=21, fs_hz=25.0)


@pytest.fixture(scope="module")
def files(desk: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("units")
    rec: Recording = desk.recording
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    out = {"g": d / "desk_g.csv", "ms2": d / "desk_ms2.csv", "bad": d / "desk_bad.csv"}
    write_recording(rec, out["g"])
    write_recording(
        dataclasses.replace(rec, thigh_acc_g=rec.thigh_acc_g * G, trunk_acc_g=rec.trunk_acc_g * G),
        out["ms2"],
    )
    write_recording(dataclasses.replace(rec, thigh_acc_g=rec.thigh_acc_g * 100.0), out["bad"])
    # standing still, then seated: no walking at all, so no automatic calibration
    t = rec.t_s - rec.t_s[0]
    keep = (t >= STAND_S[0]) & (t < 3300.0)
    no_walk = Recording(
        t_s=rec.t_s[keep], thigh_acc_g=rec.thigh_acc_g[keep], source="standing then seated"
    )
    out["no_walk"] = d / "no_walk.csv"
    write_recording(no_walk, out["no_walk"])
    stand = (t >= STAND_S[0] + 3.0) & (t < STAND_S[1] - 3.0)
    out["standing"] = d / "standing.csv"
    write_recording(
        Recording(t_s=rec.t_s[stand], thigh_acc_g=rec.thigh_acc_g[stand]), out["standing"]
    )
    return out


def test_a_recording_in_m_s2_gives_the_same_result_as_in_g(files: dict[str, Path]) -> None:
    in_g = analyze_json(str(files["g"]))
    in_ms2 = analyze_json(str(files["ms2"]))
    # the same up to the decimals a CSV file keeps
    assert in_ms2["summary"].keys() == in_g["summary"].keys()
    for key, value in in_g["summary"].items():
        if isinstance(value, float):
            assert in_ms2["summary"][key] == pytest.approx(value, rel=1e-6), key
        else:
            assert in_ms2["summary"][key] == value, key
    assert in_ms2["days"] == in_g["days"]
    notes = [w for w in in_ms2["warnings"] if "m/s²" in w]
    assert len(notes) == 1  # one line for both sensors
    assert str(files["ms2"]) in notes[0]
    assert "9.80665" in notes[0]
    assert not [w for w in in_g["warnings"] if "m/s²" in w]


def test_units_that_fit_neither_g_nor_m_s2_are_refused_in_one_line(files: dict[str, Path]) -> None:
    line = one_line_error(*run("analyze", str(files["bad"]))[::2])
    assert "units look wrong" in line
    assert "about 1" in line
    assert "9.81" in line


def test_without_walking_the_error_names_the_calibrate_option(files: dict[str, Path]) -> None:
    line = one_line_error(*run("analyze", str(files["no_walk"]))[::2])
    assert "--calibrate-from START-END" in line


def posture_agreement(timeline_csv: Path, truth: Timeline) -> float:
    agree, _ = agreement(read_timeline(timeline_csv), truth)
    return agree


def test_calibrate_from_a_standing_still_stretch(
    files: dict[str, Path], desk: Any, tmp_path: Path
) -> None:
    start = 3.0  # seconds from the start of the cropped file
    end = STAND_S[1] - STAND_S[0] - 3.0
    tl = tmp_path / "tl.csv"
    code, _, err = run(
        "analyze",
        str(files["no_walk"]),
        "--calibrate-from",
        f"{start:g}-{end:g}",
        "--timeline",
        str(tl),
    )
    assert code == 0, err
    assert posture_agreement(tl, desk.truth) >= 0.97
    doc = analyze_json(str(files["no_walk"]), "--calibrate-from", f"{start:g}-{end:g}")
    assert doc["calibration"]["source"] == "standing"
    # the same from a separate file of standing still
    tl2 = tmp_path / "tl2.csv"
    code, _, err = run(
        "analyze",
        str(files["no_walk"]),
        "--calibrate-file",
        str(files["standing"]),
        "--timeline",
        str(tl2),
    )
    assert code == 0, err
    assert read_timeline(tl2).posture.tolist() == read_timeline(tl).posture.tolist()


def test_calibrating_from_a_seated_stretch_is_flagged(files: dict[str, Path]) -> None:
    doc = analyze_json(str(files["g"]), "--calibrate-from", "1000-1020")  # seated, still
    assert any("stood still" in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "expected START-END"),
        ("30-10", "END must be after START"),
        ("90000-90010", "no samples from 90000 to 90010 s"),
        ("1000-1030x", "expected START-END"),
    ],
)
def test_bad_calibrate_from_exits_2_in_one_line(
    files: dict[str, Path], value: str, expected: str
) -> None:
    line = one_line_error(*run("analyze", str(files["g"]), "--calibrate-from", value)[::2])
    assert expected in line


def test_a_moving_stretch_is_refused(files: dict[str, Path]) -> None:
    line = one_line_error(*run("analyze", str(files["g"]), "--calibrate-from", "0-300")[::2])
    assert re.search(r"moved during calibration", line)


# --------------------------------------------------------------------------- seat mat


@pytest.fixture(scope="module")
def chair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """A 12-cell chair that is never empty (upright and leaning forward)."""
    t, p, _, offset = chair_recording(
        np.random.default_rng(1), [("upright", 250.0), ("lean", 110.0)] * 6, fs_hz=1.0
    )
    path = tmp_path_factory.mktemp("chair") / "chair.csv"
    write_recording(Recording(t_s=t, seat_p=p), path)
    return path, offset


def test_seat_baseline_is_reported_and_can_be_given(chair: tuple[Path, np.ndarray]) -> None:
    path, offset = chair
    doc = analyze_json(str(path), "--seat-layout", "3x4")
    assert doc["seat"]["baseline_source"] == "none"
    assert any("--seat-baseline" in w for w in doc["warnings"])
    values = ",".join(f"{v:.1f}" for v in offset)
    given = analyze_json(str(path), "--seat-layout", "3x4", "--seat-baseline", values)
    assert given["seat"]["baseline_source"] == "given"
    assert not any("--seat-baseline" in w for w in given["warnings"])
    assert given["seat"]["occupied_s"] > doc["seat"]["occupied_s"]
    assert given["seat"]["occupied_s"] >= 0.99 * 6 * 360
    code, out, _ = run("analyze", str(path), "--seat-layout", "3x4", "--seat-baseline", "200")
    assert code == 0
    assert "empty-seat baseline given" in out


@pytest.mark.parametrize(("value", "expected"), [("1,2", "12 cells"), ("x", "numbers")])
def test_bad_seat_baseline_exits_2_in_one_line(
    chair: tuple[Path, np.ndarray], value: str, expected: str
) -> None:
    path, _ = chair
    line = one_line_error(
        *run("analyze", str(path), "--seat-layout", "3x4", "--seat-baseline", value)[::2]
    )
    assert expected in line


def test_a_dead_sensor_is_not_a_units_error(tmp_path: Path) -> None:
    t = 1_790_000_000.0 + np.arange(600) / 10.0
    path = tmp_path / "dead.csv"
    write_recording(Recording(t_s=t, thigh_acc_g=np.zeros((600, 3))), path)
    line = one_line_error(*run("analyze", str(path))[::2])
    assert "units look wrong" not in line
    assert "cannot tell which way is up" in line  # all seconds are non-wear


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120-135", (120.0, 135.0)),
        ("2:00-2:15.5", (120.0, 135.5)),
        ("1:00:00-1:00:10", (3600.0, 3610.0)),
    ],
)
def test_calibrate_from_takes_seconds_or_minutes(text: str, expected: tuple[float, float]) -> None:
    assert parse_range(text) == expected


@pytest.mark.parametrize("text", ["1:60-2:00", "1.5:00-2:00", "a-b", "1-2-3", "-5", "1:2:3:4-9"])
def test_calibrate_from_refuses_other_times(text: str) -> None:
    with pytest.raises(ValueError, match="expected START-END"):
        parse_range(text)
