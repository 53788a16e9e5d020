"""Compression exposure: the records (bouts, breaks, events, their parameters) and
the per-step rules that the batch computation (:mod:`analytics.bouts`) and the
streaming one (:mod:`analytics.streaming`) share, so that both agree exactly.

Definitions (../shared/domain.md): **seated** steps compress the tendon
(``sitting``, ``riding_seated``); **relief** steps do not (``upright``,
``riding_standing``, ``lying``); **gaps** (``nonwear``) are never sitting and never
a break. How bouts and breaks are made of them: :mod:`analytics.bouts`.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from analytics.records import BoolArray, FloatArray, Int8Array, Posture, Timeline
from analytics.rules import RULES
from analytics.scratch import scratch
from analytics.smoothing import runs

SEATED = 0
RELIEF = 1
GAP = 2

# class of each Posture code, indexed by the code
STEP_CLASS_OF = np.array(
    [GAP, SEATED, RELIEF, RELIEF, SEATED, RELIEF],  # NONWEAR SITTING UPRIGHT LYING R_SEAT R_STAND
    dtype=np.int8,
)


@dataclass(frozen=True, slots=True)
class ExposureParams:
    break_s: float = RULES.break_s
    """An upright period this long is a break; shorter ones are micro-breaks."""
    guidance_max_s: float = 40 * 60.0
    """A break taken within this much compression time follows the 30–40 min rule."""
    milestones_min: tuple[float, ...] = (30.0, 40.0)
    """Bout lengths (minutes) announced as events..."""
    repeat_every_min: float = 10.0
    """...and every this many minutes after the last milestone (0: never)."""
    hip_thresholds_deg: tuple[float, ...] = (RULES.hip_flexion_limit_deg,)
    """Hip-flexion thresholds for time, dose and longest span above."""
    valid_day_wear_s: float = 10 * 3600.0
    """A day is valid with at least this much wear time."""
    load_change_flag: float = 0.30
    """Week-over-week change of daily compression beyond ± this is flagged."""
    hip_event_hold_s: float = float(RULES.posture_hold_s)
    """Hip above / below 90° must last this long to start or end a span (events only:
    the exposure times count every step)."""
    saddle_stand_s: float = RULES.saddle_stand_s
    """Standing on the pedals this long ends a saddle bout (:mod:`analytics.saddle`;
    the live saddle prompts read it from here too)."""

    def __post_init__(self) -> None:
        if self.break_s <= 0:
            raise ValueError("break_s must be positive")
        if self.saddle_stand_s <= 0:
            raise ValueError("saddle_stand_s must be positive")
        if any(b <= a for a, b in zip(self.milestones_min, self.milestones_min[1:], strict=False)):
            raise ValueError("milestones_min must increase")
        if self.repeat_every_min < 0:
            raise ValueError("repeat_every_min must be >= 0")


class BoutEnd(enum.StrEnum):
    BREAK = "break"
    GAP = "gap"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class CompressionBout:
    start_s: float
    end_s: float
    seated_s: float
    micro_breaks: int
    micro_break_s: float
    hip_gt90_s: float
    hip_dose_deg_min: float
    seat_dose: float | None
    """Pressure–time dose: seat load above baseline × seconds (mat units·s)."""
    seat_peak: float | None
    ended_by: BoutEnd
    gap_s: float | None
    """Length of the gap that interrupted the bout (``ended_by == GAP``)."""
    closed_at_s: float
    """When the bout was known to be over: the break complete, the gap's start, or
    (still open) the end of the data."""
    paused_s: float = 0.0
    """Short gaps inside the bout (shorter than a break: they pause it)."""

    @property
    def duration_s(self) -> float:
        """From start to end, without the paused gaps."""
        return self.end_s - self.start_s - self.paused_s


@dataclass(frozen=True, slots=True)
class Break:
    start_s: float
    duration_s: float
    met_rule: bool
    sitting_before_s: float
    within_guidance: bool


class EventKind(enum.StrEnum):
    GAP_ENDED = "gap_ended"
    HIP_GT90_ENDED = "hip_gt90_ended"
    MICRO_BREAK = "micro_break"
    BREAK_TAKEN = "break_taken"
    BOUT_ENDED = "bout_ended"
    BOUT_STARTED = "bout_started"
    BOUT_MINUTES = "bout_minutes"
    HIP_GT90_STARTED = "hip_gt90_started"
    GAP_STARTED = "gap_started"


_EVENT_ORDER = {k: i for i, k in enumerate(EventKind)}


@dataclass(frozen=True, slots=True)
class ExposureEvent:
    """Something the alert logic reacts to, at time ``t_s``. ``value``: minutes reached
    (bout_minutes), the length in seconds (micro_break, break_taken, gap_ended,
    hip_gt90_ended, bout_ended), else 0."""

    t_s: float
    kind: EventKind
    value: float = 0.0

    def sort_key(self) -> tuple[float, int]:
        return (self.t_s, _EVENT_ORDER[self.kind])


@dataclass(frozen=True, slots=True)
class Compression:
    bouts: tuple[CompressionBout, ...]
    breaks: tuple[Break, ...]
    events: tuple[ExposureEvent, ...]


_SITTING, _RIDING_SEATED, _NONWEAR = int(Posture.SITTING), int(Posture.RIDING_SEATED), 0
"""Posture codes as plain ints (numpy compares an int faster than an IntEnum member)."""
_SMALL = 4096
"""Arrays this short get fresh temporaries (a scratch buffer's lookup costs more)."""


def step_classes(posture: Int8Array) -> Int8Array:
    """SEATED / RELIEF / GAP per step (= ``STEP_CLASS_OF[posture]``, computed with three
    cheap int8 operations instead of a gather)."""
    n = posture.shape[0]
    if n <= _SMALL:
        seated = np.equal(posture, _SITTING)
        seated |= np.equal(posture, _RIDING_SEATED)
        gap = np.equal(posture, _NONWEAR)
    else:
        seated = np.equal(posture, _SITTING, out=scratch("cls-a", n, np.bool_))
        seated |= np.equal(posture, _RIDING_SEATED, out=scratch("cls-b", n, np.bool_))
        gap = np.equal(posture, _NONWEAR, out=scratch("cls-b", n, np.bool_))
    out: Int8Array = gap.view(np.int8) - seated.view(np.int8)  # a fresh array: returned
    out += RELIEF
    return out


def break_steps(p: ExposureParams, dt_s: float) -> int:
    """Steps of relief that make a break (one rule for batch and streaming)."""
    return math.ceil(p.break_s / dt_s - 1e-9)


def step_time(t0_s: float, dt_s: float, index: int) -> float:
    """The one formula for the time of a step boundary (batch and streaming alike)."""
    return float(t0_s + index * dt_s)


def milestone_minutes(params: ExposureParams, up_to_s: float) -> list[float]:
    """Bout lengths (minutes) announced up to ``up_to_s`` seconds of bout."""
    out = [m for m in params.milestones_min if m * 60.0 <= up_to_s]
    if params.repeat_every_min > 0 and params.milestones_min:
        m = params.milestones_min[-1] + params.repeat_every_min
        while m * 60.0 <= up_to_s:
            out.append(m)
            m += params.repeat_every_min
    return out


def hip_hold_steps(p: ExposureParams, dt_s: float) -> int:
    return max(1, math.ceil(p.hip_event_hold_s / dt_s - 1e-9))


def hip_span_changes(
    above: BoolArray, t0_s: float, dt_s: float, p: ExposureParams
) -> list[tuple[float, EventKind, float]]:
    """Debounced hip > 90° spans: a run of above/below counts once it lasts
    ``hip_event_hold_s``; shorter runs are absorbed. An event marks each counted run
    whose state differs from the previous counted one, at the run's start."""
    starts, lengths, values = runs(above)
    kept = lengths >= hip_hold_steps(p, dt_s)
    k_starts = starts[kept].tolist()
    k_values = values[kept].tolist()
    out: list[tuple[float, EventKind, float]] = []
    state, since = False, 0
    for s, v in zip(k_starts, k_values, strict=True):
        if v == state:
            continue
        t = step_time(t0_s, dt_s, s)
        if v:
            out.append((t, EventKind.HIP_GT90_STARTED, 0.0))
        else:
            out.append((t, EventKind.HIP_GT90_ENDED, (s - since) * dt_s))
        state, since = v, s
    return out


QUANTUM = 1e-6
"""Doses are summed as integers of this unit, so that any chunking gives the same
result to the last bit (floating-point sums depend on their order)."""


def quantize(values: FloatArray, out: FloatArray | None = None) -> FloatArray:
    """Values in units of QUANTUM, rounded to whole numbers (kept as float64: sums of
    whole numbers below 2**53 are exact, whatever their order)."""
    q = np.multiply(values, 1.0 / QUANTUM, out=out)
    np.rint(q, out=q)
    return q


def seat_load_seated(posture: Int8Array, load: FloatArray) -> FloatArray:
    """Seat load above baseline counted on seated steps only (0 elsewhere)."""
    seated = step_classes(posture) == SEATED
    return np.where(seated & np.isfinite(load), load, 0.0)


def seat_peak_seated(posture: Int8Array, peak: FloatArray) -> FloatArray:
    """Seat peak pressure on seated steps (NaN elsewhere)."""
    return np.where(step_classes(posture) == SEATED, peak, np.nan)


def excess_over(hip_deg: FloatArray, threshold_deg: float, slot: str) -> FloatArray:
    """max(hip − threshold, 0) per step, unknown (NaN) → 0, into a scratch buffer.
    fmax is branch-free, unlike a masked where."""
    excess = scratch(slot, hip_deg.shape[0], np.float64)
    np.subtract(hip_deg, threshold_deg, out=excess)
    np.fmax(excess, 0.0, out=excess)
    return excess


def hip_step_values(
    tl: Timeline, threshold_deg: float, excess_all: FloatArray | None = None
) -> tuple[BoolArray, FloatArray]:
    """Per step: above the threshold while seated, and the excess in degrees.
    ``excess_all``: ``excess_over(hip, threshold_deg)`` when the caller has it."""
    n = tl.n
    if n <= _SMALL:
        seated = np.equal(tl.posture, _SITTING)
        seated |= np.equal(tl.posture, _RIDING_SEATED)
        if excess_all is None:
            excess_all = np.fmax(np.subtract(tl.hip_flexion_deg, threshold_deg), 0.0)
        excess = np.multiply(excess_all, seated)
        return np.greater(excess, 0.0), excess
    seated = np.equal(tl.posture, _SITTING, out=scratch("cmp-seated", n, np.bool_))
    seated |= np.equal(tl.posture, _RIDING_SEATED, out=scratch("cmp-rs", n, np.bool_))
    if excess_all is None:
        excess_all = excess_over(tl.hip_flexion_deg, threshold_deg, "cmp-all")
    # into scratch buffers: every fresh large array costs page faults
    excess = np.multiply(excess_all, seated, out=scratch("cmp-excess", n, np.float64))
    above = np.greater(excess, 0.0, out=scratch("cmp-above", n, np.bool_))
    return above, excess
