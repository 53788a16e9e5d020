"""The Parquet recording format: exact round trips and the same rules as CSV."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from analytics.records import Recording
from collector.recordings.errors import RecordingError
from collector.recordings.parquet_format import read_parquet, write_parquet


def write_table(path: Path, columns: dict[str, list[Any]], **metadata: str) -> Path:
    table = pa.table(columns)
    if metadata:
        table = table.replace_schema_metadata({k.encode(): v.encode() for k, v in metadata.items()})
    pq.write_table(table, path)
    return path


@st.composite
def recordings(draw: st.DrawFn) -> Recording:
    n = draw(st.integers(1, 30))
    t_s = np.cumsum(draw(hnp.arrays(np.float64, n, elements=st.floats(1e-6, 1e6)))) + draw(
        st.floats(-1e9, 1e9)
    )
    if not np.all(np.diff(t_s) > 0):  # pragma: no cover - float rounding
        t_s = np.arange(n, dtype=np.float64)
    finite = st.floats(allow_nan=False, allow_infinity=False, width=64)

    def block(width: int) -> np.ndarray:
        values = draw(hnp.arrays(np.float64, (n, width), elements=finite))
        values[draw(hnp.arrays(np.bool_, n))] = np.nan
        return values

    cells = draw(st.integers(0, 4))
    return Recording(
        t_s=t_s,
        thigh_acc_g=block(3) if draw(st.booleans()) or cells == 0 else None,
        trunk_acc_g=block(3) if draw(st.booleans()) else None,
        seat_p=block(cells) if cells else None,
        cadence_rpm=block(1)[:, 0] if draw(st.booleans()) else None,
        seat_unit=draw(st.sampled_from(["counts", "kPa"])),
    )


@settings(max_examples=50, deadline=None)
@given(rec=recordings())
def test_parquet_round_trip_is_exact(rec: Recording) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rec.parquet"
        write_parquet(rec, path)
        loaded = read_parquet(path)
    back = loaded.recording
    assert loaded.fmt == "parquet"
    assert loaded.warnings == ()
    np.testing.assert_array_equal(back.t_s, rec.t_s)
    for field in ("thigh_acc_g", "thigh_gyro_dps", "trunk_acc_g", "seat_p", "cadence_rpm"):
        a, b = getattr(back, field), getattr(rec, field)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    if rec.seat_p is not None:
        assert back.seat_unit == rec.seat_unit


def test_nulls_integers_and_unknown_columns(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "r.parquet",
        {
            "t_s": [0.0, 1.0, 2.0],
            "seat_p00": [1, None, 3],
            "seat_p01": [4, None, 6],
            "comment": ["a", "b", "c"],
        },
        **{"sitload.seat_unit": "kpa"},
    )
    loaded = read_parquet(path)
    rec = loaded.recording
    assert rec.seat_unit == "kPa"
    assert rec.seat_p is not None
    np.testing.assert_array_equal(rec.seat_p, [[1, 4], [np.nan, np.nan], [3, 6]])
    assert len(loaded.warnings) == 1
    assert "'comment'" in loaded.warnings[0]


def test_single_missing_value_names_the_record(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "r.parquet",
        {
            "t_s": [0.0, 1.0, 2.0],
            "thigh_ax_g": [0.0, 0.0, 0.0],
            "thigh_ay_g": [0.0, None, 0.0],
            "thigh_az_g": [1.0, 1.0, 1.0],
        },
    )
    with pytest.raises(RecordingError) as info:
        read_parquet(path)
    assert "r.parquet: record 2, column thigh_ay_g: the value is missing" in str(info.value)


def test_time_going_backwards(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "r.parquet", {"t_s": [0.0, 2.0, 1.0], "seat_p00": [1.0, 2.0, 3.0]}
    )
    with pytest.raises(RecordingError, match=r"r\.parquet: record 3, column t_s: time goes back"):
        read_parquet(path)


def test_incomplete_group(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "r.parquet", {"t_s": [0.0], "thigh_ax_g": [0.0], "thigh_ay_g": [0.0]}
    )
    with pytest.raises(RecordingError, match=r"r\.parquet: column thigh_az_g: the thigh acc"):
        read_parquet(path)


def test_text_column(tmp_path: Path) -> None:
    path = write_table(tmp_path / "r.parquet", {"t_s": [0.0], "seat_p00": ["high"]})
    with pytest.raises(RecordingError, match=r"column seat_p00: .*not a number; store it as"):
        read_parquet(path)


def test_no_records(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    pq.write_table(
        pa.table({"t_s": pa.array([], pa.float64()), "seat_p00": pa.array([], pa.float64())}), path
    )
    with pytest.raises(RecordingError, match=r"r\.parquet: record 1: the file has no records"):
        read_parquet(path)


def test_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    path.write_text("t_s,seat_p00\n0,1\n")
    with pytest.raises(RecordingError, match=r"r\.parquet: not a readable Parquet file"):
        read_parquet(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match=r"nope\.parquet: no such file"):
        read_parquet(tmp_path / "nope.parquet")


def test_without_pyarrow_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    rec = Recording(t_s=np.arange(2.0), thigh_acc_g=np.zeros((2, 3)))
    for call in (
        lambda: write_parquet(rec, tmp_path / "x.parquet"),
        lambda: read_parquet(tmp_path / "x.parquet"),
    ):
        with pytest.raises(RecordingError, match=r"pip install 'sitload\[parquet\]'"):
            call()
