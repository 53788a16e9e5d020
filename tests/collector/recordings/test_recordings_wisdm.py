"""The WISDM raw reader: segments, time order, stitching, and malformed lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from collector.recordings.errors import RecordingError
from collector.recordings.sniff import looks_like_wisdm
from collector.recordings.wisdm import (
    STANDARD_GRAVITY_MPS2,
    read_wisdm,
    read_wisdm_segments,
    stitch,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()

# Two segments as in the real files: the second (sitting) was recorded *before* the
# first (walking), so time steps backwards at the boundary; the walking segment has
# one repeated timestamp and one line out of order.
EXCERPT = """\
1600,A,252207666810782,-0.36476135,8.793503,1.0550842;
1600,A,252207717164786,-0.8797302,9.768784,1.0169983;
1600,A,252207717164786,-0.8797302,9.768784,1.0169983;
1600,A,252207817872794,2.0014954,11.10907,2.619156;
1600,A,252207767518790,0.0,9.80665,0.0;
1600,D,251807704964938,0.37261963,-0.6105423,9.80665;
1600,D,251807755318942,0.3820648,-0.6232605,9.795151;
1600,D,251807805672946,0.39474487,-0.6073456,9.81014;
"""


@pytest.fixture
def excerpt(tmp_path: Path) -> Path:
    path = tmp_path / "data_1600_accel_phone.txt"
    path.write_text(EXCERPT)
    return path


def test_segments(excerpt: Path) -> None:
    walk, sit = read_wisdm_segments(excerpt)
    assert (walk.subject, walk.activity, walk.first_row, walk.n) == (1600, "A", 1, 4)
    assert walk.duplicates_dropped == 1
    assert not walk.seated
    assert sit.seated
    assert (sit.activity, sit.first_row, sit.n, sit.duplicates_dropped) == ("D", 6, 3, 0)
    assert np.all(np.diff(walk.t_s) > 0)
    np.testing.assert_allclose(
        walk.t_s, [252207.666810782, 252207.717164786, 252207.767518790, 252207.817872794]
    )
    np.testing.assert_allclose(walk.acc_g[2], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(
        walk.acc_g[0], np.array([-0.36476135, 8.793503, 1.0550842]) / 9.80665
    )
    np.testing.assert_allclose(sit.acc_g[0, 2], 1.0)
    assert walk.duration_s == pytest.approx(0.151062012, abs=1e-9)


def test_whole_file_in_time_order(excerpt: Path) -> None:
    loaded = read_wisdm(excerpt)
    rec = loaded.recording
    assert loaded.fmt == "wisdm"
    assert rec.n == 7
    assert np.all(np.diff(rec.t_s) > 0)
    assert rec.t_s[0] == pytest.approx(251807.704964938)  # the sitting segment came first
    assert rec.thigh_acc_g is not None
    np.testing.assert_allclose(rec.thigh_acc_g[2, 2], 9.81014 / STANDARD_GRAVITY_MPS2)
    assert any("1 sample with a repeated timestamp was dropped" in w for w in loaded.warnings)


def test_stitch_places_segments_back_to_back(excerpt: Path) -> None:
    walk, sit = read_wisdm_segments(excerpt)
    seamless = stitch([sit, walk])
    rec = seamless.recording
    assert rec.n == 7
    assert "".join(seamless.activity) == "DDDAAAA"
    assert rec.t_s[0] == 0.0
    np.testing.assert_allclose(np.diff(rec.t_s), 0.050354004, atol=1e-6)
    np.testing.assert_allclose(seamless.segment_start_s, [0.0, rec.t_s[3]])
    assert rec.thigh_acc_g is not None
    np.testing.assert_array_equal(rec.thigh_acc_g[3:], walk.acc_g)

    gapped = stitch([sit, walk], gap_s=60.0, t0_s=1000.0)
    assert gapped.recording.t_s[0] == 1000.0
    assert gapped.recording.t_s[3] - gapped.recording.t_s[2] == pytest.approx(60.050354, abs=1e-6)

    with pytest.raises(ValueError, match="gap_s"):
        stitch([sit], gap_s=-1.0)
    with pytest.raises(ValueError, match="no segments"):
        stitch([])


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("1600,A,252207767518790,0.1,0.2;", None, "5 fields instead of 6"),
        ("1600,A,252207767518790,0.1,abc,0.3;", "y", "'abc' is not a number"),
        ("1600,A,2522077.5,0.1,0.2,0.3;", "timestamp", "not a timestamp"),
        ("x1600,A,252207767518790,0.1,0.2,0.3;", "subject", "not a subject number"),
        ("1600,,252207767518790,0.1,0.2,0.3;", "activity", "not an activity code"),
        ("1600,A,252207767518790,0.1,0.2,nan;", "z", "not a finite number"),
    ],
)
def test_malformed_line(tmp_path: Path, line: str, column: str | None, words: str) -> None:
    path = tmp_path / "w.txt"
    path.write_text(EXCERPT + line + "\n")
    with pytest.raises(RecordingError) as info:
        read_wisdm_segments(path)
    err = info.value
    assert (err.row, err.column) == (9, column)
    where = "row 9" + (f", column {column}" if column else "")
    assert f"w.txt: {where}: " in str(err)
    assert words in str(err)
    assert "fix or delete the line" in str(err)


def test_empty_and_missing(tmp_path: Path) -> None:
    empty = tmp_path / "e.txt"
    empty.write_text("\n")
    with pytest.raises(RecordingError, match=r"e\.txt: row 1: the file is empty"):
        read_wisdm(empty)
    with pytest.raises(RecordingError, match="no such file"):
        read_wisdm(tmp_path / "none.txt")


def test_line_pattern() -> None:
    assert looks_like_wisdm("1600,A,252207666810782,-0.36476135,8.793503,1.0550842;")
    assert looks_like_wisdm("1600,A,252207666810782,-3.6e-1,8,1")
    assert not looks_like_wisdm("t_s,thigh_ax_g,thigh_ay_g,thigh_az_g")
    assert not looks_like_wisdm("1600,A,252207666810782,-0.36,8.79;")


@pytest.mark.shared_data
def test_real_file_has_eighteen_three_minute_segments() -> None:
    path = SHARED_DATA / "wisdm-dev" / "data_1600_accel_phone.txt"
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data is optional)")
    segments = read_wisdm_segments(path)
    assert len(segments) == 18
    assert len({s.activity for s in segments}) == 18
    for seg in segments:
        assert seg.subject == 1600
        assert seg.duration_s == pytest.approx(180.0, abs=1.0)
        assert np.all(np.diff(seg.t_s) > 0)
        assert 0.85 < np.linalg.norm(seg.acc_g, axis=1).mean() < 1.25  # about 1 g

    whole = read_wisdm(path).recording
    assert whole.n == sum(s.n for s in segments)
    assert np.all(np.diff(whole.t_s) > 0)
    assert whole.thigh_acc_g is not None
    assert np.linalg.norm(whole.thigh_acc_g, axis=1).mean() == pytest.approx(1.0, abs=0.15)

    stitched = stitch(segments)
    assert stitched.recording.duration_s == pytest.approx(18 * 180.0, rel=0.01)
    seated = np.isin(stitched.activity, list("DFHIJKLQ"))
    assert seated.sum() == sum(s.n for s in segments if s.seated)
