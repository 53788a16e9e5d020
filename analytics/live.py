"""Live posture: the batch pipeline run over a sliding window, with a fixed look-ahead.

A live service cannot wait for the end of the day. Every few seconds it classifies a
window of raw samples (``context_s`` of history, so that smoothing and non-wear see
what they need, plus ``lag_s`` of look-ahead) with a *fixed* calibration and keeps
only the seconds that are now final: those at least ``lag_s`` older than the newest
data. A second's posture, once emitted, is never revised (what the history stores is
what the alerts saw); its hip angle is, in the history only, when the calibration
has moved since (:mod:`analytics.hip_revision`).

The calibration comes from the first window that holds walking or standing
(:func:`calibrate_window`); until then seconds are held, up to
``calibration_hold_s``, so the bout clock still starts where the sitting really
started. It is kept in the service state (:func:`calibration_to_dict`) so a restart
does not need to calibrate again.

Also here: the day's totals for the live status (:class:`DayTotals`), updated second
by second from the streaming engine's output.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from analytics import posture_codes as code
from analytics.calibration_errors import CalibrationError
from analytics.calibration_evidence import (
    TRANSITION_AFTER_S,
    TRANSITION_BEFORE_S,
    Evidence,
    gather,
)
from analytics.hip_revision import Directions, directions_of
from analytics.live_hold import offbody_undecided_from, ride_undecided_from
from analytics.live_window import WindowSamples, analyze_window
from analytics.orientation import PEDALLING_SOURCE
from analytics.params import PostureParams
from analytics.pipeline import Analysis, analyze_recording, analyze_thigh
from analytics.posture import coasted_seconds
from analytics.records import (
    BoolArray,
    FloatArray,
    Int8Array,
    Recording,
    SeatLayout,
    ThighCalibration,
    TrunkCalibration,
)
from analytics.seat_pressure import SeatParams

DATA_OK, DATA_NONE, DATA_OFF = 0, 1, 2
"""Per-second data codes (``analytics.alert_records.DataState`` ok / no_data / sensor_off)."""


@dataclass(frozen=True, slots=True)
class LiveParams:
    lag_s: int = 15
    """Look-ahead: a second is final once data ``lag_s`` seconds newer has arrived
    (at least ``PostureParams.posture_hold_s``: the 10 s rule needs it)."""
    context_s: int = 660
    """History each window sees (covers ``PostureParams.nonwear_after_s``)."""
    step_s: int = 10
    """Classify once this many new seconds can be made final (each window costs a
    millisecond or two, nearly all of it per step, not per second of context: a
    150 s context instead of 660 s saves under a tenth of the engine's time)."""
    calibration_hold_s: int = 1800
    """Without a calibration, seconds are held this long waiting for walking or
    standing; older ones are then emitted as no data."""
    silent_after_s: float = 10.0
    """A sensor with no sample for this long (data time) no longer holds the others
    back: its seconds become gaps."""
    replay_step_wall_s: float = 0.1
    """A replay faster than real time steps about this often in wall time (so a
    ``--speed 1000`` replay classifies 100 s of data per step): see :meth:`paced`."""
    replay_step_s: int = 600
    """The longest step of a fast replay (its window, ``context_s`` + this, is what
    the engine buffers)."""

    def __post_init__(self) -> None:
        if self.lag_s < PostureParams().posture_hold_s:
            raise ValueError(
                f"lag_s ({self.lag_s}) must be at least the posture minimum duration "
                f"({PostureParams().posture_hold_s} s)"
            )
        if self.context_s < 60 or self.step_s < 1 or self.calibration_hold_s < 60:
            raise ValueError("context_s >= 60, step_s >= 1 and calibration_hold_s >= 60")
        if self.replay_step_s < self.step_s or not self.replay_step_wall_s > 0:
            raise ValueError("replay_step_s >= step_s and replay_step_wall_s > 0")

    def paced(self, speed: float) -> LiveParams:
        """These parameters for data replayed ``speed`` times faster than real time:
        a step of ``speed * replay_step_wall_s`` seconds of data, from ``step_s`` up to
        ``replay_step_s``. Most of a step's cost is fixed, so a fast replay spends
        its time on the data instead of on steps; a person watching the prompts of a
        replay sees no difference. Real time (``speed`` 1, a BLE sensor) keeps
        ``step_s``."""
        wanted_s = speed * self.replay_step_wall_s  # speed may be inf: as fast as it goes
        step_s = self.replay_step_s if wanted_s >= self.replay_step_s else round(wanted_s)
        return dataclasses.replace(self, step_s=max(self.step_s, step_s))


@dataclass(frozen=True, slots=True)
class WindowSeconds:
    """Final seconds ``[t0_s, t0_s + n)`` of one window."""

    t0_s: int
    posture: Int8Array
    hip_flexion_deg: FloatArray
    data: Int8Array
    """DATA_OK, DATA_NONE (no sample of the primary sensor) or DATA_OFF (samples, but
    not worn)."""
    seat_baseline: FloatArray | None = None
    """The seat mat's per-cell empty-seat baseline after this window when it was
    given or learned (None without a mat, or when the window never showed the seat
    empty): pass it on as ``SeatParams.empty_baseline`` so that a window in which
    someone sits throughout does not learn the sitter as an empty seat."""

    @property
    def n(self) -> int:
        return int(self.posture.shape[0])


def _primary(rec: Recording) -> FloatArray:
    if rec.thigh_acc_g is not None:
        return rec.thigh_acc_g
    if rec.seat_p is not None:
        return rec.seat_p
    raise ValueError("live posture needs a thigh accelerometer or a seat mat")


def classify_window(
    rec: Recording,
    from_s: int,
    to_s: int,
    *,
    thigh: ThighCalibration | None,
    trunk: TrunkCalibration | None,
    params: PostureParams | None = None,
    seat_layout: SeatLayout | None = None,
    seat_params: SeatParams | None = None,
) -> WindowSeconds:
    """Posture, hip flexion and data state of the seconds ``[from_s, to_s)`` of a
    window of samples (which should start ``context_s`` earlier and run ``lag_s``
    later). Seconds without a sample of the primary sensor are no data."""
    return _classify(
        rec,
        from_s,
        to_s,
        thigh=thigh,
        trunk=trunk,
        params=params,
        seat_layout=seat_layout,
        seat_params=seat_params,
    )[0]


@dataclass(frozen=True, slots=True)
class Decided:
    """What one live step may emit: the decided seconds (from the window's first
    undecided second on, seconds are held for the next step) and the calibration
    evidence they show."""

    seconds: WindowSeconds
    evidence: Evidence | None
    directions: Directions | None = None
    """The inputs of the seconds' hip angle, for a revision (:mod:`analytics.hip_revision`)."""


def decide_window(
    rec: Recording | WindowSamples,
    from_s: int,
    to_s: int,
    *,
    thigh: ThighCalibration | None,
    trunk: TrunkCalibration | None,
    params: PostureParams | None = None,
    live: LiveParams | None = None,
    seat_layout: SeatLayout | None = None,
    seat_params: SeatParams | None = None,
    end_s: int | None = None,
) -> Decided:
    """:func:`classify_window`, cut where the window's seconds stop being decided
    (see :mod:`analytics.live_hold`; ``end_s``: where the data end, None at the end
    of a replay: everything is decided), with the trunk evidence of what is kept
    (see :mod:`analytics.calibration_evidence`)."""
    p = params or PostureParams()
    lp = live or LiveParams()
    sec, a = _classify(
        rec,
        from_s,
        to_s,
        thigh=thigh,
        trunk=trunk,
        params=p,
        seat_layout=seat_layout,
        seat_params=seat_params,
    )
    if a is None or a.epochs is None:
        return Decided(sec, None)
    t0 = int(a.timeline.t0_s)
    keep_i = to_s - t0
    tl = a.timeline.posture
    if end_s is not None and keep_i <= tl.shape[0]:
        # (past the data's end, the clock moved on: a gap, which decides everything)
        end_i = end_s - t0  # the clock's end: a silent sensor's hold still runs out
        coasting = None
        if a.thigh is not None and a.thigh.source == PEDALLING_SOURCE:
            coasting = coasted_seconds(tl, a.epochs, a.thigh, p)
        keep_i = min(keep_i, ride_undecided_from(tl, keep_i, end_i, lp.lag_s, p, coasting=coasting))
        if keep_i > 0 and a.thigh is not None:
            cand = _offbody_candidates(a, p, keep_i - 1)
            keep_i = min(keep_i, offbody_undecided_from(cand, tl, keep_i, end_i, lp.lag_s, p))
    keep_to = max(from_s, min(to_s, t0 + keep_i))
    n = keep_to - from_s
    sec = WindowSeconds(
        from_s, sec.posture[:n], sec.hip_flexion_deg[:n], sec.data[:n], sec.seat_baseline
    )
    evidence = None
    if a.thigh is not None and n > 0:
        evidence = evidence_of(a, max(0, from_s - t0), max(0, keep_to - t0), p)
    unit = None if a.terms is None else (a.terms.thigh_dir, a.terms.trunk_dir)
    return Decided(sec, evidence, directions_of(a.epochs, from_s, n, unit))


def evidence_of(a: Analysis, lo: int, hi: int, p: PostureParams) -> Evidence:
    """:func:`analytics.calibration_evidence.gather` of seconds ``[lo, hi)`` of the
    window's analysis, from those seconds and the ones their transitions look at
    (the same evidence as from the whole window, without the work on the context)."""
    assert a.epochs is not None
    assert a.thigh is not None
    tl = a.timeline.posture
    a_i, b_i = max(0, lo - TRANSITION_BEFORE_S), min(tl.shape[0], hi + TRANSITION_AFTER_S)
    part = a.epochs.part(a_i, b_i)
    directions = None
    if a.terms is not None:
        d_trunk = a.terms.trunk_dir
        directions = (a.terms.thigh_dir[a_i:b_i], None if d_trunk is None else d_trunk[a_i:b_i])
    return gather(part, tl[a_i:b_i], a.thigh, a.trunk, lo - a_i, hi - a_i, p, directions=directions)


def _offbody_candidates(a: Analysis, p: PostureParams, last_i: int) -> BoolArray:
    """Seconds :func:`mark_off_body` would mark if a second were long enough (the
    seconds of the same rule, :func:`analytics.posture.off_body_seconds`, as the
    window's analysis found them); all False unless second ``last_i`` is dead still
    (every candidate is), which is when it matters."""
    ep = a.epochs
    assert ep is not None
    assert a.terms is not None
    assert a.off_body is not None
    n = ep.n
    limit = a.terms.still_limit_g
    # the limit is below max(nonwear_std_g, 1.5 x still_std_g) (its floor is a
    # percentile of seconds under still_std_g): a moving last second needs no limit
    if not float(ep.thigh_std_g[last_i]) < max(p.nonwear_std_g, 1.5 * p.still_std_g):
        return np.zeros(n, dtype=np.bool_)
    with np.errstate(invalid="ignore"):
        dead = ep.thigh_std_g < limit
    if not dead[last_i]:
        return np.zeros(n, dtype=np.bool_)
    impossible, both = a.off_body
    cand = impossible if both is None else impossible | both
    # the frozen test judges blocks of at least half a block: dead still seconds in
    # a shorter last block continue a run of candidates until it can be judged
    tail = (n // p.frozen_block_s) * p.frozen_block_s
    if 0 < tail < n and n - tail < p.frozen_block_s // 2:
        cand = cand.copy()
        for i in range(tail, n):
            if not (dead[i] and cand[i - 1]):
                break
            cand[i] = True
    return cand


def _has_data(rec: Recording | WindowSamples, from_s: int, n: int) -> BoolArray:
    """The seconds ``[from_s, from_s + n)`` with a sample of the primary sensor."""
    if isinstance(rec, WindowSamples):
        ep = rec.epochs
        has = np.zeros(n, dtype=np.bool_)
        lo, hi = max(from_s, ep.t0_s), min(from_s + n, ep.t0_s + ep.n)
        if hi > lo:
            has[lo - from_s : hi - from_s] = ep.count[lo - ep.t0_s : hi - ep.t0_s] > 0
        return has
    primary = _primary(rec)
    ok = np.isfinite(primary).all(axis=1) if primary.ndim == 2 else np.isfinite(primary)
    sec = np.floor(rec.t_s[ok]).astype(np.int64) - from_s
    inside = sec[(sec >= 0) & (sec < n)]
    has = np.zeros(n, dtype=np.bool_)
    has[inside] = True
    return has


def _classify(
    rec: Recording | WindowSamples,
    from_s: int,
    to_s: int,
    *,
    thigh: ThighCalibration | None,
    trunk: TrunkCalibration | None,
    params: PostureParams | None,
    seat_layout: SeatLayout | None,
    seat_params: SeatParams | None = None,
) -> tuple[WindowSeconds, Analysis | None]:
    n = to_s - from_s
    if n <= 0:
        raise ValueError(f"empty range [{from_s}, {to_s})")
    posture = np.full(n, code.NONWEAR, dtype=np.int8)
    hip = np.full(n, np.nan)
    data = np.full(n, DATA_NONE, dtype=np.int8)
    has = _has_data(rec, from_s, n)
    if not has.any():
        return WindowSeconds(from_s, posture, hip, data), None
    if isinstance(rec, WindowSamples):
        a = analyze_window(rec, params or PostureParams(), thigh, trunk)
    else:
        a = analyze_recording(
            rec, params, seat_layout=seat_layout, seat_params=seat_params, thigh=thigh, trunk=trunk
        )
    tl = a.timeline
    seat = a.seat
    baseline = None
    if seat is not None and seat.baseline_source != "none":
        baseline = seat.end_baseline
    lo = max(from_s, int(tl.t0_s))
    hi = min(to_s, int(tl.t0_s) + tl.n)
    if hi > lo:
        src = slice(lo - int(tl.t0_s), hi - int(tl.t0_s))
        dst = slice(lo - from_s, hi - from_s)
        posture[dst] = tl.posture[src]
        hip[dst] = tl.hip_flexion_deg[src]
    posture[~has] = code.NONWEAR
    hip[~has] = np.nan
    data[has] = np.where(posture[has] == code.NONWEAR, DATA_OFF, DATA_OK)
    return WindowSeconds(from_s, posture, hip, data, baseline), a


def analyze_calibrating(
    rec: Recording | WindowSamples, params: PostureParams | None = None
) -> Analysis:
    """A window's analysis with the automatic calibration taken from the window itself
    (a live window's :class:`WindowSamples`: from its per-second statistics and
    rhythm windows, kept across steps, not from the raw samples again). Raises
    CalibrationError (saying what to do) when the window has no walking or
    standing."""
    if isinstance(rec, WindowSamples):
        return analyze_window(rec, params or PostureParams(), None, None)
    if rec.thigh_acc_g is None:
        raise CalibrationError("no thigh sensor: nothing to calibrate")
    return analyze_thigh(rec, params)


def calibrate_window(
    rec: Recording | WindowSamples, params: PostureParams | None = None
) -> tuple[ThighCalibration, TrunkCalibration | None]:
    """The automatic calibration from a window of samples (thigh, and trunk when
    worn), :func:`analyze_calibrating`'s."""
    a = analyze_calibrating(rec, params)
    if a.thigh is None:  # pragma: no cover - analyze_thigh always calibrates the thigh
        raise CalibrationError("the thigh sensor could not be calibrated")
    return a.thigh, a.trunk
