"""A CSV's data rows parsed in blocks by two threads at once (issue 14): the same
columns as one parse of the whole file, whatever the block size and line ends; two
blocks really parsed at the same time, never in the caller's thread; a rejected
block raises where it comes; a caller that stops early stops the pool."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from collector.recordings import RecordingError, chunked, write_recording
from collector.recordings.chunked import CHUNK_BYTES
from collector.recordings.csv_blocks import BlockReaderError, line_blocks, parsed_blocks
from collector.recordings.csv_reader import pyarrow_options, read_header
from collector.recordings.csv_writer import write_csv_chunk
from collector.sources.simulator import simulate
from tests.collector.recordings.fresh_process import last_line_of

USED = ("t_s", "thigh_ax_g", "thigh_ay_g", "thigh_az_g")


@pytest.fixture(scope="module")
def desk_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("blocks") / "desk.csv"
    write_recording(simulate("desk", 0.2, seed=4, trunk=False).recording, path)
    return path


def _whole(path: Path) -> dict[str, np.ndarray]:
    header = read_header(path)
    table = pacsv.read_csv(path, **pyarrow_options((pa, pacsv), header, USED))
    return {n: table.column(n).to_numpy() for n in USED}


def _joined(path: Path, block_bytes: int) -> dict[str, np.ndarray]:
    blocks = list(parsed_blocks((pa, pacsv), path, read_header(path), USED, block_bytes))
    assert blocks
    return {n: np.concatenate([b[n] for b in blocks]) for n in USED}


@pytest.mark.parametrize("block_bytes", [1, 37, 1_000, 65_536, 1 << 20])
def test_the_blocks_are_the_whole_files_columns(desk_csv: Path, block_bytes: int) -> None:
    want, got = _whole(desk_csv), _joined(desk_csv, block_bytes)
    for n in USED:
        np.testing.assert_array_equal(got[n], want[n])


@pytest.mark.parametrize("variant", ["crlf", "no-last-newline", "blank-lines", "bom"])
def test_line_ends_and_blank_lines(desk_csv: Path, tmp_path: Path, variant: str) -> None:
    text = desk_csv.read_bytes()
    head, _, body = text.partition(b"t_s,")
    body = b"t_s," + body
    if variant == "crlf":
        body = body.replace(b"\n", b"\r\n")
    elif variant == "no-last-newline":
        body = body.rstrip(b"\n")
    elif variant == "blank-lines":
        lines = body.split(b"\n")
        body = b"\n".join(line + (b"\n" if i % 97 == 5 else b"") for i, line in enumerate(lines))
    else:
        head = b"\xef\xbb\xbf" + head
    path = tmp_path / f"{variant}.csv"
    path.write_bytes(head + body)
    want, got = _whole(desk_csv), _joined(path, 4_096)
    for n in USED:
        np.testing.assert_array_equal(got[n], want[n])


def test_line_blocks_end_at_line_ends(desk_csv: Path) -> None:
    blocks = [bytes(b) for b in line_blocks(desk_csv, 2, 1_000)]
    assert all(b.endswith(b"\n") for b in blocks)
    assert b"".join(blocks) == b"".join(desk_csv.read_bytes().splitlines(keepends=True)[2:])


@pytest.mark.parametrize("block_bytes", [1, 7, 64, 4_096])
@pytest.mark.parametrize("tail", [b"", b"\n", b"9,9\n\n", b"1,2"])
def test_line_blocks_keep_every_byte(tmp_path: Path, block_bytes: int, tail: bytes) -> None:
    """Blocks smaller than a line, empty lines, a last line without its end: the
    blocks join to the file after its skipped lines, each ends at a line end but
    the unended last one."""
    path = tmp_path / "lines.csv"
    body = b"".join(b"%d,%d\n" % (i, i * 37) for i in range(300)) + b"x" * 200 + b"\n" + tail
    path.write_bytes(b"head\nnames\n" + body)
    blocks = [bytes(b) for b in line_blocks(path, 2, block_bytes)]
    assert b"".join(blocks) == body
    assert all(b.endswith(b"\n") for b in blocks[:-1])
    assert all(blocks)


def test_two_blocks_are_parsed_at_once_and_never_in_the_callers_thread(
    desk_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first two parses wait for each other: with one parsing thread (or the
    parse in the caller's thread) the barrier breaks."""
    together = threading.Barrier(2, timeout=10.0)
    parsed_in: set[int] = set()
    read_csv = pacsv.read_csv
    calls: list[bool] = []

    def spied(source: Any, **options: Any) -> Any:
        calls.append(options["read_options"].use_threads)
        parsed_in.add(threading.get_ident())
        if len(calls) <= 2:
            together.wait()
        return read_csv(source, **options)

    monkeypatch.setattr(pacsv, "read_csv", spied)
    streamed = chunked.stream_epochs(desk_csv, chunk_bytes=65_536)
    assert streamed is not None
    assert len(parsed_in) == 2
    assert threading.get_ident() not in parsed_in
    # each block on its worker alone: with pyarrow's own threads besides, a day at
    # 50 Hz held 12 MB more (issue 16's memory bound) and was no faster
    assert len(calls) > 2
    assert not any(calls)


def test_a_rejected_block_raises_after_the_blocks_before_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    write_recording(simulate("desk", 0.05, seed=2, trunk=False).recording, path)
    lines = path.read_text().splitlines(keepends=True)
    lines[500] = "not,a,number,here\n"
    path.write_text("".join(lines))
    blocks = parsed_blocks((pa, pacsv), path, read_header(path), USED, 1_000)
    rows = 0

    def read_all() -> None:
        nonlocal rows
        for b in blocks:
            rows += b["t_s"].shape[0]

    with pytest.raises(BlockReaderError):
        read_all()
    assert 400 < rows < 500  # the rows of the blocks before the bad one came


_POOL_PEAK = """
import sys, time
import pyarrow as pa
from analytics.epoch_stream import EpochBuilder
from collector.recordings.chunked import stream_epochs

add = EpochBuilder.add


def slow_add(self, *args):  # a slow core: each block's reduction takes 20 ms longer
    time.sleep(0.02)
    return add(self, *args)


EpochBuilder.add = slow_add
assert stream_epochs(sys.argv[1]) is not None
print(pa.default_memory_pool().max_memory())
"""


def test_the_reader_holds_a_few_blocks_of_pyarrow_memory_whatever_the_files_length(
    tmp_path: Path,
) -> None:
    """pyarrow's streaming reader read ahead of a slower reduction, up to about 40
    MB of the file (a day at 50 Hz peaked at 1.5-1.6 x its float32 samples, over
    issue 16's bound); the blocks now in flight are at most the two parsed and one
    waiting, besides the one reduced, however slow the reduction. Measured in a
    fresh process: pyarrow's memory pool's peak, which only the reader uses."""
    path = tmp_path / "long.csv"
    with open(path, "wb") as f:
        for i in range(3):  # 3 h of 50 Hz thigh + trunk: about 40 MB
            rec = simulate("desk", 1.0, seed=40 + i, start_t_s=1.7e9 + 3600.0 * i).recording
            write_csv_chunk(f, rec, header=i == 0)
    assert path.stat().st_size > 16 * CHUNK_BYTES
    peak_bytes = int(last_line_of(_POOL_PEAK, str(path)))
    assert peak_bytes <= 8 * CHUNK_BYTES, peak_bytes


def test_a_caller_that_stops_early_stops_the_pool(desk_csv: Path) -> None:
    before = threading.active_count()
    blocks = parsed_blocks((pa, pacsv), desk_csv, read_header(desk_csv), USED, 1_000)
    next(blocks)
    assert threading.active_count() > before
    blocks.close()
    assert threading.active_count() == before


def test_a_problem_row_stops_the_reader(tmp_path: Path) -> None:
    """The reduction stops at a problem row: the reader stops with it, not when the
    error's traceback is let go."""
    rec = simulate("desk", 0.5, seed=5, trunk=False).recording
    path = tmp_path / "desk.csv"
    write_recording(rec, path)
    lines = path.read_text().splitlines(keepends=True)
    back = lines[300].split(",")[0]
    lines[400] = ",".join([back, *lines[400].split(",")[1:]])  # time goes backwards
    path.write_text("".join(lines))
    before = threading.active_count()
    with pytest.raises(RecordingError, match="row 401") as raised:
        chunked.stream_epochs(path, chunk_bytes=4096)
    assert raised.value is not None  # the traceback is still held here
    assert threading.active_count() == before
