"""The rhythm of thigh movement: steps or pedal strokes, from the accelerometer alone.

Walking, running and stairs jolt the thigh at every *step* of either leg (the body
lands on one foot, then the other): the magnitude of the thigh's specific force
repeats at the step rate, 1.5–3.5 steps per second in adults, and humans do not walk
slower than about 1.4 steps/s without shuffling. Pedalling moves the knee round the
pedal circle: the thigh's vertical acceleration repeats once per crank *revolution*,
at the cadence, 40–90 rpm (0.7–1.5 Hz) for everyday and recreational riding, with
no landing of the other foot in between. So where the power of the acceleration
magnitude's rhythm lies separates gait from pedalling without knowing how the
sensor is mounted (the magnitude does not depend on orientation), and before any
calibration. Road vibration is broadband and faster (> 4 Hz): it is left out.

:func:`rhythm_features` gives, for every second, the share of the magnitude's power
in the band of rhythms (0.4–3.5 Hz) that lies below the slowest walking step rate
(walking, stairs and running put almost all of it at their step rate; pedalling
most of it at the cadence), and whether the thigh swings at half that rate (once
per stride, as in gait) or at the same rate (once per crank revolution, as in
pedalling at any cadence).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analytics.records import BoolArray, FloatArray, IntArray

Float32Array = npt.NDArray[np.float32]

RESAMPLE_HZ = 25.0
"""The magnitude is put on a uniform grid at this rate (enough for a 3.5 Hz band)."""
BAND_HZ = (0.4, 3.5)
"""Rhythms considered: the slowest pedalling to the fastest running steps."""
STEADY_LAG_S = 2
"""A rhythm is steady when the windows this many seconds before and after find the
same rate."""
_FEW_WINDOWS = 32
"""Up to this many windows, :func:`_window_means` sums each window with one running
sum (faster for few windows, slower for many)."""
WINDOW_BLOCK = 512
"""Seconds transformed at once (bounds the temporary arrays: a larger block is no
faster and raised the peak memory of `analyze` of a day by 16 MB)."""


def rhythm_features(
    t_s: FloatArray,
    acc_g: FloatArray,
    t0_s: int,
    count: IntArray,
    window_s: float,
    split_hz: float,
    peak_min: float = 0.0,
    wanted: BoolArray | None = None,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Per second ``i`` (``[t0_s + i, t0_s + i + 1)``), over ``window_s`` centred on it:

    * ``pedal_share``: the share of the specific-force magnitude's power in
      ``BAND_HZ`` below ``split_hz`` (the slowest step rate);
    * ``stride_ratio``: the power of the whole vector (the thigh's swing) at half the
      magnitude's dominant rate, relative to its power at that rate. A walking thigh
      swings once per stride while the body lands twice, so its swing shows at half
      the step rate (ratio well above 0); a pedalling thigh swings once per pulse
      (ratio near 0), whatever the cadence;
    * ``steady``: the windows ``STEADY_LAG_S`` before and after find the same rate
      (within one and a half bins): steps and pedal strokes keep their rate,
      vibration and fidgeting show a "rate" only by chance, a different one each time.

    Share and ratio are NaN where the movement has no rhythm (less than ``peak_min``
    of the band's power within one bin of its strongest frequency: road or engine
    vibration, fidgeting) and where a window touches a gap or the ends of the data
    (``count`` is the samples per second, 0 = gap). Only the seconds in ``wanted``
    (and the neighbours the steadiness test needs) are computed when it is given: a
    still thigh has no rhythm to measure. Rows of ``acc_g`` with a NaN are left out.
    """
    n_sec = int(count.shape[0])
    plan = rhythm_plan(t0_s, count, window_s, wanted)
    if plan is None or t_s.shape[0] < 2:
        return _nothing(n_sec)
    grid = plan.grid_t_s
    after = np.clip(np.searchsorted(t_s, grid), 1, t_s.shape[0] - 1)
    if not (np.isfinite(acc_g[after - 1]).all() and np.isfinite(acc_g[after]).all()):
        # rows with a missing value are left out (if none of them is gathered, the
        # same rows are found without them: no pass over every sample otherwise)
        t_s, acc_g = finite_rows(t_s, acc_g)
        if t_s.shape[0] < 2:
            return _nothing(n_sec)
    return rhythm_from_grid(grid_vectors(t_s, acc_g, grid), plan, split_hz, peak_min)


def grid_vectors(t_s: FloatArray, acc_g: FloatArray, grid: FloatArray) -> Float32Array:
    """The thigh's vector at the grid times, (3, points): linear interpolation between
    the samples around each grid time (two gathers of rows: cheaper than np.interp
    over every sample of the recording). ``t_s``: at least two finite samples."""
    after = np.minimum(np.maximum(np.searchsorted(t_s, grid), 1), t_s.shape[0] - 1)
    before = after - 1
    rows = blend(t_s[before], t_s[after], acc_g[before], acc_g[after], grid)
    return np.ascontiguousarray(rows.T, dtype=np.float32)


def finite_rows(t_s: FloatArray, acc_g: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The samples without a missing value (rows of another sensor's times, in a
    recording of several, hold NaN for this one): a single pass when there are none."""
    if np.isfinite(np.add.reduce(acc_g, axis=None)):
        return t_s, acc_g
    fine = np.isfinite(acc_g).all(axis=1)
    return t_s[fine], acc_g[fine]


def blend(
    t_before_s: FloatArray,
    t_after_s: FloatArray,
    acc_before: FloatArray,
    acc_after: FloatArray,
    grid_t_s: FloatArray,
) -> FloatArray:
    """The vector at each grid time from the samples before and after it (the weight
    clipped to 0..1: the first or last sample beyond the ends). Each point depends
    on its two samples only, so a chunked reader gets the same grid."""
    span = t_after_s - t_before_s
    w = np.clip((grid_t_s - t_before_s) / np.where(span > 0.0, span, 1.0), 0.0, 1.0)[:, None]
    return np.asarray(acc_before * (1.0 - w) + acc_after * w)


@dataclass(frozen=True, slots=True)
class RhythmPlan:
    """Where :func:`rhythm_features` looks: the window centres, and the grid of the
    seconds the windows cover (each second once, however many windows overlap it; a
    window's seconds are consecutive on it)."""

    n_sec: int
    half: int
    centres: IntArray
    slot: IntArray
    grid_t_s: FloatArray


def rhythm_plan(
    t0_s: int, count: IntArray, window_s: float, wanted: BoolArray | None = None
) -> RhythmPlan | None:
    """The plan for seconds ``t0_s ..`` with ``count`` samples each (None: nothing to
    compute)."""
    found = rhythm_centres(count, window_s, wanted)
    if found is None:
        return None
    half, centres = found
    return plan_of(t0_s, int(count.shape[0]), half, centres)


def rhythm_centres(
    count: IntArray, window_s: float, wanted: BoolArray | None = None
) -> tuple[int, IntArray] | None:
    """The half window and the centres of :func:`rhythm_plan` (None: nothing to
    compute)."""
    n_sec = int(count.shape[0])
    half = round(window_s / 2.0)
    per_s = int(RESAMPLE_HZ)
    width = 2 * half * per_s
    if n_sec < 2 * half + 1 or width < 8:
        return None
    lag = STEADY_LAG_S
    centres = np.arange(half, n_sec - half)
    if wanted is not None:
        if not wanted.any():
            return None  # (no second wanted: no centre near one)
        need = np.convolve(wanted.astype(np.int64), np.ones(2 * lag + 1, np.int64), "same") > 0
        centres = centres[need[centres]]
    empty = count <= 0
    if empty.any():  # (else no centre is near a gap)
        bad = np.convolve(empty, np.ones(2 * half + 1, dtype=np.int64), mode="same") > 0
        centres = centres[~bad[centres]]
    if centres.shape[0] == 0:
        return None
    return half, centres


def plan_of(t0_s: int, n_sec: int, half: int, centres: IntArray) -> RhythmPlan:
    """The plan of the windows centred on ``centres`` (sorted, each ``half`` seconds
    inside ``0 .. n_sec``)."""
    per_s = int(RESAMPLE_HZ)
    cover = np.zeros(n_sec + 1, dtype=np.int64)
    np.add.at(cover, centres - half, 1)
    np.add.at(cover, np.minimum(centres + half + 1, n_sec), -1)
    covered = np.flatnonzero(np.cumsum(cover[:-1]) > 0)
    slot = np.full(n_sec, -1, dtype=np.int64)
    slot[covered] = np.arange(covered.shape[0])
    grid = (t0_s + covered[:, None] + (np.arange(per_s) + 0.5)[None, :] / RESAMPLE_HZ).reshape(-1)
    return RhythmPlan(n_sec, half, centres, slot, grid)


def _nothing(n_sec: int) -> tuple[FloatArray, FloatArray, BoolArray]:
    return np.full(n_sec, np.nan), np.full(n_sec, np.nan), np.zeros(n_sec, dtype=np.bool_)


def rhythm_from_grid(
    vec: Float32Array, plan: RhythmPlan, split_hz: float, peak_min: float = 0.0
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """:func:`rhythm_features` from the thigh's vector on the plan's grid, (3, points)."""
    share, stride, rate_hz = rhythm_rates(vec, plan, split_hz, peak_min)
    return share, stride, steadiness(rate_hz, plan.half)


def steadiness(rate_hz: FloatArray, half: int) -> BoolArray:
    """Per second: the windows ``STEADY_LAG_S`` before and after found the same rate
    (NaN rate: no window there)."""
    lag = STEADY_LAG_S
    prev = np.concatenate((np.full(lag, np.nan), rate_hz[:-lag]))
    nxt = np.concatenate((rate_hz[lag:], np.full(lag, np.nan)))
    tol = 1.5 / (2 * half)  # one and a half bins of the window's spectrum
    with np.errstate(invalid="ignore"):
        steady = (np.abs(prev - rate_hz) <= tol) & (np.abs(nxt - rate_hz) <= tol)
    return np.asarray(steady, dtype=np.bool_)


def rhythm_rates(
    vec: Float32Array, plan: RhythmPlan, split_hz: float, peak_min: float = 0.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Share, stride ratio and the dominant rate (Hz) of the plan's windows (NaN
    elsewhere); each window's values depend on its own grid points only, and the
    windows are worked out :data:`WINDOW_BLOCK` at a time (:func:`window_rates`)."""
    n_sec, half, centres, slot = plan.n_sec, plan.half, plan.centres, plan.slot
    share, stride, _ = _nothing(n_sec)
    per_s = int(RESAMPLE_HZ)
    width = 2 * half * per_s
    # the grid point by point (the 3 axes of a point side by side): a window's rows
    # are gathered whole
    points = np.ascontiguousarray(vec.T)
    rate_hz = np.full(n_sec, np.nan)
    for lo in range(0, centres.shape[0], WINDOW_BLOCK):
        c = centres[lo : lo + WINDOW_BLOCK]
        starts = slot[c - half] * per_s + per_s // 2
        rows_idx = starts[:, None] + np.arange(width)[None, :]
        share[c], stride[c], rate_hz[c] = window_rates(points[rows_idx], split_hz, peak_min)
    return share, stride, rate_hz


def window_rates(
    windows: Float32Array, split_hz: float, peak_min: float = 0.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Share, stride ratio and the dominant rate (Hz) of each window of grid points,
    (windows, width, 3), C-ordered (modified: a point with a missing value is set to
    0, and its window has no rhythm). The results of a window depend on how many
    windows are worked out together (numpy sums one row apart from several), so a
    caller that works them out in pieces gives the same pieces as
    :func:`rhythm_rates`."""
    width = windows.shape[1]
    freqs, band, slow, hann = _spectrum_terms(width, split_hz)
    fine = np.isfinite(windows[:, :, 0]) & np.isfinite(windows[:, :, 1])
    lost: BoolArray = ~(fine & np.isfinite(windows[:, :, 2]))
    if lost.any():  # a sample with a missing value: its windows have no rhythm
        windows[lost] = 0.0
    # the (3, windows, width) view is laid out as the spectra below have always read
    # it (the same sums, bit for bit)
    axes = windows.transpose(2, 0, 1)
    mag = np.sqrt(np.einsum("kwi,kwi->wi", axes, axes))
    mag = mag - mag.mean(axis=1, keepdims=True)
    power = np.abs(np.fft.rfft(mag * hann, axis=1)) ** 2
    p_band = power[:, band]
    total = p_band.sum(axis=1)
    k = band[np.argmax(p_band, axis=1)]
    rate_hz = np.asarray(freqs[k], dtype=np.float64)
    rows = np.arange(k.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        periodic = (_peak_sum(power, rows, k) >= peak_min * total) & (total > 0.0)
        share = np.where(periodic, power[:, slow].sum(axis=1) / total, np.nan)
    centred = np.subtract(axes, _window_means(axes), out=np.empty(axes.shape, np.float32))
    centred *= hann  # contiguous windows: a faster transform, the same spectra
    swing_axes = np.abs(np.fft.rfft(centred, axis=2))
    swing = np.square(swing_axes, out=swing_axes).sum(axis=0)
    at_rate = _peak(swing, rows, k)
    at_half = _peak(swing, rows, np.rint(k / 2.0).astype(np.int64))
    with np.errstate(invalid="ignore", divide="ignore"):
        stride = np.where((at_rate > 0.0) & periodic, at_half / at_rate, np.nan)
    hole = lost.any(axis=1)
    share[hole], stride[hole], rate_hz[hole] = np.nan, np.nan, np.nan
    return share, stride, rate_hz


@functools.lru_cache(maxsize=8)
def _spectrum_terms(
    width: int, split_hz: float
) -> tuple[FloatArray, IntArray, IntArray, Float32Array]:
    """The frequencies of a window of ``width`` grid points, the bins of ``BAND_HZ``,
    those below ``split_hz`` and the window's Hann taper (read-only: shared by every
    call; a live step asks for them every step)."""
    freqs: FloatArray = np.asarray(np.fft.rfftfreq(width, 1.0 / RESAMPLE_HZ), dtype=np.float64)
    band: IntArray = np.flatnonzero((freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1]))
    slow: IntArray = band[freqs[band] < split_hz]
    hann: Float32Array = np.hanning(width).astype(np.float32)
    for a in (freqs, band, slow, hann):
        a.flags.writeable = False
    return freqs, band, slow, hann


def _clipped(k: IntArray, last: int) -> IntArray:
    """``np.clip(k, 0, last)`` of integer bins (without its wrapper's cost)."""
    return np.minimum(np.maximum(k, 0), last)


def _window_means(axes: Float32Array) -> Float32Array:
    """The mean of each window (last axis) of the (3, windows, width) view, kept as a
    trailing axis: summed in window order, then divided as ``ndarray.mean`` divides
    (the sums numpy's reduction of this strided view makes, bit for bit, four times
    faster). A few windows (a live step's new ones) are summed by one running sum
    along the window instead: the same additions in the same order, without a
    Python step per point."""
    width = axes.shape[-1]
    if axes.shape[1] <= _FEW_WINDOWS:
        total = np.add.accumulate(axes, axis=-1)[..., -1].copy()
    else:
        total = axes[..., 0].copy()
        for i in range(1, width):
            total += axes[..., i]
    np.true_divide(total, np.intp(width), out=total, casting="unsafe")
    return total[..., None]


def _peak(power: FloatArray, rows: IntArray, k: IntArray) -> FloatArray:
    """The largest power within one frequency bin of bin ``k`` of each row."""
    last = power.shape[1] - 1
    out = power[rows, _clipped(k, last)]
    for dk in (-1, 1):
        out = np.maximum(out, power[rows, _clipped(k + dk, last)])
    return np.asarray(out, dtype=np.float64)


def _peak_sum(power: FloatArray, rows: IntArray, k: IntArray) -> FloatArray:
    """The power within one frequency bin of bin ``k`` of each row (a peak's width)."""
    last = power.shape[1] - 1
    total = np.zeros(k.shape[0])
    for dk in (-1, 0, 1):
        total += power[rows, _clipped(k + dk, last)]
    return total
