"""The sitload CSV format: round trips, partial rows, and every kind of bad input."""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from analytics.records import Recording
from collector.recordings import csv_reader, csv_writer
from collector.recordings.csv_reader import read_csv
from collector.recordings.csv_writer import WRITE_DECIMALS, write_csv
from collector.recordings.errors import RecordingError

HEADER = "t_s,thigh_ax_g,thigh_ay_g,thigh_az_g"
ENGINES = ("pyarrow", "numpy", "python")


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with each bulk parser (the line-by-line one being the last resort)."""
    name = str(request.param)
    if name in ("numpy", "python"):
        monkeypatch.setattr(csv_reader, "pyarrow_csv", lambda: None)
        monkeypatch.setattr(csv_writer, "pyarrow_csv", lambda: None)
    if name == "python":
        monkeypatch.setattr(csv_reader, "_parse_numpy", lambda *args: None)
    return name


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> RecordingError:
    with pytest.raises(RecordingError) as info:
        read_csv(path)
    return info.value


# --------------------------------------------------------------------------- errors


def test_error_message_is_one_line_with_file_row_and_column() -> None:
    err = RecordingError(
        "data.csv", "'abc' is not a number; fix or delete the row", row=17, column="thigh_ax_g"
    )
    assert (
        str(err)
        == "data.csv: row 17, column thigh_ax_g: 'abc' is not a number; fix or delete the row"
    )
    assert (err.path, err.row, err.column) == (Path("data.csv"), 17, "thigh_ax_g")
    assert str(RecordingError("x.csv", "bad\n  thing")) == "x.csv: bad thing"
    copy = pickle.loads(pickle.dumps(err))
    assert str(copy) == str(err)


# --------------------------------------------------------------------------- good input


def test_reads_columns_in_any_order_with_comments_and_blank_lines(
    tmp_path: Path, engine: str
) -> None:
    path = write(
        tmp_path,
        "# recorded on the office chair\n"
        "\n"
        "thigh_az_g,t_s,thigh_ax_g,thigh_ay_g,cadence_rpm\n"
        "0.1,10.0,0.9,0.0,0\n"
        "\n"
        "0.2,10.04,0.8,0.1,85.5\n",
    )
    loaded = read_csv(path)
    rec = loaded.recording
    assert loaded.fmt == "csv"
    assert loaded.warnings == ()
    np.testing.assert_array_equal(rec.t_s, [10.0, 10.04])
    assert rec.thigh_acc_g is not None
    np.testing.assert_array_equal(rec.thigh_acc_g, [[0.9, 0.0, 0.1], [0.8, 0.1, 0.2]])
    assert rec.cadence_rpm is not None
    np.testing.assert_array_equal(rec.cadence_rpm, [0.0, 85.5])
    assert rec.trunk_acc_g is None
    assert rec.seat_p is None
    assert rec.thigh_gyro_dps is None
    assert rec.source == f"csv:{path}"


def test_a_whole_group_may_be_empty_in_a_row(tmp_path: Path, engine: str) -> None:
    path = write(
        tmp_path,
        "t_s,thigh_ax_g,thigh_ay_g,thigh_az_g,trunk_ax_g,trunk_ay_g,trunk_az_g,cadence_rpm\n"
        "1,0,0,1,0,0,1,60\n"
        "2,0,0,1,,,,\n"
        "3,,,,0,0.5,0.5,\n"
        "4,nan,NaN,nan,0,0,1,70\n",
    )
    rec = read_csv(path).recording
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    assert rec.cadence_rpm is not None
    np.testing.assert_array_equal(np.isnan(rec.thigh_acc_g).all(axis=1), [0, 0, 1, 1])
    np.testing.assert_array_equal(np.isnan(rec.trunk_acc_g).all(axis=1), [0, 1, 0, 0])
    np.testing.assert_array_equal(np.isnan(rec.cadence_rpm), [0, 1, 1, 0])
    np.testing.assert_array_equal(rec.trunk_acc_g[2], [0, 0.5, 0.5])


def test_seat_cells_and_unit(tmp_path: Path, engine: str) -> None:
    path = write(
        tmp_path,
        "# seat_unit=kPa\nt_s,seat_p01,seat_p00,seat_p02\n0,1,0,2\n1,4,3,5\n",
    )
    rec = read_csv(path).recording
    assert rec.seat_unit == "kPa"
    assert rec.thigh_acc_g is None
    np.testing.assert_array_equal(rec.seat_p, [[0, 1, 2], [3, 4, 5]])


def test_seat_unit_defaults_to_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "t_s,seat_p00,seat_p01\n0,1,2\n")
    assert read_csv(path).recording.seat_unit == "counts"


def test_unknown_columns_are_ignored_with_a_warning(tmp_path: Path, engine: str) -> None:
    path = write(tmp_path, f"{HEADER},note,Seat_p00,seat_p1\n0,0,0,1,hello,5,6\n1,0,0,1,x,5,6\n")
    loaded = read_csv(path)
    assert len(loaded.warnings) == 3
    assert all(str(path) in w for w in loaded.warnings)
    assert "'note'" in loaded.warnings[0]
    assert "at least two digits" in loaded.warnings[2]
    assert loaded.recording.n == 2


def test_crlf_and_bom(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "win.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\r\n0,0,0,1\r\n1,0,0,1\r\n".encode())
    np.testing.assert_array_equal(read_csv(path).recording.t_s, [0.0, 1.0])


# --------------------------------------------------------------------------- round trip


@st.composite
def recordings(draw: st.DrawFn) -> Recording:
    n = draw(st.integers(1, 30))
    t0 = draw(st.floats(-1e4, 2e9, allow_nan=False))
    steps = draw(hnp.arrays(np.float64, n, elements=st.floats(1e-3, 1e3)))
    t_s = t0 + np.cumsum(steps)
    if not np.all(np.diff(t_s) > 0):  # pragma: no cover - float rounding at huge t0
        t_s = t0 + np.arange(n, dtype=np.float64)

    def block(width: int, scale: float) -> np.ndarray:
        values = draw(
            hnp.arrays(np.float64, (n, width), elements=st.floats(-scale, scale, width=64))
        )
        missing = draw(hnp.arrays(np.bool_, n))
        values[missing] = np.nan
        return values

    seat_cells = draw(st.integers(0, 12))
    thigh = draw(st.booleans()) or seat_cells == 0
    return Recording(
        t_s=t_s,
        thigh_acc_g=block(3, 16.0) if thigh else None,
        thigh_gyro_dps=block(3, 2000.0) if draw(st.booleans()) else None,
        trunk_acc_g=block(3, 16.0) if draw(st.booleans()) else None,
        seat_p=block(seat_cells, 4095.0) if seat_cells else None,
        cadence_rpm=block(1, 200.0)[:, 0] if draw(st.booleans()) else None,
        seat_unit=draw(st.sampled_from(["counts", "kPa"])),
    )


def assert_same(got: Recording, want: Recording, *, rounded: bool) -> None:
    np.testing.assert_array_equal(got.t_s, want.t_s)  # t_s always exact
    for field in ("thigh_acc_g", "thigh_gyro_dps", "trunk_acc_g", "seat_p", "cadence_rpm"):
        a, b = getattr(got, field), getattr(want, field)
        assert (a is None) == (b is None), field
        if a is not None:
            expected = np.round(b, WRITE_DECIMALS[field]) if rounded else b
            assert a.shape == b.shape
            np.testing.assert_array_equal(a, expected, err_msg=field)
    if want.seat_p is not None:
        assert got.seat_unit == want.seat_unit


@pytest.mark.parametrize("writer", ["pyarrow", "python"])
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rec=recordings())
def test_csv_round_trip(rec: Recording, writer: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        if writer == "python":
            m.setattr(csv_writer, "pyarrow_csv", lambda: None)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "rec.csv"
            write_csv(rec, path)
            first = path.read_bytes()
            back = read_csv(path).recording
            assert_same(back, rec, rounded=True)
            write_csv(back, path)
            assert path.read_bytes() == first


def test_time_keeps_full_precision(tmp_path: Path) -> None:
    t_s = np.array([1_700_000_000.0, 1_700_000_000.0 + 1e-6, 1_700_000_000.123456789])
    rec = Recording(t_s=t_s, thigh_acc_g=np.full((3, 3), 1 / 3))
    path = tmp_path / "t.csv"
    write_csv(rec, path)
    back = read_csv(path).recording
    np.testing.assert_array_equal(back.t_s, t_s)
    assert back.thigh_acc_g is not None
    np.testing.assert_array_equal(back.thigh_acc_g, np.full((3, 3), 0.333333))


def test_write_rejects_what_a_reader_would_reject(tmp_path: Path) -> None:
    acc = np.zeros((3, 3))
    with pytest.raises(ValueError, match="backwards"):
        write_csv(Recording(t_s=np.array([0.0, 2.0, 1.0]), thigh_acc_g=acc), tmp_path / "a.csv")
    acc[1, 1] = np.nan
    with pytest.raises(ValueError, match="thigh_ay_g"):
        write_csv(Recording(t_s=np.arange(3.0), thigh_acc_g=acc), tmp_path / "b.csv")
    with pytest.raises(ValueError, match="shape"):
        write_csv(Recording(t_s=np.arange(3.0), thigh_acc_g=np.zeros((3, 2))), tmp_path / "c.csv")
    with pytest.raises(ValueError, match="neither"):
        write_csv(Recording(t_s=np.arange(3.0), cadence_rpm=np.zeros(3)), tmp_path / "d.csv")
    assert list(tmp_path.iterdir()) == []


def test_write_to_missing_directory(tmp_path: Path) -> None:
    rec = Recording(t_s=np.arange(2.0), thigh_acc_g=np.zeros((2, 3)))
    with pytest.raises(RecordingError, match="directory exists") as info:
        write_csv(rec, tmp_path / "nowhere" / "x.csv")
    assert "x.csv" in str(info.value)


# --------------------------------------------------------------------------- bad input


def test_non_number(tmp_path: Path, engine: str) -> None:
    lines = [HEADER] + [f"{i},0,0,1" for i in range(15)] + ["15,abc,0,1", "16,0,0,1"]
    err = error_of(write(tmp_path, "\n".join(lines) + "\n"))
    assert str(err) == (
        f"{tmp_path / 'data.csv'}: row 17, column thigh_ax_g: 'abc' is not a number; "
        "fix or delete the row"
    )


def test_single_empty_cell(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, f"{HEADER}\n0,0,0,1\n1,0,,1\n"))
    assert (err.row, err.column) == (3, "thigh_ay_g")
    assert "data.csv: row 3, column thigh_ay_g: the value is missing" in str(err)
    assert "leave all of thigh_ax_g, thigh_ay_g, thigh_az_g empty" in str(err)


def test_single_nan_cell(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, f"{HEADER}\n0,0,0,1\n1,0,0,1\n2,0,0,NaN\n"))
    assert "data.csv: row 4, column thigh_az_g: the value is missing" in str(err)


def test_missing_time(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, f"{HEADER}\n0,0,0,1\n,0,0,1\n"))
    assert "data.csv: row 3, column t_s: the time is missing" in str(err)


def test_infinite_value(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, f"{HEADER}\n0,0,0,1\n1,0,inf,1\n"))
    assert "data.csv: row 3, column thigh_ay_g: inf is not a finite number" in str(err)


def test_time_going_backwards(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, f"{HEADER}\n0,0,0,1\n2,0,0,1\n1.5,0,0,1\n3,0,0,1\n"))
    assert "data.csv: row 4, column t_s: time goes backwards (1.5 after 2.0)" in str(err)
    assert "strictly increasing" in str(err)


def test_duplicate_time(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, f"{HEADER}\n0,0,0,1\n1,0,0,1\n1,0,0,1\n"))
    assert "data.csv: row 4, column t_s: time 1.0 repeats the time of the previous row" in str(err)


def test_row_numbers_count_comment_and_blank_lines(tmp_path: Path, engine: str) -> None:
    text = f"# a\n\n{HEADER}\n0,0,0,1\n# note\n\n1,0,0,1\n0.5,0,0,1\n"
    err = error_of(write(tmp_path, text))
    assert (err.row, err.column) == (8, "t_s")


def test_the_first_problem_in_the_file_is_reported(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, f"{HEADER}\n0,0,,1\n-1,0,0,1\n"))
    assert (err.row, err.column) == (2, "thigh_ay_g")


def test_empty_file(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, ""))
    assert str(err).startswith(f"{tmp_path / 'data.csv'}: row 1: the file is empty")


def test_only_comments(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "# nothing\n\n"))
    assert "data.csv: row 2: there is no header row" in str(err)


def test_header_only(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, f"# seat_unit=counts\n{HEADER}\n"))
    assert "data.csv: row 3: no data rows after the header (row 2)" in str(err)


def test_truncated_last_line(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, f"{HEADER}\n0,0,0,1\n1,0,0,1\n2,0.01"))
    assert "data.csv: row 4: 2 fields but the header (row 1) has 4" in str(err)
    assert "cut short" in str(err)


def test_truncated_line_with_ignored_columns(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, f"{HEADER},note\n0,0,0,1,a\n1,0,0,1\n"))
    assert "data.csv: row 3: 4 fields but the header (row 1) has 5" in str(err)


def test_too_many_fields(tmp_path: Path, engine: str) -> None:
    err = error_of(write(tmp_path, f"{HEADER}\n0,0,0,1\n1,0,0,1,7\n"))
    assert "data.csv: row 3: 5 fields but the header (row 1) has 4" in str(err)
    assert "remove the extra fields" in str(err)


@pytest.mark.parametrize(
    ("header", "column", "words"),
    [
        ("thigh_ax_g,thigh_ay_g,thigh_az_g", "t_s", "no t_s column"),
        ("t_s,thigh_ax_g,thigh_ay_g", "thigh_az_g", "thigh_az_g is missing"),
        (f"{HEADER},thigh_gx_dps,thigh_gz_dps", "thigh_gy_dps", "thigh gyroscope"),
        (f"{HEADER},trunk_ax_g", "trunk_ay_g", "trunk accelerometer"),
        ("t_s,seat_p00,seat_p01,seat_p03", "seat_p02", "without gaps"),
        ("t_s,seat_p01,seat_p02", "seat_p00", "without gaps"),
        ("t_s,seat_p00,seat_p01,seat_p001", "seat_p001", "named twice"),
        (f"{HEADER},thigh_ax_g", "thigh_ax_g", "appears twice"),
    ],
)
def test_bad_header(tmp_path: Path, header: str, column: str, words: str) -> None:
    n = header.count(",") + 1
    err = error_of(write(tmp_path, f"# c\n{header}\n" + ",".join(["1"] * n) + "\n"))
    assert (err.row, err.column) == (2, column)
    assert f"data.csv: row 2, column {column}: " in str(err)
    assert words in str(err)


def test_no_thigh_and_no_seat(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "t_s,trunk_ax_g,trunk_ay_g,trunk_az_g\n0,0,0,1\n"))
    assert "data.csv: row 1: no thigh accelerometer" in str(err)


def test_unnamed_column(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, f"{HEADER},\n0,0,0,1,2\n"))
    assert "data.csv: row 1: header field 5 has no name" in str(err)


def test_bad_seat_unit(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "# seat_unit=psi\nt_s,seat_p00\n0,1\n"))
    assert "data.csv: row 1, column seat_unit: seat_unit='psi' is not a known unit" in str(err)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(b"PAR1\xff\xfe\x00\x81")
    err = error_of(path)
    assert "not UTF-8 text" in str(err)
    assert "bin.csv" in str(err)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert "no such file" in str(error_of(tmp_path / "nope.csv"))
    assert "directory" in str(error_of(tmp_path))
