"""The review's days: one row per local day (wear, compression, bouts, hip flexion,
saddle time, adherence, next-morning pain), the range's totals and the ISO weeks."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

import numpy as np

from analytics.compression import CompressionBout
from analytics.exposure import PeriodExposure
from analytics.load_change import DailyExposure, load_change
from analytics.records import Timeline
from analytics.review_adherence import sum_adherence
from analytics.review_records import (
    DayAdherence,
    DayReview,
    MorningPain,
    PainResponse,
    Totals,
    WeekRow,
)
from analytics.rules import RULES

_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BOUT_GT30_S: Final = 1800.0
"""Compression bouts longer than this are counted per day (``bouts_gt30``)."""


def empty_timeline(t0_s: float, t1_s: float) -> Timeline:
    """A timeline without data (non-wear) from ``t0_s`` to ``t1_s``."""
    t0 = math.floor(t0_s)
    n = max(0, math.ceil(t1_s) - t0)
    return Timeline(
        t0_s=int(t0),
        posture=np.zeros(n, dtype=np.int8),
        hip_flexion_deg=np.full(n, np.nan),
    )


def day_review(
    date: str,
    pe: PeriodExposure | None,
    day_bouts: Sequence[CompressionBout],
    adherence: DayAdherence,
    high_s: float,
    long_s: float,
) -> DayReview:
    """The row of local ``date`` from its exposure ``pe`` (None: the timeline does
    not reach it) and the compression bouts that start on it."""
    weekday = _WEEKDAYS[dt.date.fromisoformat(date).weekday()]
    longest = max((b.duration_s for b in day_bouts), default=0.0)
    gt30 = sum(1 for b in day_bouts if b.duration_s > BOUT_GT30_S)
    n_long = sum(1 for b in day_bouts if b.duration_s > long_s)
    if pe is None:
        return DayReview(date=date, weekday=weekday, adherence=adherence)  # no data
    m = pe.measures
    hip90 = pe.hip_at(RULES.hip_flexion_limit_deg)
    assert hip90 is not None  # exposure_report always measures 90°
    return DayReview(
        date=date,
        weekday=weekday,
        wear_s=m.wear_s,
        valid=m.valid,
        sitting_s=m.sitting_s,
        riding_seated_s=m.riding_seated_s,
        compression_s=pe.compression_s,
        compression_bouts=pe.compression_bouts,
        bouts_gt30=gt30,
        long_bouts=n_long,
        longest_bout_s=longest,
        sitting_bouts_gt30min=m.sitting_bouts_gt30min,
        sitting_bouts_gt60min=m.sitting_bouts_gt60min,
        sit_to_stand=m.sit_to_stand,
        hip_gt90_s=hip90.total_s,
        hip_dose_deg_min=hip90.total_dose_deg_min,
        breaks_taken=pe.breaks_taken,
        micro_breaks=pe.micro_breaks,
        saddle_ride_s=pe.saddle.ride_s,
        saddle_seated_s=pe.saddle.seated_s,
        saddle_longest_seated_s=pe.saddle.longest_seated_bout_s,
        saddle_hip_gt90_s=pe.saddle.seated_hip_gt90_s,
        adherence=adherence,
        high_compression=m.valid and pe.compression_s > high_s,
    )  # the next morning's pain: with_pain


def with_pain(row: DayReview, morning: MorningPain) -> DayReview:
    """``row`` with the pain score of the morning after it."""
    return replace(
        row, pain_next_morning=morning.score, pain_next_above_baseline=morning.above_baseline
    )


def weeks(days: Sequence[DayReview], pain: PainResponse, flag: float) -> tuple[WeekRow, ...]:
    changes = load_change(
        [DailyExposure(dt.date.fromisoformat(d.date), d.compression_s, d.valid) for d in days],
        flag,
    )
    by_week: dict[dt.date, list[DayReview]] = {}
    for d in days:
        day = dt.date.fromisoformat(d.date)
        by_week.setdefault(day - dt.timedelta(days=day.weekday()), []).append(d)
    pain_by_prev = {m.previous_date: m.score for m in pain.mornings}
    rows = []
    for w in changes:
        ds = by_week.get(w.week_start, [])
        valid = [d for d in ds if d.valid]
        scores = [pain_by_prev[d.date] for d in ds if d.date in pain_by_prev]
        rows.append(
            WeekRow(
                change=w,
                days=len(ds),
                mean_hip_gt90_s=(sum(d.hip_gt90_s for d in valid) / len(valid)) if valid else None,
                long_bouts=sum(d.long_bouts for d in ds),
                mean_morning_pain=(sum(scores) / len(scores)) if scores else None,
            )
        )
    return tuple(rows)


def totals(
    days: Sequence[DayReview], range_bouts: Sequence[CompressionBout], long_s: float
) -> Totals:
    valid = [d for d in days if d.valid]
    return Totals(
        days=len(days),
        valid_days=len(valid),
        wear_s=sum(d.wear_s for d in days),
        compression_s=sum(d.compression_s for d in days),
        mean_compression_valid_s=(
            sum(d.compression_s for d in valid) / len(valid) if valid else None
        ),
        high_compression_days=sum(d.high_compression for d in days),
        long_bouts=sum(1 for b in range_bouts if b.duration_s > long_s),
        longest_bout_s=max((b.duration_s for b in range_bouts), default=0.0),
        hip_gt90_s=sum(d.hip_gt90_s for d in days),
        hip_dose_deg_min=sum(d.hip_dose_deg_min for d in days),
        mean_hip_gt90_valid_s=(sum(d.hip_gt90_s for d in valid) / len(valid) if valid else None),
        saddle_seated_s=sum(d.saddle_seated_s for d in days),
        adherence=sum_adherence([d.adherence for d in days]),
    )


__all__ = ["BOUT_GT30_S", "day_review", "empty_timeline", "totals", "weeks", "with_pain"]
