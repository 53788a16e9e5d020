"""Reusable scratch arrays for per-step temporaries.

Each fresh large numpy array is new memory the kernel has to map page by page; on
a day or week of 1 Hz steps those page faults cost as much as the arithmetic. The
hot paths therefore compute their temporaries into per-thread scratch buffers that
live between calls. Results never alias a scratch buffer: callers reduce them to
scalars or copy what they return.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt

MAX_CACHED_STEPS = 1_300_000
"""Larger inputs get fresh arrays. About two weeks of 1 Hz steps: the buffers a
thread keeps stay within a few tens of MB (a Raspberry Pi is a target)."""

_local = threading.local()


def scratch(slot: str, n: int, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """An uninitialised array of ``n`` elements for the temporary named ``slot``."""
    dt = np.dtype(dtype)
    if n > MAX_CACHED_STEPS:
        return np.empty(n, dtype=dt)
    cache: dict[tuple[str, str], npt.NDArray[Any]] = _local.__dict__.setdefault("bufs", {})
    key = (slot, dt.str)
    buf = cache.get(key)
    if buf is None or buf.shape[0] < n:
        buf = np.empty(max(n, 1024), dtype=dt)
        cache[key] = buf
    return buf[:n]
