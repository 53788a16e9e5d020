"""The seat-mat analysis's records: its parameters (:class:`SeatParams`), its
per-second output (:class:`SeatSeconds`) and the state carried from chunk to chunk
(:class:`SeatState`). The analysis itself is in :mod:`analytics.seat_pressure`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from analytics.records import BoolArray, FloatArray, IntArray, whole_seconds
from analytics.seat_baseline import BaselineSource


@dataclass(frozen=True, slots=True)
class SeatParams:
    """Tuning of the seat-pressure analysis. Every default is documented here and in
    docs/seat-pressure.md. Loads are in the data's own unit (counts or kPa) summed
    over cells; all other thresholds are relative, so the defaults work for both."""

    init_window_s: float = 600.0
    """Windows of the data searched, in order, for the initial per-cell baseline."""
    baseline_percentile: float = 5.0
    """Low percentile of each cell's per-second means that anchors the search for the
    empty seconds of a window."""
    empty_baseline: tuple[float, ...] | None = None
    """A known per-cell empty-seat reading of this mat (data unit, one value per cell,
    e.g. saved from an earlier session); used instead of learning one from the data."""
    still_ratio_max: float = 1.5
    """Low seconds count as an empty seat only if their summed second-to-second change
    is at most this multiple of what independent cell noise gives (about 1 for a
    still, empty mat; a sitter's breathing and sway move many cells together)."""
    load_ref: float | None = None
    """Reference occupied load (data unit, summed over cells). ``None``: estimated by
    :func:`seat_init` from the data it is given (the typical load of the upper mode)."""
    enter_frac: float = 0.30
    """Occupancy starts when the load exceeds ``enter_frac * load_ref``..."""
    exit_frac: float = 0.15
    """...and ends when it falls below ``exit_frac * load_ref`` (hysteresis)."""
    noise_factor: float = 2.0
    """Floor of the enter threshold, in units of the summed per-cell noise (robust std
    of second-to-second changes); the exit threshold keeps the same ratio."""
    persist_s: int = 3
    """Consecutive seconds beyond a threshold needed to change occupancy."""
    reset_gap_s: int = 300
    """A gap at least this long resets the occupancy state to empty."""
    baseline_block_s: int = 60
    """The baseline is updated once per aligned block of this many seconds."""
    baseline_tau_up_s: float = 300.0
    """Time constant (in empty seconds) for the baseline to follow a rising offset."""
    baseline_tau_down_s: float = 30.0
    """Time constant (in empty seconds) for the baseline to follow a falling offset."""
    settle_s: int = 10
    """Seconds skipped at the start of each sitting bout before collecting the CoP
    reference (sitting down is not a posture)."""
    ref_s: int = 120
    """Number of settled occupied seconds whose median cop_y is the person's reference."""
    ref_cop_y_m: float | None = None
    """A known reference cop_y (for example from an 'sit upright' calibration);
    overrides the automatic one."""
    slump_threshold_m: float = 0.02
    """``slumped`` when the CoP has moved back by more than this from the reference."""

    def __post_init__(self) -> None:
        positive = {
            "init_window_s": self.init_window_s,
            "enter_frac": self.enter_frac,
            "exit_frac": self.exit_frac,
            "baseline_tau_up_s": self.baseline_tau_up_s,
            "baseline_tau_down_s": self.baseline_tau_down_s,
            "slump_threshold_m": self.slump_threshold_m,
            "still_ratio_max": self.still_ratio_max,
        }
        for name, value in positive.items():
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"SeatParams.{name} must be a positive number, got {value!r}")
        if not 0.0 <= self.baseline_percentile <= 100.0:
            raise ValueError("SeatParams.baseline_percentile must be within [0, 100]")
        if self.exit_frac >= self.enter_frac:
            raise ValueError("SeatParams.exit_frac must be smaller than enter_frac")
        if not (math.isfinite(self.noise_factor) and self.noise_factor >= 0):
            raise ValueError("SeatParams.noise_factor must be >= 0")
        for name, ivalue in {
            "persist_s": self.persist_s,
            "reset_gap_s": self.reset_gap_s,
            "baseline_block_s": self.baseline_block_s,
            "ref_s": self.ref_s,
        }.items():
            if ivalue < 1:
                raise ValueError(f"SeatParams.{name} must be >= 1, got {ivalue!r}")
        if self.settle_s < 0:
            raise ValueError("SeatParams.settle_s must be >= 0")
        if self.load_ref is not None and not (math.isfinite(self.load_ref) and self.load_ref > 0):
            raise ValueError("SeatParams.load_ref must be a positive number or None")
        if self.ref_cop_y_m is not None and not math.isfinite(self.ref_cop_y_m):
            raise ValueError("SeatParams.ref_cop_y_m must be finite or None")
        if self.empty_baseline is not None and not (
            len(self.empty_baseline) > 0 and all(math.isfinite(v) for v in self.empty_baseline)
        ):
            raise ValueError("SeatParams.empty_baseline must be finite numbers, one per cell")


@dataclass(frozen=True, slots=True)
class SeatSeconds:
    """Per-second seat features. Second ``i`` covers ``[t0_s + i, t0_s + i + 1)``.

    Gap seconds (``count == 0``) and seconds whose samples hold no valid cell have
    ``occupied`` and ``slumped`` False and every float NaN. Loads and pressures are in
    the data's unit (counts or kPa); positions in metres on the seat plane.
    """

    t0_s: int
    count: IntArray
    """Samples in the second (0 = gap)."""
    baseline: FloatArray
    """Mean over cells of the tracked empty-seat baseline used in that second."""
    load: FloatArray
    """Sum over cells of max(0, p - baseline)."""
    occupied: BoolArray
    cop_x_m: FloatArray
    """Centre of pressure to the sitter's right (NaN unless occupied)."""
    cop_y_m: FloatArray
    """Centre of pressure forward, towards the knees (NaN unless occupied)."""
    peak: FloatArray
    """Largest above-baseline cell pressure."""
    lr_asymmetry: FloatArray
    """(right - left) / (right + left) load, in [-1, 1] (NaN unless occupied)."""
    cop_shift_y_m: FloatArray
    """cop_y minus the person's reference; negative = moved back (NaN until known)."""
    slumped: BoolArray
    """Occupied and cop_shift_y_m < -slump_threshold_m."""
    baseline_source: BaselineSource = "learned"
    """Where the empty-seat baseline came from; ``none``: the data never showed an
    empty seat, so occupancy is unreliable (give ``SeatParams.empty_baseline``)."""
    end_baseline: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    """Per-cell empty-seat baseline after the last second (data unit): what to keep
    for this mat's next session."""

    @property
    def n(self) -> int:
        return int(self.count.shape[0])

    @property
    def t_s(self) -> IntArray:
        return whole_seconds(self.t0_s, self.n)

    @property
    def gap(self) -> BoolArray:
        """No sample at all in the second."""
        return np.asarray(self.count == 0, dtype=np.bool_)

    @property
    def valid(self) -> BoolArray:
        """At least one valid cell value in the second."""
        return np.asarray(np.isfinite(self.load), dtype=np.bool_)


def empty_float() -> FloatArray:
    return np.zeros(0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class SeatState:
    """Everything :func:`seat_step` carries from one chunk to the next."""

    baseline: FloatArray
    """Per-cell empty-seat baseline (data unit), frozen within the current block."""
    load_ref: float
    """Estimated reference occupied load (used unless ``SeatParams.load_ref`` is set)."""
    noise_load: float
    """Sum over cells of the robust per-second noise (data unit)."""
    next_second: int | None = None
    """First absolute second not yet emitted; None before the first step."""
    occupied: bool = False
    run_s: int = 0
    """Consecutive seconds supporting a change of occupancy."""
    gap_s: int = 0
    """Consecutive gap seconds up to ``next_second``."""
    bout_s: int = 0
    """Occupied seconds so far in the current sitting bout."""
    block_rows: FloatArray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float64))
    """Per-second means of the empty seconds of the unfinished baseline block."""
    ref_cop_y_m: float = math.nan
    """The person's reference cop_y once known."""
    ref_rows: FloatArray = field(default_factory=empty_float)
    """cop_y values collected towards the reference while it is not known yet."""
    baseline_source: BaselineSource = "learned"
    """Where the initial baseline came from (see :class:`SeatSeconds`)."""


def empty_seconds(
    t0_s: int, source: BaselineSource = "learned", baseline: FloatArray | None = None
) -> SeatSeconds:
    f = empty_float()
    b = np.zeros(0, dtype=np.bool_)
    return SeatSeconds(
        t0_s=t0_s,
        count=np.zeros(0, dtype=np.int64),
        baseline=f,
        load=f.copy(),
        occupied=b,
        cop_x_m=f.copy(),
        cop_y_m=f.copy(),
        peak=f.copy(),
        lr_asymmetry=f.copy(),
        cop_shift_y_m=f.copy(),
        slumped=b.copy(),
        baseline_source=source,
        end_baseline=empty_float() if baseline is None else baseline,
    )
