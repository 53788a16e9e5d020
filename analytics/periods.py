"""activPAL-compatible measures per period: per local calendar day, per clock period
(for example 2-hour periods) and for the whole input.

Pure numpy + stdlib (``zoneinfo`` for local days). Everything works on runs of the
timeline (run-length encoding), never per step in Python, so 100 person-weeks of 1 Hz
timelines summarise in well under a second.

Rules (../shared/domain.md; docs/activpal.md):

* **Durations** (``sitting_s``, ``upright_s``, ...) are the time inside the period:
  a run that crosses a period boundary is split between the periods.
* **Events** (``sitting_events``, ``standing_events``, ``stepping_events``,
  ``lying_events``) count the runs that *overlap* the period, the way activPAL's own
  period summaries count them: a sitting event from 13:00 to 19:00 counts once in
  each 2-hour period it touches. Consecutive stepping is one stepping event.
* **Sit-to-stand** transitions are boundaries where a sitting run is directly followed
  by an upright run (standing or stepping), counted in the period that holds the
  instant of the transition. The timeline is taken as given (the posture classifier
  already applied the 10 s rule); a sitting run followed by non-wear, lying or riding
  is no transition.
* **Sitting bouts**: a bout is sitting ended by upright for at least ``bout_break_s``
  (10 s): a sitting run continues through upright runs shorter than that. Any other
  posture ends the bout, and non-wear (a gap) is never sitting and never a break: a
  bout interrupted by a gap ends at the gap and a new bout starts after it. A bout
  lasts from the start of its first sitting run to the end of its last one (the short
  upright spells inside it included). Bouts belong to the period where they
  **start**, and their duration is reported **in full** (a bout from 23:00 to 01:00
  is a 2-hour bout of the first day). Bouts cut by the start or end of the timeline
  are counted with the part that was observed.
* **Bout thresholds**: ``sitting_bouts_gt30min`` and ``sitting_bouts_gt60min`` count
  bouts *longer than* 30 and 60 minutes (strictly, as the literature words it); the
  bins are half-open ``[0, 30 min)``, ``[30, 60 min)``, ``[1, 2 h)``, ``[2, 4 h)``,
  ``[4 h, ...)``, so a bout of exactly 30 minutes is in the 30–60 minute bin but not
  "longer than 30 minutes".
* **Steps** (activPAL only): steps attributed to an instant (the start of the
  stepping event) count in the period holding that instant.
* A period is **valid** when its wear time is at least ``valid_day_wear_s``.

Period bounds are snapped to the nearest step boundary of the timeline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from analytics.records import FloatArray, IntArray, Posture, Timeline
from analytics.rules import RULES
from analytics.smoothing import runs

BOUT_BREAK_S: Final = float(RULES.posture_hold_s)
"""Upright time that ends a sitting bout (the activPAL 10 s rule)."""

DEFAULT_VALID_DAY_WEAR_S: Final = 10 * 3600.0
"""A common validity rule for a calendar day: at least 10 h of wear."""

BOUT_BIN_EDGES_S: Final = (1800.0, 3600.0, 7200.0, 14400.0)
"""Lower edges of the sitting-bout bins after the first (30 min, 1 h, 2 h, 4 h)."""

BOUT_BIN_LABELS: Final = ("<30min", "30-60min", "1-2h", "2-4h", ">=4h")
"""Names of the bins: ``[0, 30 min)``, ``[30, 60 min)``, ``[1, 2 h)``, ``[2, 4 h)``,
``[4 h, ...)``."""

NAIVE_TZ: Final = ("naive", "local", "local-clock")
"""Time-zone names meaning "the timeline's clock is already local" (activPAL)."""

_N_KEYS: Final = 2 * len(Posture)
_K_NONWEAR: Final = 2 * Posture.NONWEAR
_K_SITTING: Final = 2 * Posture.SITTING
_K_STANDING: Final = 2 * Posture.UPRIGHT
_K_STEPPING: Final = 2 * Posture.UPRIGHT + 1
_K_LYING: Final = 2 * Posture.LYING
_K_RIDING_SEATED: Final = 2 * Posture.RIDING_SEATED
_K_RIDING_STANDING: Final = 2 * Posture.RIDING_STANDING


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open span ``[start_s, end_s)`` on the timeline's clock.

    ``label`` is the ISO date for days, ``"HHMM to HHMM"`` for clock periods and
    ``"total"`` for the whole input; ``date`` is the local calendar date the period
    belongs to (ISO, empty for the whole input).
    """

    start_s: float
    end_s: float
    label: str
    date: str = ""

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class StepCounts:
    """Steps attributed to instants on the timeline's clock: ``steps[i]`` steps at
    ``t_s[i]`` (sorted). For activPAL, one entry per stepping event at its start."""

    t_s: FloatArray
    steps: IntArray


@dataclass(frozen=True, slots=True)
class BoutBins:
    """Sitting bouts by length (bins :data:`BOUT_BIN_LABELS`): count and total time."""

    counts: tuple[int, int, int, int, int]
    time_s: tuple[float, float, float, float, float]

    def as_dict(self) -> dict[str, dict[str, float | int]]:
        return {
            label: {"count": n, "time_s": t}
            for label, n, t in zip(BOUT_BIN_LABELS, self.counts, self.time_s, strict=True)
        }


@dataclass(frozen=True, slots=True)
class PeriodMeasures:
    """activPAL-compatible measures of one period (see the module docstring for the
    rules). Durations are seconds inside the period; bout figures are for the bouts
    that start in it. ``standing_*`` and ``stepping_*`` are ``None`` when the timeline
    does not say which upright time was stepping (sensor timelines); ``steps`` is
    ``None`` without step data."""

    start_s: float
    end_s: float
    label: str
    date: str
    wear_s: float
    sitting_s: float
    upright_s: float
    standing_s: float | None
    stepping_s: float | None
    lying_s: float
    nonwear_s: float
    riding_seated_s: float
    riding_standing_s: float
    sitting_events: int
    standing_events: int | None
    stepping_events: int | None
    lying_events: int
    sit_to_stand: int
    sitting_bouts: int
    sitting_bouts_gt30min: int
    sitting_bouts_gt60min: int
    sitting_time_in_bouts_gt30min_s: float
    bout_bins: BoutBins
    longest_sitting_bout_s: float
    steps: int | None
    valid: bool


# --------------------------------------------------------------------------- periods


def _zone(tz: str | tzinfo | None) -> tzinfo:
    if tz is None or (isinstance(tz, str) and tz.lower() in NAIVE_TZ):
        return UTC
    if isinstance(tz, str):
        return ZoneInfo(tz)
    return tz


def _local_midnight_s(day: date, zone: tzinfo) -> float:
    """The first instant of local ``day`` (a missing midnight maps to the first
    instant after the DST gap, PEP 495 ``fold=0``)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def _local_days(t0_s: float, t1_s: float, zone: tzinfo) -> list[date]:
    first = datetime.fromtimestamp(t0_s, zone).date()
    last = datetime.fromtimestamp(max(t0_s, t1_s - 1e-6), zone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def day_bounds(t0_s: float, t1_s: float, tz: str | tzinfo | None = None) -> list[Period]:
    """The local calendar days touched by ``[t0_s, t1_s)``, whole days from local
    midnight to local midnight (23 h or 25 h on DST change days), labelled with the ISO
    date.

    ``tz`` is an IANA name (``"Europe/London"``) or a ``tzinfo`` when the times are
    Unix time, or ``None`` / ``"naive"`` when they already count local-clock seconds
    (activPAL), so a day is exactly 86,400 s.
    """
    zone = _zone(tz)
    out: list[Period] = []
    for day in _local_days(t0_s, t1_s, zone):
        start = _local_midnight_s(day, zone)
        end = _local_midnight_s(day + timedelta(days=1), zone)
        if end > start:
            out.append(Period(start, end, day.isoformat(), day.isoformat()))
    return out


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}{minutes % 60:02d}"


def clock_periods(
    t0_s: float, t1_s: float, hours: float, tz: str | tzinfo | None = None
) -> list[Period]:
    """Wall-clock periods of ``hours`` aligned to local midnight, for every local day
    touched by ``[t0_s, t1_s)`` (labels ``"0000 to 0200"`` ... ``"2200 to 0000"``).

    When ``hours`` does not divide 24 the last period of each day is shorter. On DST
    change days the periods follow the wall clock, so the one holding the change is an
    hour shorter or longer; a period that does not exist on the wall clock (it lies in
    the skipped hour) is left out. ``tz`` as for :func:`day_bounds`.
    """
    if not hours > 0:
        raise ValueError(f"hours must be positive, got {hours!r}")
    zone = _zone(tz)
    step_min = hours * 60.0
    n_per_day = math.ceil(1440.0 / step_min - 1e-9)
    starts_min = [round(i * step_min) for i in range(n_per_day)]
    ends_min = [*starts_min[1:], 1440]
    out: list[Period] = []
    for day in _local_days(t0_s, t1_s, zone):
        base = datetime(day.year, day.month, day.day)
        for a_min, b_min in zip(starts_min, ends_min, strict=True):
            a = (base + timedelta(minutes=a_min)).replace(tzinfo=zone).timestamp()
            b = (base + timedelta(minutes=b_min)).replace(tzinfo=zone).timestamp()
            if b > a:
                label = f"{_hhmm(a_min)} to {_hhmm(b_min)}"
                out.append(Period(a, b, label, day.isoformat()))
    return out


def whole(tl: Timeline) -> Period:
    """The period covering the whole timeline, labelled ``"total"``."""
    return Period(float(tl.t0_s), tl.t0_s + tl.n * tl.dt_s, "total", "")


# --------------------------------------------------------------------------- measures


@dataclass(frozen=True, slots=True)
class _Runs:
    """Runs of the combined key ``2 * posture + stepping``."""

    starts: IntArray
    lengths: IntArray
    keys: npt.NDArray[np.int8]
    n: int

    def by_key(self) -> dict[int, tuple[IntArray, IntArray, IntArray]]:
        """Per key: starts, ends and cumulative lengths (``cum[j]`` = steps in the runs
        of that key before its run ``j``), from one stable sort of the runs."""
        order = np.argsort(self.keys, kind="stable")
        sorted_keys = self.keys[order]
        bounds = np.searchsorted(sorted_keys, np.arange(_N_KEYS + 1), side="left")
        out: dict[int, tuple[IntArray, IntArray, IntArray]] = {}
        for key in range(_N_KEYS):
            idx = order[bounds[key] : bounds[key + 1]]
            starts = self.starts[idx]
            lengths = self.lengths[idx]
            cum = np.zeros(starts.shape[0] + 1, dtype=np.int64)
            np.cumsum(lengths, out=cum[1:])
            out[key] = (starts, starts + lengths, cum)
        return out


def _key_runs(
    tl: Timeline, posture_runs: tuple[IntArray, IntArray, npt.NDArray[np.int8]] | None = None
) -> _Runs:
    has_stepping = tl.stepping is not None and tl.stepping.shape[0] == tl.n
    if posture_runs is not None and not has_stepping:
        # the caller's run-length encoding of the posture: the keys are posture × 2
        p_starts, p_lengths, p_values = posture_runs
        return _Runs(p_starts, p_lengths, (p_values * np.int8(2)).astype(np.int8), tl.n)
    key = tl.posture.astype(np.int8, copy=False) * np.int8(2)
    if tl.stepping is not None and tl.stepping.shape[0] == tl.n:
        key += tl.stepping & (tl.posture == Posture.UPRIGHT)
    starts, lengths, keys = runs(key)
    return _Runs(starts, lengths, keys, tl.n)


def _time_in(starts: IntArray, ends: IntArray, cum: IntArray, a: IntArray, b: IntArray) -> IntArray:
    """Steps covered by the runs (``starts``, ``ends``, ``cum``) inside ``[a, b)``."""
    if starts.shape[0] == 0:
        return np.zeros(a.shape[0], dtype=np.int64)

    def before(x: IntArray) -> IntArray:
        j = np.searchsorted(starts, x, side="right")  # runs starting at or before x
        prev = np.maximum(j - 1, 0)
        partial = np.clip(x - starts[prev], 0, ends[prev] - starts[prev])
        return np.where(j > 0, cum[prev] + partial, 0)

    return before(b) - before(a)


def _overlapping(starts: IntArray, ends: IntArray, a: IntArray, b: IntArray) -> IntArray:
    """Runs overlapping ``[a, b)`` (runs are sorted and do not overlap)."""
    count = np.searchsorted(starts, b, side="left") - np.searchsorted(ends, a, side="right")
    return np.where(b > a, count, 0)


def _posture_runs(r: _Runs) -> tuple[IntArray, IntArray, npt.NDArray[np.int8]]:
    """Runs of posture alone (standing and stepping merged), from the key runs."""
    if r.keys.shape[0] == 0:
        return r.starts, r.lengths, r.keys
    values = r.keys // np.int8(2)
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    first = np.concatenate((np.zeros(1, dtype=np.int64), change))
    starts = r.starts[first]
    lengths = np.diff(np.append(starts, r.n))
    return starts, lengths, values[first]


@dataclass(frozen=True, slots=True)
class _Bouts:
    start: IntArray  # step index of the bout start
    length: IntArray  # steps


def sitting_bouts(tl: Timeline, *, bout_break_s: float = BOUT_BREAK_S) -> tuple[IntArray, IntArray]:
    """Sitting bouts of the timeline as (start step index, length in steps): sitting
    runs joined through upright runs shorter than ``bout_break_s`` (see the module
    docstring). Vectorised over runs."""
    b = _bouts(_key_runs(tl), tl.dt_s, bout_break_s)
    return b.start, b.length


def _bouts(r: _Runs, dt_s: float, bout_break_s: float) -> _Bouts:
    starts, lengths, values = _posture_runs(r)
    if starts.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Bouts(empty, empty)
    break_steps_floor = max(1, round(bout_break_s / dt_s))
    sit = values == Posture.SITTING
    inside = sit.copy()
    if sit.shape[0] >= 3:
        bridge = (
            (values[1:-1] == Posture.UPRIGHT)
            & (lengths[1:-1] < break_steps_floor)
            & sit[:-2]
            & sit[2:]
        )
        inside[1:-1] |= bridge
    edge = np.diff(np.concatenate(([False], inside, [False])).astype(np.int8))
    first = np.flatnonzero(edge == 1)
    last = np.flatnonzero(edge == -1) - 1
    start = starts[first]
    length = starts[last] + lengths[last] - start
    return _Bouts(start.astype(np.int64), length.astype(np.int64))


def _to_seconds(steps: npt.NDArray[np.int64], dt_s: float) -> FloatArray:
    """Steps to seconds, exact for 0.1 s steps (44091 steps -> 4409.1, not 4409.100...1)."""
    per_s = round(1.0 / dt_s)
    if per_s > 0 and abs(per_s * dt_s - 1.0) < 1e-12:
        return np.asarray(steps / float(per_s), dtype=np.float64)
    return np.asarray(steps * dt_s, dtype=np.float64)


def measures(
    tl: Timeline,
    bounds: Sequence[Period],
    *,
    valid_day_wear_s: float,
    steps: StepCounts | None = None,
    bout_break_s: float = BOUT_BREAK_S,
    posture_runs: tuple[IntArray, IntArray, npt.NDArray[np.int8]] | None = None,
) -> list[PeriodMeasures]:
    """activPAL-compatible measures of ``tl`` in each period of ``bounds``.

    Periods may be in any order and may overlap (custom periods); each is measured on
    its own. ``steps`` (activPAL) adds step counts; ``valid_day_wear_s`` decides ``valid``.
    ``posture_runs``: ``smoothing.runs(tl.posture)`` when the caller has it.
    """
    if not bounds:
        return []
    dt = tl.dt_s
    n = tl.n
    a = np.clip(np.rint((np.array([p.start_s for p in bounds]) - tl.t0_s) / dt), 0, n)
    b = np.clip(np.rint((np.array([p.end_s for p in bounds]) - tl.t0_s) / dt), 0, n)
    a_i = a.astype(np.int64)
    b_i = np.maximum(b.astype(np.int64), a_i)

    r = _key_runs(tl, posture_runs)
    steps_in: dict[int, IntArray] = {}
    events: dict[int, IntArray] = {}
    for key, (k_starts, k_ends, k_cum) in r.by_key().items():
        steps_in[key] = _time_in(k_starts, k_ends, k_cum, a_i, b_i)
        if key in (_K_SITTING, _K_STANDING, _K_STEPPING, _K_LYING):
            events[key] = _overlapping(k_starts, k_ends, a_i, b_i)

    def seconds(*keys: int) -> FloatArray:
        return _to_seconds(np.sum([steps_in[k] for k in keys], axis=0), dt)

    sitting_s = seconds(_K_SITTING)
    standing_s = seconds(_K_STANDING)
    stepping_s = seconds(_K_STEPPING)
    upright_s = seconds(_K_STANDING, _K_STEPPING)
    lying_s = seconds(_K_LYING)
    nonwear_s = seconds(_K_NONWEAR)
    seated_s = seconds(_K_RIDING_SEATED)
    riding_standing_s = seconds(_K_RIDING_STANDING)
    wear_s = _to_seconds(b_i - a_i - steps_in[_K_NONWEAR], dt)

    # sit-to-stand: run j starts upright (standing or stepping) after a sitting run
    upright_key = (r.keys == _K_STANDING) | (r.keys == _K_STEPPING)
    s2s = np.flatnonzero(upright_key[1:] & (r.keys[:-1] == _K_SITTING)) + 1
    s2s_at = r.starts[s2s]
    sit_to_stand = np.searchsorted(s2s_at, b_i, side="left") - np.searchsorted(
        s2s_at, a_i, side="left"
    )

    bouts = _bouts(r, dt, bout_break_s)
    lo = np.searchsorted(bouts.start, a_i, side="left")
    hi = np.maximum(np.searchsorted(bouts.start, b_i, side="left"), lo)
    steps_30 = round(1800.0 / dt)
    steps_60 = round(3600.0 / dt)
    edges = np.array([round(e / dt) for e in BOUT_BIN_EDGES_S], dtype=np.int64)
    bin_of = np.searchsorted(edges, bouts.length, side="right")
    bin_cnt = np.zeros((bouts.length.shape[0] + 1, 5), dtype=np.int64)
    bin_cnt[np.arange(1, bouts.length.shape[0] + 1), bin_of] = 1
    bin_len = bin_cnt.copy()
    bin_len[1:] *= bouts.length[:, None]
    bin_cnt = np.cumsum(bin_cnt, axis=0)
    bin_len = np.cumsum(bin_len, axis=0)
    gt30 = np.concatenate(([0], np.cumsum(bouts.length > steps_30)))
    gt60 = np.concatenate(([0], np.cumsum(bouts.length > steps_60)))
    gt30_len = np.concatenate(([0], np.cumsum(np.where(bouts.length > steps_30, bouts.length, 0))))
    bins_n = bin_cnt[hi] - bin_cnt[lo]
    bins_s = _to_seconds(bin_len[hi] - bin_len[lo], dt)
    gt30_s = _to_seconds(gt30_len[hi] - gt30_len[lo], dt)

    longest = np.zeros(len(bounds), dtype=np.int64)
    for j in np.flatnonzero(hi > lo):
        longest[j] = bouts.length[lo[j] : hi[j]].max()
    longest_s = _to_seconds(longest, dt)

    step_sum: IntArray | None = None
    if steps is not None:
        cum = np.concatenate(([0], np.cumsum(steps.steps.astype(np.int64))))
        a_s = tl.t0_s + a_i * dt
        b_s = tl.t0_s + b_i * dt
        step_sum = (
            cum[np.searchsorted(steps.t_s, b_s, side="left")]
            - cum[np.searchsorted(steps.t_s, a_s, side="left")]
        )

    has_stepping = tl.stepping is not None and tl.stepping.shape[0] == n
    out: list[PeriodMeasures] = []
    for i, period in enumerate(bounds):
        out.append(
            PeriodMeasures(
                start_s=period.start_s,
                end_s=period.end_s,
                label=period.label,
                date=period.date,
                wear_s=float(wear_s[i]),
                sitting_s=float(sitting_s[i]),
                upright_s=float(upright_s[i]),
                standing_s=float(standing_s[i]) if has_stepping else None,
                stepping_s=float(stepping_s[i]) if has_stepping else None,
                lying_s=float(lying_s[i]),
                nonwear_s=float(nonwear_s[i]),
                riding_seated_s=float(seated_s[i]),
                riding_standing_s=float(riding_standing_s[i]),
                sitting_events=int(events[_K_SITTING][i]),
                standing_events=int(events[_K_STANDING][i]) if has_stepping else None,
                stepping_events=int(events[_K_STEPPING][i]) if has_stepping else None,
                lying_events=int(events[_K_LYING][i]),
                sit_to_stand=int(sit_to_stand[i]),
                sitting_bouts=int(hi[i] - lo[i]),
                sitting_bouts_gt30min=int(gt30[hi[i]] - gt30[lo[i]]),
                sitting_bouts_gt60min=int(gt60[hi[i]] - gt60[lo[i]]),
                sitting_time_in_bouts_gt30min_s=float(gt30_s[i]),
                bout_bins=BoutBins(
                    counts=(
                        int(bins_n[i, 0]),
                        int(bins_n[i, 1]),
                        int(bins_n[i, 2]),
                        int(bins_n[i, 3]),
                        int(bins_n[i, 4]),
                    ),
                    time_s=(
                        float(bins_s[i, 0]),
                        float(bins_s[i, 1]),
                        float(bins_s[i, 2]),
                        float(bins_s[i, 3]),
                        float(bins_s[i, 4]),
                    ),
                ),
                longest_sitting_bout_s=float(longest_s[i]),
                steps=int(step_sum[i]) if step_sum is not None else None,
                valid=bool(wear_s[i] >= valid_day_wear_s),
            )
        )
    return out


def total(
    tl: Timeline,
    *,
    valid_day_wear_s: float = 0.0,
    steps: StepCounts | None = None,
    bout_break_s: float = BOUT_BREAK_S,
) -> PeriodMeasures:
    """The measures of the whole timeline (label ``"total"``)."""
    return measures(
        tl, [whole(tl)], valid_day_wear_s=valid_day_wear_s, steps=steps, bout_break_s=bout_break_s
    )[0]
