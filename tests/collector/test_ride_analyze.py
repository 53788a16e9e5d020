"""``sitload analyze`` on FIT rides, on a thigh recording with ``--ride``, and the
saddle section of the human summary."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analytics.records import Posture
from collector.cli import main
from collector.recordings import write_recording
from collector.sources.simulator import simulate
from tests.collector.recordings.fit_writer import START, STOP_ALL, TIMER, FitRide, write_fit

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "fit"
TRAINER = FIXTURES / "sample-activity-indoor-trainer.fit"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_one_ride_human_summary() -> None:
    code, out, err = run("analyze", str(FIXTURES / "2015-10-13-08-43-15.fit"))
    assert code == 0, err
    assert "riding time (timer)" in out
    assert "25 min 58 s" in out  # 1558 s, as the file's own total_timer_time
    assert "stops (timer paused)" in out
    assert "cannot be known from the file alone" in out
    assert "seated vs standing" in " ".join(out.split())


def test_a_folder_of_rides_with_a_total_and_json() -> None:
    code, out, _err = run("analyze", str(FIXTURES))
    assert code == 0
    assert out.count("riding time (timer)") == 4  # three rides and the total
    code, out, _err = run("analyze", str(FIXTURES), "--json")
    doc = json.loads(out)
    assert doc["total"]["rides"] == 3
    assert doc["total"]["riding_s"] == sum(r["riding_s"] for r in doc["rides"])
    assert doc["total"]["seated_s"] is None  # no file carries rider position
    assert doc["errors"] == []


def test_a_truncated_ride_among_others(tmp_path: Path) -> None:
    data = TRAINER.read_bytes()
    cut = tmp_path / "cut.fit"
    cut.write_bytes(data[: len(data) // 3])
    code, out, err = run("analyze", str(TRAINER), str(cut), "--json")
    assert code == 2
    doc = json.loads(out)
    assert len(doc["rides"]) == 1  # the good ride is still reported
    assert doc["errors"][0]["source"] == str(cut)
    assert err.strip().count("\n") == 0
    assert "truncated" in err


def test_options_that_do_not_apply_to_rides() -> None:
    code, _out, err = run("analyze", str(TRAINER), "--seat-layout", "8x8")
    assert code == 2
    assert "--seat-layout" in err


def test_several_files_that_are_not_rides(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("t_s\n0\n")
    b.write_text("t_s\n0\n")
    code, _out, err = run("analyze", str(a), str(b))
    assert code == 2
    assert "one recording at a time" in err


@pytest.fixture(scope="module")
def cyclist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray]:
    """A simulated ride (thigh only, its cadence removed) and a FIT file of the same
    ride whose cadence is the simulator's, on the same UTC clock."""
    sim = simulate("cyclist", 1.0, 4, fs_hz=25.0, trunk=False)
    rec = sim.recording
    assert rec.cadence_rpm is not None
    tmp = tmp_path_factory.mktemp("ride")
    thigh = tmp / "thigh.csv"
    write_recording(dataclasses.replace(rec, cadence_rpm=None), thigh)
    t0 = int(rec.t_s[0])
    sec = (rec.t_s - t0).astype(np.int64)
    per_s = np.bincount(sec, weights=rec.cadence_rpm) / np.maximum(np.bincount(sec), 1)
    n = per_s.shape[0]
    records = [(t0 + i, 8.0, round(float(per_s[i])), 200) for i in range(n)]
    fit = FitRide(records, [(t0, TIMER, START, 0), (t0 + n, TIMER, STOP_ALL, 0)], float(n))
    ride = write_fit(tmp / "ride.fit", fit)
    truth = sim.truth.posture
    return thigh, ride, truth


def test_ride_cadence_joins_the_thigh_recording(cyclist: tuple[Path, Path, np.ndarray]) -> None:
    thigh, ride, truth = cyclist
    code, out, err = run("analyze", str(thigh), "--ride", str(ride), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert any("cadence joined on 100 %" in w for w in doc["warnings"])
    riding_truth = int(np.count_nonzero(truth >= Posture.RIDING_SEATED))
    s = doc["summary"]
    riding = s["riding_seated_s"] + s["riding_standing_s"]
    assert abs(riding - riding_truth) <= 0.03 * riding_truth
    saddle = doc["total"]["saddle"]
    assert saddle["seated_s"] > 0


def test_saddle_section_in_the_human_summary(cyclist: tuple[Path, Path, np.ndarray]) -> None:
    thigh, ride, _truth = cyclist
    code, out, err = run("analyze", str(thigh), "--ride", str(ride))
    assert code == 0, err
    assert "saddle" in out
    assert "seated bouts / longest" in out
    assert "stands / per hour" in out
    assert "seated at hip flexion > 90°" in out


def test_a_ride_that_does_not_overlap(cyclist: tuple[Path, Path, np.ndarray]) -> None:
    thigh, _ride, _truth = cyclist
    code, _out, err = run("analyze", str(thigh), "--ride", str(TRAINER))
    assert code == 2
    assert "does not overlap" in err
    assert "2011-11-02 12:54 UTC" in err  # the ride's range
    assert "2026-" in err  # and the recording's


def test_offset_with_unix_time_is_refused(cyclist: tuple[Path, Path, np.ndarray]) -> None:
    thigh, ride, _truth = cyclist
    code, _out, err = run("analyze", str(thigh), "--ride", str(ride), "--offset", "100")
    assert code == 2
    assert "leave --offset out" in err


def test_relative_time_needs_an_offset(tmp_path: Path) -> None:
    sim = simulate("cyclist", 0.5, 4, fs_hz=25.0, trunk=False)
    rec = sim.recording
    rel = dataclasses.replace(rec, t_s=rec.t_s - rec.t_s[0], cadence_rpm=None)
    path = tmp_path / "rel.csv"
    write_recording(rel, path)
    code, _out, err = run("analyze", str(path), "--ride", str(TRAINER))
    assert code == 2
    assert "Unix time" in err
    assert "--offset" in err
    # with the offset it joins the trainer ride
    code, out, err = run(
        "analyze", str(path), "--ride", str(TRAINER), "--offset", "2011-11-02T12:55:00Z", "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert any("cadence joined" in w for w in doc["warnings"])
    assert doc["ride"]["timer_s"] == 2263  # the ride's own figures beside the thigh's
    # this recording has no walking: the thigh is calibrated from pedalling alone, so
    # the saddle section must not claim seated time, stands or the hip angle
    code, out, err = run(
        "analyze", str(path), "--ride", str(TRAINER), "--offset", "2011-11-02T12:55:00Z"
    )
    assert code == 0, err
    assert "(bike computer)" in out
    assert "cannot be measured" in out
    assert "stands / per hour" not in out


def test_no_saddle_section_without_riding(tmp_path: Path) -> None:
    sim = simulate("desk", 0.5, 3, fs_hz=25.0, trunk=False)
    path = tmp_path / "desk.csv"
    write_recording(sim.recording, path)
    code, out, _err = run("analyze", str(path))
    assert code == 0
    assert "seated bouts / longest" not in out


SHARED = (REPO_ROOT / ".." / "shared" / "data" / "fit-rides").resolve()


@pytest.mark.shared_data
def test_every_shared_ride_from_the_command_line() -> None:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not here (../shared/data is optional)")
    n = len(list(SHARED.glob("*.fit")))
    code, out, err = run("analyze", str(SHARED), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (len(doc["rides"]), doc["errors"]) == (n, [])
    for r in doc["rides"]:
        own = r["session_timer_s"]
        assert abs(r["timer_s"] - own) <= max(0.01 * own, 1.0), r["source"]
    coros = next(r for r in doc["rides"] if "coros" in r["source"])
    assert any("malformed" in w for w in coros["warnings"])


def test_parse_offset(cyclist: tuple[Path, Path, np.ndarray]) -> None:
    from collector.ride_analyze import parse_offset

    assert parse_offset("2011-11-02T12:55:00Z") == 1320238500.0
    assert parse_offset("2011-11-02T13:55:00+01:00") == 1320238500.0
    assert parse_offset("1320238500") == 1320238500.0
    with pytest.raises(ValueError, match="time zone"):
        parse_offset("2011-11-02T12:55:00")
    with pytest.raises(ValueError, match="Unix time"):
        parse_offset("yesterday")
    code, _out, err = run("analyze", str(cyclist[0]), "--offset", "5")
    assert code == 2
    assert "give --ride" in err
