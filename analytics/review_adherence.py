"""Adherence per local day of the review, from the first source that has the day:
the live service's daily record; else the counters carried by the day's last alert;
else counted here from the stand prompts, snoozes and compression bouts with the
rules of :mod:`analytics.adherence` (an approximation: snoozes' extension of the
taken window, quiet hours and working hours are not known here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Final

import numpy as np

from analytics.adherence import (
    COUNTER_NAMES,
    NO_COUNTS,
    SNOOZE_COUNTS,
    AdherenceCounts,
    break_counts,
    break_done_s,
    break_outcome,
    gap_counts,
    prompt_counts,
    taken_by_s,
)
from analytics.alert_records import STAND_PROMPTS, AlertKind
from analytics.compression import BoutEnd, CompressionBout, ExposureParams
from analytics.local_days import date_of
from analytics.review_inputs import AlertLike, DailyLike
from analytics.review_records import AdherenceSource, DayAdherence

_STAND_PROMPT_KINDS: Final = frozenset(k.value for k in STAND_PROMPTS)
_IN_BOUT_SLACK_S: Final = 1.0
"""A prompt this soon after a bout's end still belongs to it (whole-second steps)."""


def counted_adherence(
    bouts: Sequence[CompressionBout],
    alerts: Sequence[AlertLike],
    zone: tzinfo,
    break_s: float,
    taken_within_s: float,
) -> dict[str, AdherenceCounts]:
    """Counters per local date, reconstructed from stand prompts, snoozes and the
    compression bouts (``break_s``: ``ExposureParams.break_s``)."""
    out: dict[str, AdherenceCounts] = {}

    def add(t_s: float, counts: AdherenceCounts) -> None:
        if counts != NO_COUNTS:
            day = date_of(t_s, zone)
            out[day] = out.get(day, NO_COUNTS) + counts

    prompts = sorted(a.t_s for a in alerts if a.kind in _STAND_PROMPT_KINDS)
    for a in alerts:
        if a.kind == AlertKind.SNOOZED.value:
            add(a.t_s, SNOOZE_COUNTS)
    starts = np.array([b.start_s for b in bouts], dtype=np.float64)
    ends = np.array([b.end_s for b in bouts], dtype=np.float64)
    which = np.searchsorted(starts, np.array(prompts, dtype=np.float64), side="right") - 1
    in_bout: dict[int, list[float]] = {}
    for t, i in zip(prompts, which.tolist(), strict=True):
        if i >= 0 and t <= ends[i] + _IN_BOUT_SLACK_S:
            in_bout.setdefault(i, []).append(t)
        else:
            add(t, prompt_counts(after_prompt=False))
    for i, b in enumerate(bouts):
        ps = in_bout.get(i, [])
        for k, t in enumerate(ps):
            add(t, prompt_counts(after_prompt=k > 0))
        if b.ended_by == BoutEnd.BREAK:
            done = break_done_s(b.end_s, break_s)
            deadline = taken_by_s(ps[-1], taken_within_s) if ps else None
            add(done, break_counts(break_outcome(done, deadline)))
        elif b.ended_by == BoutEnd.GAP:
            add(b.end_s, gap_counts(prompted=bool(ps)))
    return out


def _payload_adherence(alerts: Sequence[AlertLike]) -> dict[str, AdherenceCounts]:
    """The counters carried by each date's last alert (``payload["adherence"]``)."""
    out: dict[str, tuple[float, AdherenceCounts]] = {}
    for a in alerts:
        adh = a.payload.get("adherence") if a.payload else None
        if not isinstance(adh, Mapping) or not isinstance(adh.get("date"), str):
            continue
        try:
            counts = AdherenceCounts(*(int(adh.get(k, 0) or 0) for k in COUNTER_NAMES))
        except (TypeError, ValueError):
            continue
        date = str(adh["date"])
        if date not in out or a.t_s >= out[date][0]:
            out[date] = (a.t_s, counts)
    return {date: counts for date, (_t, counts) in out.items()}


def _daily_counts(rec: DailyLike) -> AdherenceCounts:
    return AdherenceCounts(*(int(getattr(rec, k)) for k in COUNTER_NAMES))


def day_adherence(
    days: Sequence[str],
    daily: Sequence[DailyLike],
    alerts: Sequence[AlertLike],
    bouts: Sequence[CompressionBout],
    zone: tzinfo,
    params: ExposureParams,
    taken_within_s: float,
) -> dict[str, DayAdherence]:
    """Each local date of ``days`` with its adherence and where it came from."""
    by_daily = {d.date: d for d in daily}
    payload = _payload_adherence(alerts)
    counted = (
        counted_adherence(bouts, alerts, zone, params.break_s, taken_within_s) if alerts else {}
    )
    out: dict[str, DayAdherence] = {}
    for day in days:
        rec = by_daily.get(day)
        source: AdherenceSource
        if rec is not None:
            c, source = _daily_counts(rec), "daily"
        elif day in payload:
            c, source = payload[day], "alerts"
        elif alerts:
            c, source = counted.get(day, NO_COUNTS), "counted"
        else:
            c, source = NO_COUNTS, "none"
        out[day] = DayAdherence.of(day, c, source)
    return out


_SOURCE_ORDER: Final[tuple[AdherenceSource, ...]] = ("none", "counted", "alerts", "daily")


def sum_adherence(rows: Sequence[DayAdherence]) -> DayAdherence:
    """The range's sums over the days whose adherence is known; the source is the
    weakest of theirs."""
    known = [r for r in rows if r.known]
    if not known:
        return DayAdherence.of("total", NO_COUNTS, "none")
    source = min((r.source for r in known), key=_SOURCE_ORDER.index)
    return DayAdherence.of("total", sum((r.counts for r in known), NO_COUNTS), source)


__all__ = ["counted_adherence", "day_adherence", "sum_adherence"]
