"""The exposure report: activPAL-compatible measures, compression bouts and breaks,
hip-flexion exposure and saddle time, per local day, per custom period and for the
whole input; plus the week-over-week load change.

Attribution: a compression bout and a break belong to the period in which they
*start* (with their full length); times (sitting, hip above 90°, …) are split at
period boundaries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

import numpy as np

from analytics.bouts import compression
from analytics.compression import Break, CompressionBout, ExposureEvent, ExposureParams, excess_over
from analytics.hip_exposure import HipExposure, hip_exposure_slices
from analytics.load_change import DailyExposure, WeekChange, load_change
from analytics.period_bounds import Period, clock_periods, day_bounds, whole
from analytics.periods import PeriodMeasures, StepCounts, measures
from analytics.records import Timeline
from analytics.rules import RULES
from analytics.saddle import SaddleContext, SaddleSummary
from analytics.smoothing import runs


@dataclass(frozen=True, slots=True)
class PeriodExposure:
    measures: PeriodMeasures
    compression_bouts: int
    compression_s: float
    """Seated time (sitting + seated riding) inside the period."""
    breaks_taken: int
    breaks_within_guidance: int
    micro_breaks: int
    hip: tuple[HipExposure, ...]
    saddle: SaddleSummary

    def hip_at(self, threshold_deg: float) -> HipExposure | None:
        return next((h for h in self.hip if h.threshold_deg == threshold_deg), None)


@dataclass(frozen=True, slots=True)
class ExposureReport:
    days: tuple[PeriodExposure, ...]
    periods: tuple[PeriodExposure, ...]
    total: PeriodExposure
    bouts: tuple[CompressionBout, ...]
    breaks: tuple[Break, ...]
    events: tuple[ExposureEvent, ...]
    weeks: tuple[WeekChange, ...]
    params: ExposureParams


def _index(tl: Timeline, t_s: float) -> int:
    return int(np.clip(np.rint((t_s - tl.t0_s) / tl.dt_s), 0, tl.n))


def _period_exposure(
    tl: Timeline,
    period: Period,
    m: PeriodMeasures,
    hip: tuple[HipExposure, ...],
    saddle_ctx: SaddleContext,
    bout_starts: np.ndarray,
    break_starts: np.ndarray,
    breaks: Sequence[Break],
    saddle_stand_s: float,
) -> PeriodExposure:
    lo, hi = _index(tl, period.start_s), _index(tl, period.end_s)
    in_p = (bout_starts >= period.start_s) & (bout_starts < period.end_s)
    br_in = np.flatnonzero((break_starts >= period.start_s) & (break_starts < period.end_s))
    taken = [breaks[i] for i in br_in.tolist() if breaks[i].met_rule]
    return PeriodExposure(
        measures=m,
        compression_bouts=int(np.count_nonzero(in_p)),
        compression_s=m.sitting_s + m.riding_seated_s,
        breaks_taken=len(taken),
        breaks_within_guidance=sum(1 for b in taken if b.within_guidance),
        micro_breaks=int(br_in.size) - len(taken),
        hip=hip,
        saddle=saddle_ctx.summary(lo, hi, saddle_stand_s),
    )


def exposure_report(
    tl: Timeline,
    params: ExposureParams | None = None,
    *,
    tz: str | tzinfo | None = None,
    period_hours: float | None = None,
    steps: StepCounts | None = None,
    with_events: bool = False,
) -> ExposureReport:
    """Everything a physio or a cyclist reads, for one timeline.

    ``tz``: IANA zone for Unix-time timelines, ``None`` for local-clock ones
    (activPAL). ``period_hours``: also report wall-clock periods of that length.
    ``with_events``: also list the bout / break / hip / gap events (the live engine's
    vocabulary); the summaries do not need them.
    """
    p = params or ExposureParams()
    excess90 = excess_over(
        tl.hip_flexion_deg, RULES.hip_flexion_limit_deg, "exp-excess90"
    )  # shared, read only
    posture_runs = runs(tl.posture)  # shared by the bouts and the saddle
    comp = compression(tl, p, with_events=with_events, excess90=excess90, posture_runs=posture_runs)
    end = tl.t0_s + tl.n * tl.dt_s
    day_p = day_bounds(float(tl.t0_s), end, tz)
    clock_p = clock_periods(float(tl.t0_s), end, period_hours, tz) if period_hours else []
    all_p = [*day_p, *clock_p, whole(tl)]
    ms = measures(
        tl, all_p, valid_day_wear_s=p.valid_day_wear_s, steps=steps, posture_runs=posture_runs
    )
    bout_starts = np.array([b.start_s for b in comp.bouts], dtype=np.float64)
    break_starts = np.array([b.start_s for b in comp.breaks], dtype=np.float64)
    thresholds = sorted({RULES.hip_flexion_limit_deg, *p.hip_thresholds_deg})
    slices = [(_index(tl, q.start_s), _index(tl, q.end_s)) for q in all_p]
    hips = hip_exposure_slices(tl, thresholds, slices, excess90)
    saddle_ctx = SaddleContext(tl, posture_runs)
    rows = [
        _period_exposure(
            tl, period, m, hip, saddle_ctx, bout_starts, break_starts, comp.breaks, p.saddle_stand_s
        )
        for period, m, hip in zip(all_p, ms, hips, strict=True)
    ]
    days = tuple(rows[: len(day_p)])
    periods = tuple(rows[len(day_p) : len(day_p) + len(clock_p)])
    total = rows[-1]
    weeks = load_change(
        [
            DailyExposure(dt.date.fromisoformat(d.measures.date), d.compression_s, d.measures.valid)
            for d in days
        ],
        p.load_change_flag,
    )
    return ExposureReport(
        days=days,
        periods=periods,
        total=total,
        bouts=comp.bouts,
        breaks=comp.breaks,
        events=comp.events,
        weeks=tuple(weeks),
        params=p,
    )
