"""activPAL-compatible measures per period: per local calendar day, per clock period
(for example 2-hour periods) and for the whole input (the periods themselves:
:mod:`analytics.period_bounds`).

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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from analytics.period_bounds import Period, whole
from analytics.records import FloatArray, IntArray, Timeline
from analytics.sitting_bouts import (
    BOUT_BREAK_S,
    K_LYING,
    K_NONWEAR,
    K_RIDING_SEATED,
    K_RIDING_STANDING,
    K_SITTING,
    K_STANDING,
    K_STEPPING,
    bouts_of,
    key_runs,
)

DEFAULT_VALID_DAY_WEAR_S: Final = 10 * 3600.0
"""A common validity rule for a calendar day: at least 10 h of wear."""

BOUT_BIN_EDGES_S: Final = (1800.0, 3600.0, 7200.0, 14400.0)
"""Lower edges of the sitting-bout bins after the first (30 min, 1 h, 2 h, 4 h)."""

BOUT_BIN_LABELS: Final = ("<30min", "30-60min", "1-2h", "2-4h", ">=4h")
"""Names of the bins: ``[0, 30 min)``, ``[30, 60 min)``, ``[1, 2 h)``, ``[2, 4 h)``,
``[4 h, ...)``."""


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


# --------------------------------------------------------------------------- measures


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

    r = key_runs(tl, posture_runs)
    steps_in: dict[int, IntArray] = {}
    events: dict[int, IntArray] = {}
    for key, (k_starts, k_ends, k_cum) in r.by_key().items():
        steps_in[key] = _time_in(k_starts, k_ends, k_cum, a_i, b_i)
        if key in (K_SITTING, K_STANDING, K_STEPPING, K_LYING):
            events[key] = _overlapping(k_starts, k_ends, a_i, b_i)

    def seconds(*keys: int) -> FloatArray:
        return _to_seconds(np.sum([steps_in[k] for k in keys], axis=0), dt)

    sitting_s = seconds(K_SITTING)
    standing_s = seconds(K_STANDING)
    stepping_s = seconds(K_STEPPING)
    upright_s = seconds(K_STANDING, K_STEPPING)
    lying_s = seconds(K_LYING)
    nonwear_s = seconds(K_NONWEAR)
    seated_s = seconds(K_RIDING_SEATED)
    riding_standing_s = seconds(K_RIDING_STANDING)
    wear_s = _to_seconds(b_i - a_i - steps_in[K_NONWEAR], dt)

    # sit-to-stand: run j starts upright (standing or stepping) after a sitting run
    upright_key = (r.keys == K_STANDING) | (r.keys == K_STEPPING)
    s2s = np.flatnonzero(upright_key[1:] & (r.keys[:-1] == K_SITTING)) + 1
    s2s_at = r.starts[s2s]
    sit_to_stand = np.searchsorted(s2s_at, b_i, side="left") - np.searchsorted(
        s2s_at, a_i, side="left"
    )

    bouts = bouts_of(r, dt, bout_break_s)
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
                sitting_events=int(events[K_SITTING][i]),
                standing_events=int(events[K_STANDING][i]) if has_stepping else None,
                stepping_events=int(events[K_STEPPING][i]) if has_stepping else None,
                lying_events=int(events[K_LYING][i]),
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
