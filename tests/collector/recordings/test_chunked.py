"""Streaming CSV reads: the same epochs, the same errors, bounded memory."""

from __future__ import annotations

import dataclasses
import itertools
import math
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.epochs import epochs_from_recording
from analytics.pipeline import analyze_recording
from analytics.records import Epochs, Recording
from collector.recording_analysis import analyze_file
from collector.recordings import RecordingError, chunked, read_csv, read_parquet, write_recording
from collector.recordings.acc_units import acc_unit_factor
from collector.recordings.chunked import stream_epochs
from collector.recordings.csv_schema import THIGH_ACC_COLUMNS as THIGH
from collector.recordings.csv_writer import write_csv_chunk
from collector.sources.simulator import simulate


@pytest.fixture(scope="module")
def desk_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rec = simulate("desk", 0.4, seed=8).recording
    assert rec.trunk_acc_g is not None
    trunk = rec.trunk_acc_g.copy()
    trunk[np.random.default_rng(1).random(rec.n) < 0.01] = np.nan  # trunk sent nothing
    path = tmp_path_factory.mktemp("chunked") / "desk.csv"
    write_recording(dataclasses.replace(rec, trunk_acc_g=trunk), path)
    return path


def _same(a: Epochs, b: Epochs) -> None:
    assert a.t0_s == b.t0_s
    for f in dataclasses.fields(Epochs):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y, equal_nan=True), f.name
        else:
            assert x == y, f.name


@pytest.mark.parametrize("chunk_bytes", [1_000, 7_777, 65_536, 1 << 20])
def test_streamed_epochs_are_the_one_shot_epochs(desk_csv: Path, chunk_bytes: int) -> None:
    streamed = stream_epochs(desk_csv, chunk_bytes=chunk_bytes)
    assert streamed is not None
    (seg,) = streamed.segments
    _same(seg.epochs, epochs_from_recording(read_csv(desk_csv).recording))
    assert streamed.first_rows == (3,)  # a comment line and the header come first


def test_the_file_is_parsed_once_whatever_its_size(
    desk_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rhythm windows are worked out while reading (issue 14): one pass over the
    file, a large one too (before, a file over 128 MB was read twice), with the
    one-shot epochs."""
    passes: list[int] = []
    blocks = chunked.parsed_blocks

    def counted(*args: Any) -> Iterator[dict[str, Any]]:
        passes.append(1)
        return blocks(*args)

    monkeypatch.setattr(chunked, "parsed_blocks", counted)
    small = stream_epochs(desk_csv, chunk_bytes=65_536)
    assert len(passes) == 1
    with monkeypatch.context() as m:  # a file of a week
        m.setattr(chunked.os.path, "getsize", lambda _: 3 << 30)
        large = stream_epochs(desk_csv, chunk_bytes=65_536)
    assert len(passes) == 2
    assert small is not None
    assert large is not None
    (a,), (b,) = small.segments, large.segments
    _same(a.epochs, b.epochs)
    _same(a.epochs, epochs_from_recording(read_csv(desk_csv).recording))
    assert np.isfinite(a.epochs.thigh_stride_ratio).any()  # the rhythm had work


def test_a_streamed_analysis_is_the_one_shot_analysis(desk_csv: Path) -> None:
    found = analyze_file(desk_csv)
    assert found.streamed
    (seg,) = found.segments
    want = analyze_recording(read_csv(desk_csv).recording)
    assert seg.analysis.thigh is not None
    assert want.thigh is not None
    assert np.array_equal(seg.analysis.thigh.up, want.thigh.up)
    assert np.array_equal(seg.analysis.thigh.forward, want.thigh.forward)
    assert np.array_equal(seg.analysis.timeline.posture, want.timeline.posture)
    assert np.array_equal(
        seg.analysis.timeline.hip_flexion_deg, want.timeline.hip_flexion_deg, equal_nan=True
    )


def _edit(src: Path, dst: Path, line: int, change: Callable[[str], str]) -> Path:
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[line - 1] = change(lines[line - 1])
    dst.write_text("".join(lines), encoding="utf-8")
    return dst


@pytest.mark.parametrize(
    "change",
    [
        lambda s: "1.0" + s[s.index(",") :],  # time goes backwards
        lambda s: s.replace(",", ",inf,", 1).rsplit(",", 1)[0] + "\n",  # not finite
        lambda s: s[: s.rindex(",") + 1] + "\n",  # one trunk axis missing
    ],
    ids=["backwards", "infinite", "partial-group"],
)
@pytest.mark.parametrize("line", [4, 1_000, 30_000])
def test_problems_name_the_same_row_as_the_whole_file_reader(
    desk_csv: Path, tmp_path: Path, change: Callable[[str], str], line: int
) -> None:
    bad = _edit(desk_csv, tmp_path / "bad.csv", line, change)
    with pytest.raises(RecordingError) as whole:
        read_csv(bad)
    with pytest.raises(RecordingError) as streamed:
        stream_epochs(bad, chunk_bytes=4_096)
    assert str(streamed.value) == str(whole.value)
    assert f"row {line}" in str(streamed.value)


@pytest.mark.parametrize(
    "change",
    [
        lambda s: "1.0" + s[s.index(",") :],  # time goes backwards
        lambda s: s.replace(",", ",inf,", 1).rsplit(",", 1)[0] + "\n",  # not finite
        lambda s: s[: s.rindex(",") + 1] + "\n",  # one trunk axis missing
    ],
    ids=["backwards", "infinite", "partial-group"],
)
def test_problems_at_every_block_edge_name_the_same_row(
    desk_csv: Path, tmp_path: Path, change: Callable[[str], str]
) -> None:
    """Blocks of 1000 bytes hold about 12 rows: a problem in each of 40 rows in turn
    falls on the first and last rows of blocks too."""
    head = desk_csv.read_text(encoding="utf-8").splitlines(keepends=True)[:120]
    short = tmp_path / "short.csv"
    short.write_text("".join(head), encoding="utf-8")
    for line in range(40, 80):
        if head[line - 1].rstrip("\n").endswith(","):
            continue  # the trunk sent nothing in this row: no axis to take away
        bad = _edit(short, tmp_path / "bad.csv", line, change)
        with pytest.raises(RecordingError) as whole:
            read_csv(bad)
        with pytest.raises(RecordingError) as streamed:
            stream_epochs(bad, chunk_bytes=1_000)
        assert str(streamed.value) == str(whole.value)
        assert f"row {line}" in str(streamed.value)


@pytest.mark.parametrize("chunk_rows", [1, 977, 65_536])
def test_streamed_parquet_epochs_are_the_one_shot_epochs(
    desk_csv: Path, tmp_path: Path, chunk_rows: int
) -> None:
    path = tmp_path / "desk.parquet"
    write_recording(read_csv(desk_csv).recording, path)
    streamed = stream_epochs(path, fmt="parquet", chunk_rows=chunk_rows)
    assert streamed is not None
    assert streamed.first_rows == (1,)
    (seg,) = streamed.segments
    _same(seg.epochs, epochs_from_recording(read_parquet(path).recording))


@pytest.mark.parametrize("index", [0, 5_000, 40_000])
def test_parquet_problems_name_the_same_record(desk_csv: Path, tmp_path: Path, index: int) -> None:
    rec = read_csv(desk_csv).recording
    t = rec.t_s.copy()
    t[index + 1] = t[index]  # a repeated time
    path = tmp_path / "bad.parquet"
    pq.write_table(
        pa.table({"t_s": t, **{c: rec.thigh_acc_g[:, j] for j, c in enumerate(THIGH)}}), path
    )
    with pytest.raises(RecordingError) as whole:
        read_parquet(path)
    with pytest.raises(RecordingError) as streamed:
        stream_epochs(path, fmt="parquet", chunk_rows=1_000)
    assert str(streamed.value) == str(whole.value)
    assert f"record {index + 2}" in str(streamed.value)


def test_files_the_block_reader_rejects_are_read_whole(desk_csv: Path, tmp_path: Path) -> None:
    commented = _edit(desk_csv, tmp_path / "c.csv", 500, lambda s: s + "# a note\n")
    assert stream_epochs(commented) is None
    found = analyze_file(commented)
    assert not found.streamed
    a, b = found.segments[0].analysis, analyze_file(desk_csv).segments[0].analysis
    assert np.array_equal(a.timeline.posture, b.timeline.posture)


def test_recordings_in_m_s2_are_read_whole_and_converted(desk_csv: Path, tmp_path: Path) -> None:
    rec = read_csv(desk_csv).recording
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    path = tmp_path / "ms2.csv"
    scaled = dataclasses.replace(
        rec, thigh_acc_g=rec.thigh_acc_g * 9.80665, trunk_acc_g=rec.trunk_acc_g * 9.80665
    )
    write_recording(scaled, path)
    assert stream_epochs(path) is None
    found = analyze_file(path)
    assert not found.streamed
    assert any("m/s²" in w for w in found.warnings)
    want = analyze_file(desk_csv).segments[0].analysis.timeline.posture
    agree = np.mean(found.segments[0].analysis.timeline.posture == want)
    assert agree > 0.99


def test_seat_recordings_are_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "seat.csv"
    write_recording(simulate("desk", 0.1, seed=2, seat=True).recording, path)
    assert stream_epochs(path) is None
    assert analyze_file(path).segments[0].analysis.seat is not None


def _peak_bytes(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _desk_hours(path: Path, hours: float) -> int:
    """``hours`` of 50 Hz thigh + trunk samples written in 1-hour pieces; the rows."""
    rows = 0
    with open(path, "wb") as f:
        for i in range(math.ceil(hours)):
            rec: Recording = simulate(
                "desk", min(1.0, hours - i), seed=30 + i, start_t_s=1.7e9 + 3600.0 * i
            ).recording
            write_csv_chunk(f, rec, header=i == 0)
            rows += rec.n
    return rows


def test_memory_of_a_long_analysis_follows_the_seconds_not_the_samples(tmp_path: Path) -> None:
    """From half an hour to four hours of 50 Hz thigh + trunk, the streamed analysis's
    peak grows by less than the added samples take as the float64 arrays that every
    whole-file read holds (it grows with the per-second arrays only, about 1 kB a
    second against 2.8 kB of samples); reading the files whole grows by more."""
    short, long = tmp_path / "short.csv", tmp_path / "long.csv"
    added_samples_bytes = (_desk_hours(long, 4.0) - _desk_hours(short, 0.5)) * 7 * 8
    streamed = _peak_bytes(lambda: analyze_file(long)) - _peak_bytes(lambda: analyze_file(short))
    assert streamed < added_samples_bytes, (streamed, added_samples_bytes)

    def whole(path: Path) -> int:
        return _peak_bytes(lambda: analyze_recording(read_csv(path).recording))

    assert whole(long) - whole(short) > added_samples_bytes


_EDGES = (0.2, 1 / 1.3, 1.3, 1.0, 9.80665)


@settings(max_examples=300, deadline=None)
@given(
    picks=st.lists(
        st.tuples(st.integers(0, len(_EDGES) - 1), st.integers(-3, 3), st.booleans()),
        min_size=1,
        max_size=40,
    ),
    cuts=st.lists(st.integers(0, 40), max_size=4),
    axis=st.integers(0, 2),
)
def test_unit_counts_never_keep_what_the_whole_file_check_converts(
    picks: list[tuple[int, int, bool]], cuts: list[int], axis: int
) -> None:
    """Magnitudes on the unit check's bounds and a few ulps either side, rows with a
    missing axis, any cut into blocks: "surely g" only where the whole-file check
    keeps the data as it is (factor 1)."""
    acc = np.full((len(picks), 3), np.nan)
    for i, (edge, ulps, missing) in enumerate(picks):
        mag = _EDGES[edge]
        for _ in range(abs(ulps)):
            mag = float(np.nextafter(mag, np.inf if ulps > 0 else 0.0))
        acc[i] = 0.0
        acc[i, axis] = mag
        if missing:
            acc[i, (axis + 1) % 3] = np.nan
    counts = chunked._UnitCounts()
    for a, b in itertools.pairwise([0, *sorted(c % (len(picks) + 1) for c in cuts), len(picks)]):
        counts.add(acc[a:b, 0], acc[a:b, 1], acc[a:b, 2])
    factor, _median = acc_unit_factor(acc)
    if counts.surely_g():
        assert factor == 1.0


def test_unit_counts_are_sure_of_data_in_g() -> None:
    rng = np.random.default_rng(3)
    acc = rng.normal(0.0, 0.3, (10_000, 3)) + np.array([0.0, 0.0, 1.0])
    acc[::7] = np.nan
    counts = chunked._UnitCounts()
    counts.add(acc[:, 0], acc[:, 1], acc[:, 2])
    assert counts.n == 10_000 - len(range(0, 10_000, 7))
    assert counts.surely_g()
    counts.add(*(9.80665 * acc[:, j] for j in range(3)))  # as much again in m/s²
    assert not counts.surely_g()
