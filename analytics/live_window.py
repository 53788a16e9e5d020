"""A live window's per-second statistics, kept as the seconds arrive.

The live engine classifies a sliding window every step. The per-second statistics of
a sensor (sample count, mean vector, RMS deviation, magnitude range; the cadence's
mean) depend on that second's samples only, so a second's are computed once, when the
second is complete (a newer sample of that sensor has arrived), and reused by every
window that holds it; only the newest, incomplete seconds are computed again. The
result is exactly :func:`analytics.epochs.epochs_of` over the merged window (each
second's values come from the same samples in the same order, see
``analytics.epochs._row_dots``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from analytics.epochs import (
    moving_seconds,
    scalar_seconds,
    vector_seconds,
    with_trunk_deviation,
)
from analytics.params import PostureParams
from analytics.pipeline import Analysis, analyze_epochs
from analytics.records import (
    BoolArray,
    Epochs,
    FloatArray,
    Recording,
    ThighCalibration,
    TrunkCalibration,
)
from analytics.rhythm import (
    RESAMPLE_HZ,
    grid_vectors,
    plan_of,
    rhythm_centres,
    rhythm_features,
    rhythm_rates,
    steadiness,
)

Column = npt.NDArray[Any]
"""One per-second statistic (counts are integers, the rest floats)."""
_VECTOR, _MEAN, _SCALAR = "vector", "mean", "scalar"


_FEW_S = 1024
"""At most this many seconds (``analytics.epochs``' block of seconds reduced at once)
take the short way of :func:`_few_vector_seconds`."""


def _few_vector_seconds(
    t_s: FloatArray, acc: FloatArray, t0_s: int, n_sec: int, *, moments: bool
) -> tuple[Column, ...] | None:
    """:func:`analytics.epochs.vector_seconds` of seconds ``t0_s ..`` (``n_sec`` of at
    most ``_FEW_S``) of the sorted samples ``t_s`` when every second has a sample
    and every value is finite (else None: take the general way), with a third of
    its numpy calls: the same reductions of the same samples in the same order
    (``analytics.epochs._block_sums``), so the same values to the last bit."""
    bounds = np.searchsorted(t_s, t0_s + np.arange(n_sec + 1, dtype=np.float64))
    first, last = int(bounds[0]), int(bounds[-1])
    k = bounds[1:] - bounds[:-1]
    if not k.all():
        return None
    part = np.ascontiguousarray(np.asarray(acc[first:last], dtype=np.float64).T)
    at = bounds[:-1] - first
    sums = np.add.reduceat(part, at, axis=1)
    if not np.isfinite(sums).all():
        return None
    mean = np.empty((n_sec, 3))
    np.divide(sums.T, k[:, None], out=mean)
    if not moments:
        return k, mean
    x, y, z = part
    sq_each = x * x
    sq_each += y * y
    sq_each += z * z
    sq = np.add.reduceat(sq_each, at)
    var = sq / k - (mean[:, 0] * mean[:, 0] + mean[:, 1] * mean[:, 1] + mean[:, 2] * mean[:, 2])
    std = np.sqrt(np.maximum(var, 0.0))
    rng = np.sqrt(np.maximum.reduceat(sq_each, at)) - np.sqrt(np.minimum.reduceat(sq_each, at))
    return k, mean, std, rng


@dataclass(slots=True)
class SecondStats:
    """One sensor's statistics of its complete seconds ``[first_s, next_s)``.

    ``kind``: ``vector`` (count, mean, deviation, range: the thigh), ``mean`` (count
    and mean: the trunk) or ``scalar`` (mean: the cadence)."""

    kind: str
    first_s: int = 0
    next_s: int | None = None
    columns: tuple[Column, ...] = field(default_factory=tuple)

    def compute(
        self, t_s: FloatArray, values: FloatArray, t0_s: int, n_sec: int
    ) -> tuple[Column, ...]:
        """Seconds ``t0_s .. t0_s + n_sec - 1`` from the samples in them."""
        if self.kind != _SCALAR and 0 < n_sec <= _FEW_S:
            few = _few_vector_seconds(t_s, values, t0_s, n_sec, moments=self.kind == _VECTOR)
            if few is not None:
                return few
        lo, hi = np.searchsorted(t_s, [float(t0_s), float(t0_s + n_sec)])
        t, v = t_s[lo:hi], values[lo:hi]
        if self.kind == _SCALAR:
            return (scalar_seconds(t, v, t0_s, n_sec),)
        count, mean, std, rng = vector_seconds(t, v, t0_s, n_sec, moments=self.kind == _VECTOR)
        return (count, mean, std, rng) if self.kind == _VECTOR else (count, mean)

    def update(
        self, t_s: FloatArray, values: FloatArray, complete_to_s: int, keep_from_s: int
    ) -> None:
        """Add the seconds before ``complete_to_s`` not yet kept; forget those before
        ``keep_from_s``."""
        if self.next_s is None:
            if t_s.shape[0] == 0:
                return
            self.first_s = self.next_s = int(np.floor(t_s[0]))
            self.columns = self.compute(t_s, values, self.first_s, 0)
        if complete_to_s > self.next_s:
            new = self.compute(t_s, values, self.next_s, complete_to_s - self.next_s)
            self.columns = tuple(
                np.concatenate((a, b)) for a, b in zip(self.columns, new, strict=True)
            )
            self.next_s = complete_to_s
        cut = keep_from_s - self.first_s
        if cut > 0:
            cut = min(cut, self.next_s - self.first_s)
            self.columns = tuple(a[cut:] for a in self.columns)
            self.first_s += cut

    def update_window(
        self,
        samples: tuple[FloatArray, FloatArray],
        part: tuple[FloatArray, FloatArray],
        complete_to_s: int,
        keep_from_s: int,
        t0_s: int,
        n_sec: int,
    ) -> tuple[Column, ...]:
        """:meth:`update` from ``samples`` (all kept), then :meth:`window` from
        ``part`` (those of the window's seconds); the seconds new to both are
        computed once, from ``part``, when they all lie in the window."""
        a, end = self.next_s, t0_s + n_sec
        if a is None or not a < complete_to_s <= end or not self.first_s <= t0_s <= a:
            self.update(*samples, complete_to_s, keep_from_s)
            return self.window(*part, t0_s, n_sec)
        new = self.compute(*part, a, end - a)
        k, lo = complete_to_s - a, t0_s - self.first_s
        out = tuple(np.concatenate((c[lo:], x)) for c, x in zip(self.columns, new, strict=True))
        self.columns = tuple(
            np.concatenate((c, x[:k])) for c, x in zip(self.columns, new, strict=True)
        )
        self.next_s = complete_to_s
        self.update(*samples, complete_to_s, keep_from_s)  # (only forgets)
        return out

    def window(
        self, t_s: FloatArray, values: FloatArray, t0_s: int, n_sec: int
    ) -> tuple[Column, ...]:
        """Seconds ``t0_s ..`` (``n_sec``): kept ones reused, the others computed."""
        if self.next_s is None or t0_s < self.first_s or t0_s >= self.next_s:
            return self.compute(t_s, values, t0_s, n_sec)
        take = min(n_sec, self.next_s - t0_s)
        a = t0_s - self.first_s
        kept = tuple(c[a : a + take] for c in self.columns)
        if take == n_sec:
            return kept
        rest = self.compute(t_s, values, t0_s + take, n_sec - take)
        return tuple(np.concatenate((x, y)) for x, y in zip(kept, rest, strict=True))


@dataclass(frozen=True, slots=True)
class WindowSamples:
    """A window's samples, sensor by sensor (no merged rows), and its epochs without
    the rhythm features."""

    epochs: Epochs
    thigh: Recording
    """The thigh's samples (``t_s``, ``thigh_acc_g``)."""
    trunk: Recording | None
    """The trunk's samples (``t_s``, ``trunk_acc_g``), None without any."""
    rhythm: RhythmMemo | None = None
    """The rhythm windows known from earlier steps (None: compute them all)."""


SensorWindow = tuple[tuple[Column, ...], FloatArray, FloatArray]
"""A sensor's per-second statistics over a window (:meth:`SecondStats.window`) and
the window's samples of it (times, values)."""


def window_epochs(
    t0_s: int,
    n_sec: int,
    thigh: SensorWindow,
    trunk: SensorWindow | None,
    cadence: SensorWindow | None,
    rhythm: RhythmMemo | None = None,
) -> WindowSamples:
    """The window ``[t0_s, t0_s + n_sec)`` from each sensor's statistics and samples
    (``trunk`` / ``cadence`` None: no sample of it in the window)."""
    (count, mean, std, rng), t, v = thigh
    trunk_mean = trunk_count = cad = None
    trunk_rec = None
    if trunk is not None:
        (trunk_count, trunk_mean), tt, tv = trunk
        trunk_rec = Recording(t_s=tt, trunk_acc_g=tv)
    if cadence is not None:
        (cad,), _, _ = cadence
    ep = Epochs(
        t0_s=t0_s,
        count=np.asarray(count, dtype=np.int64),
        thigh_mean_g=mean,
        thigh_std_g=std,
        thigh_range_g=rng,
        trunk_mean_g=trunk_mean,
        trunk_count=None if trunk_count is None else np.asarray(trunk_count, dtype=np.int64),
        cadence_rpm=cad,
    )
    return WindowSamples(ep, Recording(t_s=t, thigh_acc_g=v), trunk_rec, rhythm)


def analyze_window(
    ws: WindowSamples,
    params: PostureParams,
    thigh: ThighCalibration | None,
    trunk: TrunkCalibration | None,
) -> Analysis:
    """:func:`analytics.pipeline.analyze_thigh` of the merged window, from its parts."""
    ep, rec = ws.epochs, ws.thigh
    assert rec.thigh_acc_g is not None
    rp = PostureParams()  # the rhythm's parameters: the defaults, as analyze_thigh uses
    if ws.rhythm is not None:
        share, stride, steady = ws.rhythm.features(rec.t_s, rec.thigh_acc_g, ep, rp)
    else:
        share, stride, steady = rhythm_features(
            rec.t_s,
            rec.thigh_acc_g,
            ep.t0_s,
            ep.count,
            rp.rhythm_window_s,
            rp.gait_step_floor_hz,
            rp.rhythm_peak_min,
            wanted=moving_seconds(ep, rp),
        )
    ep = replace(ep, thigh_pedal_share=share, thigh_stride_ratio=stride, thigh_rhythm_steady=steady)
    trunk_rec = ws.trunk

    def deviation(e: Epochs, seconds: BoolArray) -> Epochs:
        return e if trunk_rec is None else with_trunk_deviation(trunk_rec, e, seconds)

    return analyze_epochs(ep, deviation, params, thigh, trunk)


@dataclass(slots=True)
class RhythmMemo:
    """The thigh's rhythm of the windows already computed, by centre second: a
    window's values depend only on the samples around its grid times, so they are
    reused by a later live window that holds those same samples (``before_t_s`` ..
    ``after_t_s``: the first and last sample its interpolation used)."""

    first_s: int = 0
    share: FloatArray = field(default_factory=lambda: np.empty(0))
    stride: FloatArray = field(default_factory=lambda: np.empty(0))
    rate_hz: FloatArray = field(default_factory=lambda: np.empty(0))
    before_t_s: FloatArray = field(default_factory=lambda: np.empty(0))
    after_t_s: FloatArray = field(default_factory=lambda: np.empty(0))

    def _grow(self, first_s: int, last_s: int) -> None:
        """Cover seconds ``first_s .. last_s`` (dropping what lies before)."""
        n_old = self.share.shape[0]
        if n_old and first_s < self.first_s:  # the window went back: start again
            self.share = self.share[:0]
            n_old = 0
        if n_old == 0:
            self.first_s = first_s
        lo = max(0, first_s - self.first_s)
        new_first = self.first_s + lo
        n = max(last_s - new_first + 1, n_old - lo)
        if lo == 0 and n == n_old:
            return

        def moved(a: FloatArray) -> FloatArray:
            out = np.full(n, np.nan)
            kept = a[lo:]
            out[: kept.shape[0]] = kept
            return out

        self.share, self.stride, self.rate_hz = (
            moved(self.share),
            moved(self.stride),
            moved(self.rate_hz),
        )
        self.before_t_s, self.after_t_s = moved(self.before_t_s), moved(self.after_t_s)
        self.first_s = new_first

    def features(
        self, t_s: FloatArray, acc_g: FloatArray, ep: Epochs, p: PostureParams
    ) -> tuple[FloatArray, FloatArray, BoolArray]:
        """:func:`analytics.rhythm.rhythm_features` of the window's thigh samples
        (sorted, all finite), windows already known reused."""
        n_sec = ep.n
        found = rhythm_centres(ep.count, p.rhythm_window_s, moving_seconds(ep, p))
        if found is None or t_s.shape[0] < 2:
            return np.full(n_sec, np.nan), np.full(n_sec, np.nan), np.zeros(n_sec, dtype=np.bool_)
        half, centres = found
        self._grow(ep.t0_s, ep.t0_s + n_sec - 1)
        idx = centres + (ep.t0_s - self.first_s)
        known = (self.before_t_s[idx] >= t_s[0]) & (self.after_t_s[idx] <= t_s[-1])
        fresh = centres[~known]
        if fresh.shape[0]:
            sub = plan_of(ep.t0_s, n_sec, half, fresh)
            vec = grid_vectors(t_s, acc_g, sub.grid_t_s)
            sh, st, rt = rhythm_rates(vec, sub, p.gait_step_floor_hz, p.rhythm_peak_min)
            f = fresh + (ep.t0_s - self.first_s)
            self.share[f], self.stride[f], self.rate_hz[f] = sh[fresh], st[fresh], rt[fresh]
            # what the interpolation used; kept only when both are true neighbours
            g_lo = ep.t0_s + fresh - half + 0.5 / RESAMPLE_HZ
            g_hi = ep.t0_s + fresh + half + 1.0 - 0.5 / RESAMPLE_HZ
            a_lo = np.searchsorted(t_s, g_lo)
            a_hi = np.searchsorted(t_s, g_hi)
            ok = (a_lo >= 1) & (a_hi <= t_s.shape[0] - 1)
            self.before_t_s[f] = np.where(ok, t_s[np.maximum(a_lo - 1, 0)], np.inf)
            self.after_t_s[f] = np.where(ok, t_s[np.minimum(a_hi, t_s.shape[0] - 1)], -np.inf)
        share = np.full(n_sec, np.nan)
        stride = np.full(n_sec, np.nan)
        rate = np.full(n_sec, np.nan)
        share[centres] = self.share[idx]
        stride[centres] = self.stride[idx]
        rate[centres] = self.rate_hz[idx]
        return share, stride, steadiness(rate, half)
