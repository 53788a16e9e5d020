"""Blocks parsed ahead in a thread (issue 14; a Parquet file's batches): every block
in order, the reader's errors where they happened, a caller that stops early stops
the reader."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from collector.recordings.read_ahead import read_ahead


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
