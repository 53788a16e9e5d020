"""Revising the live hip angle once the calibration has moved (issue 11).

The live engine computes each second's hip flexion with the calibration it has at
that moment. The thigh's and trunk's "up" follow the standing seen so far
(:mod:`analytics.calibration_evidence`), so early in a day the reference may be one
short stance with its own small lean, and every early angle is off by that lean;
the batch pipeline averages the whole day's standing. No causal estimator can tell
one stance's lean from neutral, so the prompts (causal) stay as they were, while the
figures that are *stored* (the per-second timeline, the day's totals, the day
summary) are revised with the calibration known later.

For that the engine keeps the inputs of the hip angle of the current local day
(:class:`HipDay`: posture, data state, the thigh's and trunk's mean direction and
the angle as stored, about 3 MB for a day) and recomputes them
(:func:`revised_hip_deg`, the formula of :mod:`analytics.hip_angle`) at the day's
close, before a recalibration and when the service stops. A revision is made only
when some second's angle moved by at least :data:`REVISE_FROM_DEG`.

Whether a second's angle is known never changes: posture is not revised, and a
second whose angle was unknown stays unknown. A second without a trunk direction
keeps the thigh-only angle it was given (a window without trunk samples).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt

from analytics.compression import SEATED, step_classes
from analytics.geometry import unit_rows
from analytics.hip_angle import thigh_angle_of, trunk_known, trunk_lean_of
from analytics.live_state import DayTotals
from analytics.orientation import PEDALLING_SOURCE
from analytics.records import (
    Epochs,
    FloatArray,
    Int8Array,
    IntArray,
    Posture,
    ThighCalibration,
    TrunkCalibration,
)
from analytics.rules import RULES

Float32Array = npt.NDArray[np.float32]

REVISE_FROM_DEG: Final = 0.5
"""The smallest change of a stored angle that makes a revision."""
_DATA_NONE: Final = 1  # analytics.live.DATA_NONE (live imports this module)


@dataclass(frozen=True, slots=True)
class Directions:
    """The thigh's and trunk's mean direction (unit rows, NaN: no sample) of some
    consecutive seconds; ``trunk`` None: no trunk sample in their window."""

    thigh: Float32Array
    trunk: Float32Array | None


def directions_of(
    ep: Epochs,
    from_s: int,
    n: int,
    unit: tuple[FloatArray, FloatArray | None] | None = None,
) -> Directions:
    """The directions of seconds ``[from_s, from_s + n)`` of the epochs ``ep``
    (seconds outside ``ep``: NaN); ``unit``: ``unit_rows`` of the thigh's and the
    trunk's mean vectors of all of ``ep`` when the caller has them (a row's unit
    vector is the same whichever rows are scaled with it)."""
    thigh = np.full((n, 3), np.nan, dtype=np.float32)
    trunk = None if ep.trunk_mean_g is None else np.full((n, 3), np.nan, dtype=np.float32)
    lo, hi = max(from_s, ep.t0_s), min(from_s + n, ep.t0_s + ep.n)
    if hi > lo:
        src, dst = slice(lo - ep.t0_s, hi - ep.t0_s), slice(lo - from_s, hi - from_s)
        d_thigh, d_trunk = unit if unit is not None else (None, None)
        thigh[dst] = unit_rows(ep.thigh_mean_g[src]) if d_thigh is None else d_thigh[src]
        if trunk is not None and ep.trunk_mean_g is not None:
            trunk[dst] = unit_rows(ep.trunk_mean_g[src]) if d_trunk is None else d_trunk[src]
    return Directions(thigh, trunk)


def revised_hip_deg(
    posture: Int8Array,
    hip_flexion_deg: FloatArray,
    directions: Directions,
    thigh: ThighCalibration | None,
    trunk: TrunkCalibration | None,
) -> FloatArray:
    """The hip angle of seconds given their posture, their angle as stored and their
    directions, with the calibration ``thigh`` / ``trunk`` (see the module
    docstring for what never changes)."""
    if thigh is None or thigh.source == PEDALLING_SOURCE:
        return np.array(hip_flexion_deg, dtype=np.float64)
    d_thigh = np.asarray(directions.thigh, dtype=np.float64)
    hip = thigh_angle_of(d_thigh, thigh, posture)
    if trunk_known(trunk) and directions.trunk is not None:
        assert trunk is not None
        lean = trunk_lean_of(np.asarray(directions.trunk, dtype=np.float64), trunk)
        hip = np.where(np.isfinite(lean), hip + lean, hip)
    return np.where(np.isfinite(hip_flexion_deg), hip, np.nan)


def hip_gt90_s(posture: Int8Array, hip_flexion_deg: FloatArray) -> float:
    """Seated seconds with the hip flexed beyond 90° (as the day's totals count)."""
    seated = step_classes(posture) == SEATED
    with np.errstate(invalid="ignore"):
        return float(np.count_nonzero(seated & (hip_flexion_deg > RULES.hip_flexion_limit_deg)))


@dataclass(frozen=True, slots=True)
class HipRevision:
    """Seconds ``[t0_s, t0_s + n)`` of local ``day`` with their revised hip angle
    (posture and data state as emitted), and the day's totals with it (None: the
    engine no longer holds them)."""

    day: int
    t0_s: int
    posture: Int8Array
    data: Int8Array
    hip_flexion_deg: FloatArray
    hip_gt90_before_s: float
    """Seated seconds beyond 90° among these seconds as stored before."""
    hip_gt90_s: float
    """… and after the revision."""
    totals: DayTotals | None = None

    @property
    def n(self) -> int:
        return int(self.posture.shape[0])


def with_totals(rev: HipRevision, totals: DayTotals) -> HipRevision:
    """``rev`` with the totals of its day (``totals``, as counted before it) revised."""
    gt90_s = max(0.0, totals.hip_gt90_s + rev.hip_gt90_s - rev.hip_gt90_before_s)
    return replace(rev, totals=replace(totals, hip_gt90_s=gt90_s))


def revised_over(t0_s: int, hip_flexion_deg: FloatArray, rev: HipRevision) -> FloatArray:
    """``hip_flexion_deg`` of seconds ``[t0_s, t0_s + n)`` with the revised angle
    where ``rev`` covers them (a copy)."""
    out = np.array(hip_flexion_deg, dtype=np.float64)
    lo, hi = max(t0_s, rev.t0_s), min(t0_s + out.shape[0], rev.t0_s + rev.n)
    if hi > lo:
        out[lo - t0_s : hi - t0_s] = rev.hip_flexion_deg[lo - rev.t0_s : hi - rev.t0_s]
    return out


def _day_parts(days: IntArray) -> list[tuple[int, int, int]]:
    """Each local day of ``days`` with the first and past-the-last index of its
    seconds (a step's seconds nearly always fall on one day: no sort then)."""
    n = days.shape[0]
    first = int(days[0]) if n else 0
    if n and first == int(days[-1]) and bool((days == first).all()):
        return [(first, 0, n)]
    out = []
    for day in np.unique(days):
        idx = np.flatnonzero(days == day)
        out.append((int(day), int(idx[0]), int(idx[-1]) + 1))
    return out


class HipDay:
    """The inputs of the hip angle of the seconds of one local day, as they are
    emitted (in order; a hole between them is no data), and the angle as stored."""

    def __init__(self) -> None:
        self.day: int | None = None
        self.t0_s = 0
        self._end = 0
        self._posture: Int8Array = np.zeros(0, dtype=np.int8)
        self._data: Int8Array = np.zeros(0, dtype=np.int8)
        self._hip: FloatArray = np.zeros(0, dtype=np.float64)
        self._thigh: Float32Array = np.zeros((0, 3), dtype=np.float32)
        self._trunk: Float32Array = np.zeros((0, 3), dtype=np.float32)

    @property
    def n(self) -> int:
        return self._end

    @property
    def nbytes(self) -> int:
        arrays = (self._posture, self._data, self._hip, self._thigh, self._trunk)
        return sum(a.nbytes for a in arrays)

    def add(
        self,
        day: int,
        t0_s: int,
        posture: Int8Array,
        data: Int8Array,
        hip_flexion_deg: FloatArray,
        directions: Directions | None,
    ) -> None:
        """Seconds ``[t0_s, t0_s + n)`` of local ``day`` (another day than the one
        kept starts afresh: :meth:`revise` it first)."""
        n = int(posture.shape[0])
        if self.day != day or self._end == 0:
            self.day, self.t0_s, self._end = day, t0_s, 0
        lo = t0_s - self.t0_s
        if n == 0 or lo < 0:
            return
        self._grow(lo + n)
        if lo > self._end:  # a hole: no data
            self._blank(self._end, lo)
        hi = lo + n
        self._posture[lo:hi] = posture
        self._data[lo:hi] = data
        self._hip[lo:hi] = hip_flexion_deg
        self._thigh[lo:hi] = np.nan if directions is None else directions.thigh
        trunk = None if directions is None else directions.trunk
        self._trunk[lo:hi] = np.nan if trunk is None else trunk
        self._end = max(self._end, hi)

    def revise(
        self, thigh: ThighCalibration | None, trunk: TrunkCalibration | None
    ) -> HipRevision | None:
        """The kept seconds with the calibration given, when some angle moved by at
        least :data:`REVISE_FROM_DEG` (None: no revision). The revised angles are
        then the stored ones."""
        if self.day is None or self._end == 0:
            return None
        n = self._end
        posture, stored = self._posture[:n], self._hip[:n]
        directions = Directions(self._thigh[:n], self._trunk[:n])
        hip = revised_hip_deg(posture, stored, directions, thigh, trunk)
        with np.errstate(invalid="ignore"):
            moved = np.abs(hip - stored) >= REVISE_FROM_DEG
        if not moved.any():
            return None
        before = hip_gt90_s(posture, stored)
        self._hip[:n] = hip
        return HipRevision(
            self.day,
            self.t0_s,
            posture.copy(),
            self._data[:n].copy(),
            hip,
            before,
            hip_gt90_s(posture, hip),
        )

    def take(
        self,
        t0_s: int,
        days: IntArray,
        seconds: tuple[Int8Array, Int8Array, FloatArray],
        directions: Directions | None,
        calibration: tuple[ThighCalibration | None, TrunkCalibration | None],
        closed: list[DayTotals],
    ) -> list[HipRevision]:
        """Keep the seconds ``[t0_s, t0_s + n)`` of local ``days`` (posture, data
        state, hip angle); a day they close is revised first with ``calibration``,
        its totals (from ``closed``, the totals of the days closed) with it."""
        out: list[HipRevision] = []
        by_day = {t.day: t for t in closed}
        for day, a, b in _day_parts(days):
            if self.day is not None and self.day != int(day):
                rev = self.revise(*calibration)
                totals = None if rev is None else by_day.get(rev.day)
                if rev is not None:
                    out.append(rev if totals is None else with_totals(rev, totals))
            part = None
            if directions is not None:
                trunk = None if directions.trunk is None else directions.trunk[a:b]
                part = Directions(directions.thigh[a:b], trunk)
            posture, data, hip = seconds
            self.add(int(day), t0_s + a, posture[a:b], data[a:b], hip[a:b], part)
        return out

    def clear(self) -> None:
        """Forget the kept seconds (after a recalibration: the sensor may have moved)."""
        self.day, self._end = None, 0

    def _grow(self, size: int) -> None:
        if size <= self._posture.shape[0]:
            return
        new = max(size, min(2 * self._posture.shape[0], 25 * 3600), 3600)
        keep = self._end

        def grown(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
            out = np.empty(shape, dtype=a.dtype)
            out[:keep] = a[:keep]
            return out

        self._posture = grown(self._posture, (new,))
        self._data = grown(self._data, (new,))
        self._hip = grown(self._hip, (new,))
        self._thigh = grown(self._thigh, (new, 3))
        self._trunk = grown(self._trunk, (new, 3))

    def _blank(self, lo: int, hi: int) -> None:
        self._posture[lo:hi] = Posture.NONWEAR
        self._data[lo:hi] = _DATA_NONE
        self._hip[lo:hi] = np.nan
        self._thigh[lo:hi] = np.nan
        self._trunk[lo:hi] = np.nan
