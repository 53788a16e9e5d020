"""Next-morning pain against the previous local day: each day's first morning score,
the baseline (given, else the median), and the rank correlation with the previous
day's compression over mornings whose previous day is valid (``docs/report.md``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Literal

import numpy as np

from analytics.exposure import PeriodExposure
from analytics.local_days import date_of
from analytics.rank_correlation import spearman
from analytics.review_inputs import PainLike
from analytics.review_records import CORRELATION_N_FLOOR, Correlation, MorningPain, PainResponse
from analytics.review_wording import correlation_text
from analytics.rules import RULES


def pain_response(
    pain: Sequence[PainLike],
    zone: tzinfo,
    first_day: dt.date,
    last_day: dt.date,
    day_rows: Mapping[str, PeriodExposure],
    long_by_day: Mapping[str, int],
    high_s: float,
    baseline: float | None,
) -> PainResponse:
    """The mornings of ``first_day`` … ``last_day + 1`` against their previous days
    (``day_rows``: the exposure of each local date; ``long_by_day``: long bouts per
    date; ``high_s``: the high-compression threshold)."""
    lo, hi = first_day.isoformat(), (last_day + dt.timedelta(days=1)).isoformat()
    firsts: dict[str, PainLike] = {}
    for p in sorted(pain, key=lambda r: r.t_s):
        if p.when != "morning":
            continue
        d = date_of(p.t_s, zone)
        if lo <= d <= hi and d not in firsts:
            firsts[d] = p
    scores = [firsts[d].score for d in sorted(firsts)]
    if baseline is not None:
        base: float | None = float(baseline)
        base_source: Literal["median", "given", "none"] = "given"
    elif scores:
        base, base_source = float(np.median(scores)), "median"
    else:
        base, base_source = None, "none"
    mornings: list[MorningPain] = []
    for d in sorted(firsts):
        p = firsts[d]
        prev = (dt.date.fromisoformat(d) - dt.timedelta(days=1)).isoformat()
        row = day_rows.get(prev)
        known = row is not None
        valid = row is not None and row.measures.valid
        comp = row.compression_s if row is not None else None
        hip90 = row.hip_at(RULES.hip_flexion_limit_deg) if row is not None else None
        mornings.append(
            MorningPain(
                date=d,
                t_s=p.t_s,
                score=int(p.score),
                above_baseline=base is not None and p.score > base,
                previous_date=prev,
                previous_known=known,
                previous_valid=valid,
                previous_compression_s=comp,
                previous_long_bouts=long_by_day.get(prev, 0) if known else None,
                previous_hip_gt90_s=hip90.total_s if hip90 is not None else None,
                previous_high_compression=(comp is not None and comp > high_s) if valid else None,
            )
        )
    pairs = [m for m in mornings if m.previous_valid and m.previous_compression_s is not None]
    corr: Correlation | None = None
    if len(pairs) >= CORRELATION_N_FLOOR:
        rho = spearman(
            [m.previous_compression_s or 0.0 for m in pairs], [float(m.score) for m in pairs]
        )
        if rho is not None:
            corr = Correlation(rho, len(pairs))
    after_high = [m for m in pairs if m.previous_high_compression]
    after_other = [m for m in pairs if not m.previous_high_compression]
    return PainResponse(
        baseline=base,
        baseline_source=base_source,
        mornings=tuple(mornings),
        above=sum(m.above_baseline for m in mornings),
        above_after_high=sum(m.above_baseline for m in after_high),
        after_high=len(after_high),
        after_other=len(after_other),
        above_after_other=sum(m.above_baseline for m in after_other),
        pairs=len(pairs),
        correlation=corr,
        correlation_text=correlation_text(corr, len(pairs)),
    )


__all__ = ["pain_response"]
