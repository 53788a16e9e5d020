"""A sitload CSV's data rows parsed in blocks by two threads at once, handed over in
file order (issue 14: ``sitload analyze`` of a day).

The data rows are cut at line ends into blocks of about ``block_bytes`` (read here,
in the caller's thread: a copy from the page cache), and each block is parsed by
pyarrow, typed float64 columns with the options of
:func:`~collector.recordings.csv_reader.pyarrow_options`, in a pool of ``workers``
threads. pyarrow parses without holding the GIL, so on two cores two blocks are
parsed while the caller reduces the block before: with one parsing thread, the
parse was the longest path of a day's ``analyze`` (the reduction takes about half
its time). At most ``workers + 1`` blocks are parsed ahead of the caller, so the
memory stays that of a few blocks whatever the file's length.

The blocks come in order, every one of them; a block pyarrow rejects raises
:class:`BlockReaderError` where that block comes (the whole-file reader then words
the problem); a caller that stops early stops the pool (the blocks being parsed are
finished, the others dropped).
"""

from __future__ import annotations

import collections
import os
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

from analytics.records import FloatArray
from collector.recordings.csv_reader import CsvHeader, pyarrow_options
from collector.recordings.parquet_format import as_float

WORKERS: Final = 2
"""Threads parsing at once: the cores of a small machine (a Raspberry Pi has four;
the caller's reduction takes about as much as one of them)."""


class BlockReaderError(Exception):
    """pyarrow rejected a block (or the file could not be read); the whole-file reader
    knows why."""


def line_blocks(
    path: str | os.PathLike[str], skip_lines: int, block_bytes: int
) -> Iterator[memoryview]:
    """The file's bytes after its first ``skip_lines`` lines, in blocks of about
    ``block_bytes`` that end at a line end (or at the end of the file).

    Each block is read once, into a buffer of its own (the part line after a block's
    last line end is carried to the front of the next one): no block is copied again
    on its way to the parser (appending the rest of its last line to a block copied
    the whole block again)."""
    with open(path, "rb") as f:
        for _ in range(skip_lines):
            if not f.readline():
                return
        carry = b""
        while True:
            buf = bytearray(len(carry) + block_bytes)
            buf[: len(carry)] = carry
            view = memoryview(buf)
            size = len(carry) + f.readinto(view[len(carry) :])
            if size == len(carry):  # the end of the file: the last line, unended
                if carry:
                    yield view[:size]
                return
            end = buf.rfind(b"\n", 0, size) + 1
            if end == 0:  # a line longer than a block: the block runs to its end
                yield memoryview(bytes(view[:size]) + f.readline())
                carry = b""
                continue
            carry = bytes(view[end:size])
            yield view[:end]


def parsed_blocks(
    pa_csv: tuple[Any, Any],
    path: str | os.PathLike[str],
    header: CsvHeader,
    used: Sequence[str],
    block_bytes: int,
    workers: int = WORKERS,
) -> Generator[dict[str, FloatArray], None, None]:
    """The ``used`` columns of the data rows of ``path`` (after ``header``), block by
    block in file order, each block parsed in one of ``workers`` threads."""
    pa, pacsv = pa_csv
    options = pyarrow_options(pa_csv, header, used)
    names = options.pop("read_options").column_names

    def parse(chunk: memoryview) -> dict[str, FloatArray]:
        # the block is one pyarrow block, parsed on this worker's thread alone (not on
        # pyarrow's threads too), from its first line: a data row
        read = pacsv.ReadOptions(column_names=names, use_threads=False, block_size=len(chunk) + 1)
        table = pacsv.read_csv(pa.py_buffer(chunk), read_options=read, **options)
        return {name: as_float(pa, table.column(name)) for name in used}

    def result(job: Future[dict[str, FloatArray]]) -> dict[str, FloatArray]:
        try:
            return job.result()
        except (pa.ArrowException, ValueError):
            raise BlockReaderError from None

    pending: collections.deque[Future[dict[str, FloatArray]]] = collections.deque()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sitload-csv")
    try:
        chunks = line_blocks(path, header.row, block_bytes)
        for chunk in chunks:
            pending.append(pool.submit(parse, chunk))
            if len(pending) > workers:
                columns = result(pending.popleft())
                if columns[used[0]].shape[0]:
                    yield columns
        while pending:
            columns = result(pending.popleft())
            if columns[used[0]].shape[0]:
                yield columns
    except OSError:
        raise BlockReaderError from None
    finally:
        for job in pending:
            job.cancel()
        pool.shutdown(wait=True)
