"""The C heap kept for reuse while a recording is read in blocks (issue 14: ``sitload
analyze`` of a day).

The per-second reduction of each block (:mod:`collector.recordings.chunked`) makes
numpy temporaries the size of a block's columns, about 0.2 to 1.2 MB, and frees them
before the next block. With glibc's default settings such a buffer is either mapped
for itself and unmapped when freed, or taken from the top of the heap, which is
trimmed back as soon as more than twice the largest freed buffer lies free there:
either way the next block's buffers are new pages to the kernel, a page fault every
4 kB. Reading a day at 25 Hz (102 MB of CSV) took 20,000 page faults, and the whole
``analyze`` 26,000, with a sixth of its CPU in the kernel.

:func:`reuse_freed_heap` sets two of glibc's ``mallopt`` parameters for the rest of
the process: buffers below ``MMAP_THRESHOLD_BYTES`` come from the heap, and up to
``TRIM_THRESHOLD_BYTES`` of free memory at its top stay with the process. The same
reading now takes 7,000 faults (the whole command 17,000, most of them its imports'),
and the command 0.96 × the wall time and the CPU (paired runs). Kept pages would
stay with the process after the reading too (a day at 50 Hz peaked about 10 MB
higher), so :func:`give_back_freed_heap` returns the free ones when the reading is
done, and the peak RSS is what it was (``bench/memory_analyze.py``). Elsewhere
(another C library, no ``mallopt``) both do nothing.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

M_TRIM_THRESHOLD: Final = -1
M_MMAP_THRESHOLD: Final = -3
"""glibc's ``mallopt`` parameter numbers (``malloc.h``)."""

MMAP_THRESHOLD_BYTES: Final = 4 << 20
"""Buffers at least this large are mapped for themselves (and numpy asks huge pages
for them): a block's temporaries are below 2 MB, a week's per-second column 5 MB."""
TRIM_THRESHOLD_BYTES: Final = 32 << 20
"""Free memory at the top of the heap kept rather than given back: a few blocks'
worth (128 MB was no faster)."""


@contextmanager
def heap_kept() -> Iterator[None]:
    """Blocks read inside: the heap kept for reuse (:func:`reuse_freed_heap`), and its
    free pages given back on the way out, whatever the way (:func:`give_back_freed_heap`).
    The thresholds stay set: ``mallopt`` cannot hand glibc back its own adjustment."""
    reuse_freed_heap()
    try:
        yield
    finally:
        give_back_freed_heap()


def reuse_freed_heap() -> bool:
    """Set the heap's thresholds (module notes); False where there is no glibc
    ``mallopt`` or it refused."""
    mallopt = _c_function("mallopt", ctypes.c_int, ctypes.c_int)
    if mallopt is None:
        return False
    done = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    done &= mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    return bool(done)


def give_back_freed_heap() -> None:
    """Give the heap's free pages back to the kernel (glibc ``malloc_trim``): when
    the blocks are read, before the analysis of their seconds."""
    trim = _c_function("malloc_trim", ctypes.c_size_t)
    if trim is not None:
        trim(0)


def _c_function(name: str, *argtypes: type[ctypes._SimpleCData[Any]]) -> Any | None:
    """The C library's function ``name`` returning an int, None where this process has
    none (not glibc; on Windows there is no process-wide C library to look in)."""
    try:
        fn = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError, TypeError):
        return None
    fn.argtypes = argtypes
    fn.restype = ctypes.c_int
    return fn
