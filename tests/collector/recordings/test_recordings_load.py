"""load_recording: format detection and the errors before any format is read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analytics.records import Recording
from collector.recordings import (
    FORMATS,
    RecordingError,
    detect_format,
    load_recording,
    write_recording,
)

WISDM_LINES = (
    "1600,D,251807704964938,0.37261963,-0.6105423,9.80665;\n"
    "1600,D,251807755318942,0.3820648,-0.6232605,9.795151;\n"
)


def rec() -> Recording:
    return Recording(t_s=np.array([0.0, 0.5]), thigh_acc_g=np.array([[0, 0, 1.0], [0, 0.1, 1.0]]))


def test_formats_for_the_cli() -> None:
    assert FORMATS == ("auto", "csv", "wisdm", "parquet", "activpal")


def test_detects_csv_after_comments(tmp_path: Path) -> None:
    path = tmp_path / "any.txt"
    path.write_text("# seat_unit=kPa\n\n t_s , seat_p00\n0,1\n")
    assert detect_format(path) == "csv"
    loaded = load_recording(path)
    assert loaded.fmt == "csv"
    assert loaded.recording.seat_unit == "kPa"


def test_detects_wisdm(tmp_path: Path) -> None:
    path = tmp_path / "data_1600_accel_phone.txt"
    path.write_text(WISDM_LINES)
    assert detect_format(path) == "wisdm"
    assert load_recording(path).recording.n == 2


def test_detects_parquet_by_name_and_by_content(tmp_path: Path) -> None:
    named = tmp_path / "r.parquet"
    write_recording(rec(), named)
    assert detect_format(named) == "parquet"
    renamed = named.rename(tmp_path / "r.bin")
    assert detect_format(renamed) == "parquet"
    np.testing.assert_array_equal(load_recording(renamed).recording.t_s, [0.0, 0.5])


def test_write_recording_picks_the_format_from_the_name(tmp_path: Path) -> None:
    write_recording(rec(), tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_text().startswith("# sitload CSV recording")
    loaded = load_recording(tmp_path / "r.csv", "csv")
    np.testing.assert_array_equal(loaded.recording.thigh_acc_g, rec().thigh_acc_g)
    with pytest.raises(RecordingError, match="cannot write format 'wisdm'"):
        write_recording(rec(), tmp_path / "r.txt", "wisdm")


def test_explicit_format_overrides_detection(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(WISDM_LINES)
    with pytest.raises(RecordingError) as info:
        load_recording(path, "csv")
    assert "r.csv: row 1, column t_s: the header has no t_s column" in str(info.value)


def test_unknown_content_lists_the_formats(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("# header comment\ntime,x,y,z\n0,1,2,3\n")
    with pytest.raises(RecordingError) as info:
        load_recording(path)
    message = str(info.value)
    assert message.startswith(
        f"{path}: row 2: not a recognised recording (the line is 'time,x,y,z')"
    )
    for name in ("csv", "wisdm", "parquet", "--format"):
        assert name in message


def test_unknown_format_name(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("t_s,seat_p00\n0,1\n")
    with pytest.raises(RecordingError, match=r"r\.csv: unknown format 'fit'; use one of auto, csv"):
        load_recording(path, "fit")


def test_missing_file(tmp_path: Path) -> None:
    for fmt in FORMATS:
        with pytest.raises(RecordingError) as info:
            load_recording(tmp_path / "gone.csv", fmt)
        assert str(info.value) == f"{tmp_path / 'gone.csv'}: no such file; check the path"


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="is a directory; name a recording file"):
        load_recording(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(RecordingError, match=r"empty\.csv: row 1: the file is empty"):
        load_recording(path)


def test_only_comments(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("# a\n# b\n")
    with pytest.raises(RecordingError, match=r"c\.csv: row 2: only comments or blank lines"):
        load_recording(path)
