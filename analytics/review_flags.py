"""Which flags the review raises and how loud (``alert``: worth discussing; ``note``:
context), most important first. The sentences are in :mod:`analytics.review_wording`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from analytics import review_wording as say
from analytics.compression import ExposureParams
from analytics.review_records import DayReview, Flag, LongBout, PainResponse, Totals, WeekRow
from analytics.saddle_weeks import SaddleWeek

HIP_NOTE_FLOOR_S: Final = 60.0
"""Hip flexion above the limit for less than this over the range is not noted."""


def pain_flag(pain: PainResponse, high: str) -> Flag:
    """The next-morning conclusion. Only mornings whose previous day is valid say
    anything about the load ("tolerated", "followed days with high compression");
    scores after days without enough data are shown, never concluded from."""
    base = say.baseline_words(pain)
    n = len(pain.mornings)
    after_valid = [m for m in pain.mornings if m.previous_valid]
    if not after_valid:
        if pain.above:
            return Flag("pain", "alert", say.pain_above_without_valid_days(pain.above, n, base))
        return Flag("pain", "note", say.pain_without_valid_days(n))
    rest = say.pain_unpaired_tail(n - len(after_valid))
    above_valid = sum(m.above_baseline for m in after_valid)
    if pain.above_after_high:
        return Flag("pain", "alert", say.pain_after_high_days(pain, above_valid, base, high) + rest)
    if above_valid:
        text = say.pain_above_not_after_high_days(above_valid, len(after_valid), base, high)
        return Flag("pain", "alert", text + rest)
    return Flag("pain", "note", say.pain_tolerated(len(after_valid), base) + rest)


def flags(
    days: Sequence[DayReview],
    totals: Totals,
    weeks: Sequence[WeekRow],
    pain: PainResponse,
    longest: Sequence[LongBout],
    has_data: bool,
    high_s: float,
    long_s: float,
    p: ExposureParams,
    saddle_weeks: Sequence[SaddleWeek] = (),
) -> tuple[Flag, ...]:
    """Every flag of the review: the alerts first, then the notes."""
    alerts: list[Flag] = []
    notes: list[Flag] = []
    if not has_data:
        alerts.append(Flag("no_data", "alert", say.NO_DATA))
    if pain.baseline is not None and pain.mornings:
        flag = pain_flag(pain, say.high_compression_words(high_s))
        (alerts if flag.level == "alert" else notes).append(flag)
    elif has_data:
        notes.append(Flag("pain", "note", say.NO_PAIN_SCORES))
    if pain.correlation is not None:
        notes.append(Flag("correlation", "note", pain.correlation_text))
    for w in weeks:
        c = w.change
        if c.flagged and c.change is not None:
            text = say.load_change(c.week_start.isoformat(), c.change, p.load_change_flag)
            alerts.append(Flag("load_change", "alert", text))
    for sw in saddle_weeks:
        if sw.flagged:
            text = say.saddle_load_change(
                sw.week_start.isoformat(), sw.change, sw.saddle_s, p.load_change_flag
            )
            alerts.append(Flag("saddle_load", "alert", text))
    if totals.long_bouts and longest:
        top = longest[0]
        text = say.long_bouts(totals.long_bouts, long_s, top.duration_s, top.date, top.start_local)
        alerts.append(Flag("long_bouts", "alert", text))
    if totals.hip_gt90_s >= HIP_NOTE_FLOOR_S:
        worst = max(days, key=lambda d: d.hip_gt90_s)
        text = say.hip(
            totals.mean_hip_gt90_valid_s, worst.date, worst.hip_gt90_s, worst.hip_dose_deg_min
        )
        notes.append(Flag("hip", "note", text))
    a = totals.adherence
    if a.prompted:
        text = say.adherence(
            a.taken, a.prompted, a.ignored, a.snoozed, a.natural, a.source == "counted"
        )
        notes.append(Flag("adherence", "note", text))
    low = sum(1 for d in days if not d.valid and d.wear_s > 0)
    none = sum(1 for d in days if d.wear_s == 0)
    if has_data and (low or none):
        notes.append(Flag("wear", "note", say.wear(low, none, len(days), p.valid_day_wear_s)))
    return tuple(alerts + notes)


__all__ = ["HIP_NOTE_FLOOR_S", "flags", "pain_flag"]
