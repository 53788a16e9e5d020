"""Damaged cells in activPAL exports are repaired or their row skipped, named and
counted; the rest of the file is kept (collector/recordings/activpal_repair.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analytics.exposure import exposure_report
from collector.cli import main
from collector.output import report_dict, to_json
from collector.recordings import RecordingError, load_events
from collector.recordings.activpal import LoadedTimeline

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED = (REPO_ROOT / ".." / "shared" / "data" / "activpal-example").resolve()

HEADER = (
    '"Time","DataCount (samples)","Interval (s)","ActivityCode (0=sedentary 1=standing '
    '2=stepping 3.1=primary lying, 3.2=secondary lying 4=non-wear)","CumulativeStepCount",'
    '"Activity Score (MET.h)"\n'
)
DAY = 43429.0  # 2018-11-25 00:00 as an Excel serial day


def day_of_events(n: int = 60, seed: int = 3) -> list[list[str]]:
    """A tiling export: sitting, standing and stepping (one stride per step event)."""
    rng = np.random.default_rng(seed)
    out: list[list[str]] = []
    count, cum = 36000, 0  # starts at 01:00 of the recording's sample clock
    for _ in range(n):
        code = int(rng.choice([0, 1, 2]))
        interval = round(float(rng.uniform(1.0, 900.0 if code == 0 else 60.0)), 1)
        if code == 2:
            cum += 1
            interval = round(float(rng.uniform(0.8, 1.6)), 1)
        t = DAY + count / 10 / 86400
        out.append([f"{t:.10f}", str(count), f"{interval:.1f}", str(code), str(cum), "0.01"])
        count += round(interval * 10)
    return out


def text(rows: list[list[str]]) -> str:
    return HEADER + "".join(",".join(r) + "\n" for r in rows)


def add(rows: list[list[str]], line: int, col: int, delta: int) -> list[list[str]]:
    """A copy with ``delta`` added to a cell (``line`` as an editor shows it)."""
    out = [list(r) for r in rows]
    out[line - 2][col] = str(int(out[line - 2][col]) + delta)
    return out


def load(tmp_path: Path, rows: list[list[str]], name: str) -> LoadedTimeline:
    path = tmp_path / f"{name}-Events.csv"
    path.write_text(text(rows))
    return load_events(path)


def same(a: LoadedTimeline, b: LoadedTimeline) -> None:
    np.testing.assert_array_equal(a.timeline.posture, b.timeline.posture)
    assert a.timeline.t0_s == b.timeline.t0_s
    np.testing.assert_array_equal(a.events.ticks, b.events.ticks)
    np.testing.assert_array_equal(a.events.steps, b.events.steps)
    np.testing.assert_array_equal(a.events.rows, b.events.rows)


@pytest.mark.parametrize("line", [2, 10, 30, 61])  # first, middle, last rows
def test_a_flipped_sample_count_and_step_count_are_repaired(tmp_path: Path, line: int) -> None:
    rows = day_of_events()
    good = load(tmp_path, rows, "good")
    stepping_line = next(i + 2 for i, r in enumerate(rows) if r[3] == "2" and i + 2 != line)
    bad_rows = add(add(rows, line, 1, 2**19), stepping_line, 4, 256)
    bad = load(tmp_path, bad_rows, "bad")
    same(bad, good)
    assert [(r.row, r.column.split(" ")[0], r.skipped) for r in bad.repairs] == sorted(
        [(line, "DataCount", False), (stepping_line, "CumulativeStepCount", False)]
    )
    msg = {r.row: r.message for r in bad.repairs}[line]
    assert msg.startswith(f"row {line}: DataCount (samples) {int(rows[line - 2][1]) + 2**19} ")
    assert msg.endswith(f"repaired to {rows[line - 2][1]}")
    assert any("2 damaged cells repaired" in w for w in bad.warnings)
    assert good.repairs == ()
    assert good.warnings == ()


def test_a_step_count_flipped_down_is_repaired(tmp_path: Path) -> None:
    rows = day_of_events()
    line = next(i + 2 for i, r in enumerate(rows) if int(r[4]) > 8)
    bad = load(tmp_path, add(rows, line, 4, -8), "bad")
    same(bad, load(tmp_path, rows, "good"))
    assert [r.row for r in bad.repairs] == [line]


def test_a_count_nobody_can_vouch_for_skips_its_row_and_keeps_the_rest(tmp_path: Path) -> None:
    rows = day_of_events()
    line = 20
    # its count, its Time and its own interval all damaged: no two sources agree on
    # where the event starts, so the row is dropped
    rows_bad = add(rows, line, 1, 2**19)
    rows_bad[line - 2][0] = f"{float(rows[line - 2][0]) + 1:.10f}"
    rows_bad[line - 2][2] = "0.1" if rows[line - 2][2] != "0.1" else "0.2"
    bad = load(tmp_path, rows_bad, "bad")
    good = load(tmp_path, rows, "good")
    assert [(r.row, r.skipped) for r in bad.repairs] == [(line, True)]
    assert "row skipped" in bad.repairs[0].message
    assert bad.events.n == good.events.n - 1
    assert line not in bad.events.rows.tolist()
    # every other event is where it was; the skipped one's time is non-wear
    keep = good.events.rows != line
    np.testing.assert_array_equal(bad.events.ticks, good.events.ticks[keep])
    i = int(np.flatnonzero(~keep)[0])
    assert bad.gap_s == pytest.approx(good.events.duration_s[i])


def test_a_structurally_broken_file_still_fails(tmp_path: Path) -> None:
    rows = day_of_events(10)
    # the second half counted again from zero: not one damaged cell
    for r in rows[5:]:
        r[1] = str(int(r[1]) - 36000)
    with pytest.raises(RecordingError, match="does not increase"):
        load(tmp_path, rows, "broken")


def test_cli_names_the_repaired_rows_on_stderr_and_counts_them_in_json(tmp_path: Path) -> None:
    rows = day_of_events()
    path = tmp_path / "bad-Events.csv"
    path.write_text(text(add(add(rows, 10, 1, 2**19), 12, 4, 256)))
    result = CliRunner().invoke(main, ["analyze", "--format", "activpal", str(path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["repaired_cells"], doc["skipped_rows"]) == (2, 0)
    assert "row 10: DataCount (samples)" in result.stderr
    assert "row 12: CumulativeStepCount" in result.stderr
    plain = CliRunner().invoke(main, ["analyze", "--format", "activpal", str(path)])
    assert plain.exit_code == 0
    assert "row 10: DataCount" in plain.stderr


def test_cli_caps_the_repair_lines(tmp_path: Path) -> None:
    rows = day_of_events(200)
    for line in range(10, 190, 6):  # 30 damaged counts, far apart
        rows = add(rows, line, 1, 2**19)
    path = tmp_path / "many-Events.csv"
    path.write_text(text(rows))
    result = CliRunner().invoke(main, ["analyze", "--format", "activpal", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["repaired_cells"] == 30
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("warning: row ")]
    assert len(lines) == 10
    assert "20 more" in result.stderr


@pytest.mark.shared_data
def test_issue_11_a_damaged_export_matches_the_undamaged_one(tmp_path: Path) -> None:
    src = SHARED / "Test_Events.csv"
    if not src.exists():
        pytest.skip(f"{src} is not here (../shared/data is optional)")
    lines = src.read_text().split("\n")

    def flip(line: int, col: int, delta: int) -> None:
        f = lines[line - 1].split(",")
        f[col] = str(int(f[col]) + delta)
        lines[line - 1] = ",".join(f)

    flip(5000, 1, 2**19)  # DataCount
    flip(5000, 4, 256)  # CumulativeStepCount, same row
    flip(9001, 4, 256)  # and another row
    damaged = tmp_path / "Test_Events.csv"
    damaged.write_text("\n".join(lines))
    good, bad = load_events(src), load_events(damaged)
    assert [r.row for r in bad.repairs] == [5000, 5000, 9001]
    same(bad, good)
    a = exposure_report(good.timeline, tz=None, steps=good.events.step_counts())
    b = exposure_report(bad.timeline, tz=None, steps=bad.events.step_counts())
    assert len(a.days) == 3  # the example export spans three calendar days
    assert to_json(report_dict(b)) == to_json(report_dict(a))  # every day, exactly
