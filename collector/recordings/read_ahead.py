"""Blocks of a file parsed ahead, in a thread, while the caller works on the previous
ones (issue 14: ``sitload analyze`` of a Parquet file; a CSV's blocks are parsed two
at a time, :mod:`collector.recordings.csv_blocks`).

pyarrow decodes a batch, and numpy works on the batch before, without holding the
GIL, so on two cores the decoding and the per-second reduction of
:mod:`collector.recordings.chunked` overlap. The blocks arrive in order, every one
of them; an exception of the reader reaches the caller at the block where it
happened, and a caller that stops early (a problem in a row) stops the reader."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Final, Generic, TypeVar

T = TypeVar("T")

DEPTH: Final = 1
"""Blocks parsed ahead at most: one is enough for the decoding and the reduction
to overlap; four held 10-20 MB more at the peak of a day at 50 Hz (1.57 × the
float32 samples, over issue 16's 1.5, ``bench/memory_analyze.py``) and were no
faster."""


class _End:
    """The reader's last item: nothing more (``error`` None) or its exception."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class _Reader(Generic[T]):
    def __init__(self, blocks: Callable[[], Iterator[T]], depth: int) -> None:
        self.items: queue.Queue[T | _End] = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self._blocks = blocks
        self.thread = threading.Thread(target=self._run, name="sitload-read-ahead", daemon=True)

    def _run(self) -> None:
        try:
            for item in self._blocks():
                self.items.put(item)
                if self.stop.is_set():
                    return
        except BaseException as exc:  # handed to the caller, who raises it
            self.items.put(_End(exc))
        else:
            self.items.put(_End(None))

    def close(self) -> None:
        """Stop the reader: it stops after the block it is parsing (room is made in
        the queue for it)."""
        self.stop.set()
        while self.thread.is_alive():
            try:
                while True:
                    self.items.get_nowait()
            except queue.Empty:
                pass
            self.thread.join(timeout=0.01)


def read_ahead(blocks: Callable[[], Iterator[T]], depth: int = DEPTH) -> Generator[T, None, None]:
    """The items of ``blocks()``, in order, made in a thread up to ``depth`` ahead of
    the caller. ``blocks()`` is called in that thread."""
    reader = _Reader(blocks, depth)
    reader.thread.start()
    try:
        while True:
            item = reader.items.get()
            if isinstance(item, _End):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        reader.close()
