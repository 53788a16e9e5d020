"""The live engine's sample buffers: each sensor's samples of the sliding window, the
window merged on one time base (a seat mat's windows, the calibration) or sensor by
sensor with the per-second statistics kept across steps
(:mod:`analytics.live_window`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import numpy as np

from analytics.live_window import (
    RhythmMemo,
    SecondStats,
    SensorWindow,
    WindowSamples,
    window_epochs,
)
from analytics.records import FloatArray, Recording

THIGH, TRUNK, SEAT, BIKE = "thigh", "trunk", "seat", "bike"
"""Where a sensor sits (the values of ``collector.sources.messages.Role``)."""
REC_FIELD = {THIGH: "thigh_acc_g", TRUNK: "trunk_acc_g", SEAT: "seat_p", BIKE: "cadence_rpm"}
"""The recording column each sensor's samples fill."""
STATS_KIND = {THIGH: "vector", TRUNK: "mean", BIKE: "scalar"}
"""The per-second statistics kept of each sensor (see :class:`SecondStats`)."""


@dataclass
class SampleBuffer:
    """One role's samples, oldest first, in arrays with room to grow: the blocks added
    are held as they come (no numpy work per block) and copied in once, together,
    when the samples are next read; the window's samples are views (no copy of the
    window per step). Storage is never reused while a view may hold it: when the
    room runs out the samples move to new arrays. A block's arrays must not change
    after :meth:`add` (the sources' blocks are frozen records)."""

    _t: FloatArray = field(default_factory=lambda: np.empty(0))
    _v: FloatArray | None = None
    _start: int = 0
    _end: int = 0
    last_t_s: float = -math.inf
    _pending: list[tuple[FloatArray, FloatArray]] = field(default_factory=list)
    _pending_n: int = 0
    _shape: tuple[int, ...] | None = None

    @property
    def n(self) -> int:
        return self._end - self._start + self._pending_n

    def add(self, t_s: FloatArray, values: FloatArray) -> int:
        """Hold the samples ``t_s`` (sorted) newer than the newest held; returns how
        many were older (dropped: a clock that stepped back)."""
        k = int(t_s.shape[0])
        late = 0
        if k and not float(t_s[0]) > self.last_t_s:  # sorted: else all are newer
            keep = t_s > self.last_t_s
            t_s, values = t_s[keep], values[keep]
            late = k - int(t_s.shape[0])
            k -= late
        if k:
            if self._shape is None:
                self._shape = values.shape[1:]
            elif self._shape != values.shape[1:]:
                raise ValueError(f"samples of shape {values.shape[1:]} after {self._shape}")
            self._pending.append((t_s, values))
            self._pending_n += k
            self.last_t_s = float(t_s[-1])
        return late

    def _take_pending(self) -> None:
        """Copy the blocks held into the arrays (the dtypes concatenating would give)."""
        if not self._pending:
            return
        blocks, k = self._pending, self._pending_n
        self._pending, self._pending_n = [], 0
        t_type, v_type = self._t.dtype, None if self._v is None else self._v.dtype
        if v_type is None or {b[0].dtype for b in blocks} != {t_type}:
            t_type = np.result_type(self._t, *(b[0] for b in blocks))
        if v_type is None or {b[1].dtype for b in blocks} != {v_type}:
            first = () if self._v is None else (self._v,)
            v_type = np.result_type(*first, *(b[1] for b in blocks))
        fits = self._end + k <= self._t.shape[0]
        if not (
            fits and t_type == self._t.dtype and self._v is not None and v_type == self._v.dtype
        ):
            n = self._end - self._start
            size = max(n + k + (n + k) // 4, 1024)  # room for some steps, not a second window
            t_new = np.empty(size, dtype=t_type)
            v_new = np.empty((size, *blocks[0][1].shape[1:]), dtype=v_type)
            t_new[:n] = self._t[self._start : self._end]
            if self._v is not None:
                v_new[:n] = self._v[self._start : self._end]
            self._t, self._v, self._start, self._end = t_new, v_new, 0, n
        assert self._v is not None
        end = self._end + k
        if len(blocks) == 1:
            self._t[self._end : end], self._v[self._end : end] = blocks[0]
        else:
            np.concatenate([b[0] for b in blocks], out=self._t[self._end : end])
            np.concatenate([b[1] for b in blocks], out=self._v[self._end : end])
        self._end = end

    def merged(self) -> tuple[FloatArray, FloatArray | None]:
        """The samples kept: views (valid for as long as the caller holds them)."""
        self._take_pending()
        t = self._t[self._start : self._end]
        return t, None if self._v is None else self._v[self._start : self._end]

    def trim(self, before_t_s: float) -> None:
        t, v = self.merged()
        cut = int(np.searchsorted(t, before_t_s))
        if cut and v is not None:
            self._start += cut


def merged_window(
    buffers: Mapping[str, SampleBuffer], primary: str, from_s: float, to_s: float
) -> Recording | None:
    """Every sensor's samples in ``[from_s, to_s)`` on one time base (NaN where a
    sensor has no sample); None without a sample of the ``primary`` sensor."""
    parts: list[tuple[str, FloatArray, FloatArray]] = []
    for role, buf in buffers.items():
        t, v = buf.merged()
        if v is None:
            continue
        lo, hi = np.searchsorted(t, [from_s, to_s])
        if hi > lo:
            parts.append((role, t[lo:hi], v[lo:hi]))
    if not any(role == primary for role, _, _ in parts):
        return None
    t_all = np.concatenate([p[1] for p in parts])
    order = np.argsort(t_all, kind="stable")
    n = t_all.shape[0]
    cols: dict[str, FloatArray] = {}
    start = 0
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    for role, t, v in parts:
        rows = inverse[start : start + t.shape[0]]
        start += t.shape[0]
        shape = (n,) if v.ndim == 1 else (n, v.shape[1])
        col = np.full(shape, np.nan)
        col[rows] = v
        cols[REC_FIELD[role]] = col
    return Recording(
        t_s=t_all[order],
        thigh_acc_g=cols.get("thigh_acc_g"),
        trunk_acc_g=cols.get("trunk_acc_g"),
        seat_p=cols.get("seat_p"),
        cadence_rpm=cols.get("cadence_rpm"),
    )


@dataclass(slots=True)
class KeptSeconds:
    """What the windows of a thigh (+ trunk, + bike) engine keep across steps: each
    sensor's per-second statistics and the thigh's rhythm windows."""

    stats: dict[str, SecondStats] = field(default_factory=dict)
    rhythm: RhythmMemo = field(default_factory=RhythmMemo)

    @staticmethod
    def of(roles: AbstractSet[str]) -> KeptSeconds:
        return KeptSeconds({r: SecondStats(STATS_KIND[r]) for r in roles if r in STATS_KIND})

    def window(
        self,
        buffers: Mapping[str, SampleBuffer],
        from_s: float,
        to_s: float,
        keep_from_s: int,
    ) -> WindowSamples | None:
        """The window of :func:`merged_window` (primary: the thigh), sensor by
        sensor; statistics before ``keep_from_s`` are forgotten."""
        kept: dict[str, tuple[FloatArray, FloatArray, int]] = {}
        parts: dict[str, tuple[FloatArray, FloatArray]] = {}
        for role in self.stats:
            buf = buffers[role]
            t, v = buf.merged()
            if v is None:
                continue
            kept[role] = (t, v, math.floor(buf.last_t_s))
            lo, hi = np.searchsorted(t, [from_s, to_s])
            if hi > lo:
                parts[role] = (t[lo:hi], v[lo:hi])
        if THIGH not in parts:
            for role, (t, v, complete_to) in kept.items():
                self.stats[role].update(t, v, complete_to, keep_from_s)
            return None
        t0 = math.floor(min(float(p[0][0]) for p in parts.values()))
        n_sec = math.floor(max(float(p[0][-1]) for p in parts.values())) - t0 + 1
        windows: dict[str, SensorWindow] = {}
        for role, (t, v, complete_to) in kept.items():
            stats = self.stats[role]
            if role not in parts:
                stats.update(t, v, complete_to, keep_from_s)
                continue
            part = parts[role]
            columns = stats.update_window((t, v), part, complete_to, keep_from_s, t0, n_sec)
            windows[role] = (columns, *part)
        return window_epochs(
            t0, n_sec, windows[THIGH], windows.get(TRUNK), windows.get(BIKE), self.rhythm
        )
