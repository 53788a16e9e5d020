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

from analytics.live_window import RhythmMemo, SecondStats, WindowSamples, window_epochs
from analytics.records import FloatArray, Recording

THIGH, TRUNK, SEAT, BIKE = "thigh", "trunk", "seat", "bike"
"""Where a sensor sits (the values of ``collector.sources.messages.Role``)."""
REC_FIELD = {THIGH: "thigh_acc_g", TRUNK: "trunk_acc_g", SEAT: "seat_p", BIKE: "cadence_rpm"}
"""The recording column each sensor's samples fill."""
STATS_KIND = {THIGH: "vector", TRUNK: "mean", BIKE: "scalar"}
"""The per-second statistics kept of each sensor (see :class:`SecondStats`)."""


@dataclass
class SampleBuffer:
    """One role's samples, oldest first."""

    t_s: FloatArray = field(default_factory=lambda: np.empty(0))
    values: FloatArray | None = None
    parts: list[tuple[FloatArray, FloatArray]] = field(default_factory=list)
    last_t_s: float = -math.inf

    @property
    def n(self) -> int:
        return int(self.t_s.shape[0]) + sum(int(p[0].shape[0]) for p in self.parts)

    def add(self, t_s: FloatArray, values: FloatArray) -> int:
        keep = t_s > self.last_t_s  # a clock that steps back: drop what overlaps
        if not keep.all():
            t_s, values = t_s[keep], values[keep]
        if t_s.shape[0]:
            self.parts.append((t_s, values))
            self.last_t_s = float(t_s[-1])
        return int((~keep).sum())

    def merged(self) -> tuple[FloatArray, FloatArray | None]:
        if self.parts:
            ts = [self.t_s, *(p[0] for p in self.parts)]
            vs = [*([] if self.values is None else [self.values]), *(p[1] for p in self.parts)]
            self.t_s, self.values = np.concatenate(ts), np.concatenate(vs)
            self.parts.clear()
        return self.t_s, self.values

    def trim(self, before_t_s: float) -> None:
        t, v = self.merged()
        cut = int(np.searchsorted(t, before_t_s))
        if cut and v is not None:
            self.t_s, self.values = t[cut:], v[cut:]


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
        parts: dict[str, tuple[SecondStats, FloatArray, FloatArray]] = {}
        for role, stats in self.stats.items():
            buf = buffers[role]
            t, v = buf.merged()
            if v is None:
                continue
            stats.update(t, v, math.floor(buf.last_t_s), keep_from_s)
            lo, hi = np.searchsorted(t, [from_s, to_s])
            if hi > lo:
                parts[role] = (stats, t[lo:hi], v[lo:hi])
        if THIGH not in parts:
            return None
        t0 = math.floor(min(float(p[1][0]) for p in parts.values()))
        n_sec = math.floor(max(float(p[1][-1]) for p in parts.values())) - t0 + 1
        return window_epochs(
            t0, n_sec, parts[THIGH], parts.get(TRUNK), parts.get(BIKE), self.rhythm
        )
