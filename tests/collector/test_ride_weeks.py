"""``sitload analyze``'s saddle figures without --json, and the weekly saddle load in
the human summary and in --json, for FIT rides and for a thigh recording."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from collector.cli import main
from collector.recordings import write_recording
from collector.sources.simulator import simulate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fit"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_a_ride_alone_says_which_saddle_figures_it_cannot_know() -> None:
    code, out, err = run("analyze", str(FIXTURES / "2015-10-13-08-43-15.fit"), "--tz", "UTC")
    assert code == 0, err
    for label in ("seated / standing", "stands / per hour", "longest seated bout"):
        assert f"{label}" in out
    assert "unknown (no rider position in the file)" in out
    assert "seated at hip flexion > 90°" in out
    assert "unknown (needs a thigh sensor: --ride)" in out


def test_rides_week_by_week_in_the_summary_and_json() -> None:
    code, out, err = run("analyze", str(FIXTURES), "--tz", "UTC")
    assert code == 0, err
    assert "saddle load per week (ISO weeks)" in out
    assert "more weeks without rides" in out  # 2011 to 2015: the empty weeks folded
    assert "after a week off ⚑" in out
    total = out[out.index("total") :]
    for label in ("seated on the saddle", "longest seated bout", "stands per hour"):
        assert label in total
    code, out, err = run("analyze", str(FIXTURES), "--tz", "UTC", "--json")
    assert code == 0, err
    weeks = json.loads(out)["saddle_weeks"]
    with_rides = [w for w in weeks if w["rides"]]
    assert [w["week_start"] for w in with_rides] == ["2011-10-31", "2015-10-12", "2017-06-12"]
    assert all(not w["seated_known"] for w in with_rides)
    assert weeks[1]["flagged"]  # -100 %
    assert weeks[1]["change"] == -1.0


def test_a_thigh_recording_week_by_week(tmp_path: Path) -> None:
    sim = simulate("cyclist", 1.0, 4, fs_hz=25.0, trunk=True)
    path = tmp_path / "ride.csv"
    write_recording(sim.recording, path)
    code, out, err = run("analyze", str(path), "--json", "--tz", "UTC")
    assert code == 0, err
    doc = json.loads(out)
    (week,) = doc["saddle_weeks"]
    saddle = doc["total"]["saddle"]
    assert week["saddle_s"] == saddle["seated_s"]
    assert week["seated_hip_gt90_s"] == saddle["seated_hip_gt90_s"]
    code, out, err = run("analyze", str(path), "--tz", "UTC")
    assert code == 0, err
    assert "seated at hip flexion > 90°" in out  # the saddle section without --json
    assert "stands / per hour" in out
    (rides,) = re.findall(r"^rides\s+(\d+)", out, flags=re.M)  # the saddle section's count
    assert week["rides"] == int(rides)
