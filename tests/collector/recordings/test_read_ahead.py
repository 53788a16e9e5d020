"""Blocks parsed ahead in a thread (issue 14): every block in order, the reader's
errors where they happened, a caller that stops early stops the reader, and the
streamed CSV read parses in that thread while the blocks are reduced."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pytest

from collector.recordings import RecordingError, chunked, write_recording
from collector.recordings.read_ahead import read_ahead
from collector.sources.simulator import simulate


def test_every_item_comes_in_order_from_another_thread() -> None:
    made_in: set[int] = set()

    def items() -> Iterator[int]:
        for i in range(100):
            made_in.add(threading.get_ident())
            yield i

    assert list(read_ahead(items, depth=3)) == list(range(100))
    assert made_in
    assert threading.get_ident() not in made_in


def test_the_readers_error_comes_after_the_items_before_it() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("cell 3 is not a number")

    blocks = read_ahead(items)
    assert [next(blocks), next(blocks)] == [1, 2]
    with pytest.raises(ValueError, match="cell 3"):
        next(blocks)


def test_a_caller_that_stops_early_stops_the_reader() -> None:
    closed = threading.Event()

    def items() -> Iterator[int]:
        try:
            i = 0
            while True:  # a file without end
                yield i
                i += 1
        finally:
            closed.set()

    before = threading.active_count()
    blocks = read_ahead(items, depth=2)
    for i in blocks:
        if i == 10:
            break
    blocks.close()  # what a `for` loop left by an exception does too
    assert threading.active_count() == before
    assert closed.wait(5.0)


def test_the_streamed_read_parses_in_another_thread_than_the_reduction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "desk.csv"
    write_recording(simulate("desk", 0.2, seed=4, trunk=False).recording, path)
    parsed_in: set[int] = set()
    blocks = chunked._csv_blocks

    def spied(*args: Any) -> Iterator[dict[str, Any]]:
        for block in blocks(*args):
            parsed_in.add(threading.get_ident())
            yield block

    monkeypatch.setattr(chunked, "_csv_blocks", spied)
    streamed = chunked.stream_epochs(path, chunk_bytes=65_536)
    assert streamed is not None
    assert parsed_in
    assert threading.get_ident() not in parsed_in


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


def test_the_blocks_are_parsed_without_pyarrows_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-ahead thread parses each block alone: with pyarrow's own threads
    besides, ``analyze`` of a day at 50 Hz held 12 MB more (peak RSS 1.57 × the
    float32 samples, above the 1.5 of issue 16) and was no faster."""
    path = tmp_path / "desk.csv"
    write_recording(simulate("desk", 0.1, seed=4, trunk=False).recording, path)
    used_threads: list[bool] = []
    open_csv = pacsv.open_csv

    def spied(source: Any, **options: Any) -> Any:
        used_threads.append(options["read_options"].use_threads)
        return open_csv(source, **options)

    monkeypatch.setattr(pacsv, "open_csv", spied)
    assert chunked.stream_epochs(path) is not None
    assert used_threads == [False]
