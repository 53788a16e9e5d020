"""The physiotherapist's review of a date range: what happened to the tendon, day by
day, next to the pain the patient reported (pure: numpy + stdlib, time passed in).

Inputs are the history of one person:

* a per-second :class:`~analytics.records.Timeline` (posture, hip flexion) that covers
  the range (it may start earlier: a day before the range serves only as the
  "previous day" of the first morning's pain score);
* the live service's alerts (anything with ``t_s``, ``kind`` and ``payload``, such as
  ``collector.sinks.history.model.EventRecord`` with ``source == "alert"``);
* the live service's daily counters (``DailyRecord``: ``date``, ``prompted`` …);
* pain reports (``PainReport``: ``t_s``, ``score`` 0–10, ``when``).

The records are read through small protocols, so this module never imports the
collector. Everything heavy is :func:`analytics.exposure.exposure_report`.

The review is made in parts, each in its own module: the records and thresholds
(:mod:`analytics.review_records`), the days, totals and weeks
(:mod:`analytics.review_days`), the bouts (:mod:`analytics.review_bouts`), adherence
(:mod:`analytics.review_adherence`, with the rules of :mod:`analytics.adherence`),
next-morning pain (:mod:`analytics.review_pain`), the flags
(:mod:`analytics.review_flags`) and their sentences (:mod:`analytics.review_wording`).

Definitions (see ``docs/report.md``):

* **Days** are local calendar days of ``tz``, ``first_day`` to ``last_day``
  inclusive. A day is *valid* with at least ``params.valid_day_wear_s`` of wear (10 h by
  default); a day with less is shown as *low wear*, never as a good day.
* **Compression** is seated time: sitting plus seated riding. A **long bout** is a
  compression bout longer than ``long_bout_s`` (60 min). Bouts belong to the day in
  which they start, with their full length.
* **Bout distribution**: the activPAL bins of :mod:`analytics.periods`
  (< 30 min, 30–60 min, 1–2 h, 2–4 h, ≥ 4 h), for activPAL sitting bouts (ended by
  10 s upright) and for compression bouts (ended by a break of ``break_s``).
* **Adherence** per day, from the first source that has the day: the live service's
  daily record (``daily``); else the counters carried by the day's last alert
  (``alerts``); else counted here (``counted``): stand prompts and snoozes from the
  alerts, breaks from the timeline's compression bouts, with the rules of
  :mod:`analytics.adherence`, the alert policy's own (a break within
  ``taken_within_s`` of the bout's last prompt is taken, a later one late; a prompt
  followed by another prompt, a late break or a gap is ignored; a break in a bout
  without a prompt is natural). Counting ignores snoozes' extension of the taken
  window, quiet hours and working hours, so it is an approximation. Without any
  alerts or daily records adherence is unknown (``none``).
* **24-hour response**: each *morning* pain report on a local day ``M`` (the first
  one if there are several) is paired with the previous local day ``M − 1``. The
  mornings used are those of ``first_day`` … ``last_day + 1`` (the morning after the
  last day answers for it). The **baseline** is the median of those morning scores,
  unless one is given. A morning is *above baseline* when its score is strictly
  greater. The **rank correlation** (Spearman, average ranks for ties) between the
  previous day's compression time and the morning score uses only mornings whose
  previous day is valid; it is reported only when there are at least
  :data:`CORRELATION_N_FLOOR` of them and both series vary.
* **Week over week**: :func:`analytics.load_change.load_change` over the range's
  days, exactly as :attr:`analytics.exposure.ExposureReport.weeks`.
* **Rides and the weekly saddle load**: :mod:`analytics.review_rides` (ride records
  and the timeline's riding spells, each ride once) and
  :mod:`analytics.saddle_weeks` (saddle time per ISO week, ± 30 % flagged).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from datetime import tzinfo
from typing import Final

from analytics.alert_params import AlertParams
from analytics.compression import CompressionBout, ExposureParams
from analytics.exposure import ExposureReport, exposure_report
from analytics.local_days import (
    date_of,
    days_between,
    local_midnight_s,
    local_time,
    zone_name,
    zone_of,
)
from analytics.records import Timeline
from analytics.review_adherence import day_adherence
from analytics.review_bouts import bins, longest_bouts, longest_saddle_bouts
from analytics.review_days import day_review, empty_timeline, totals, weeks, with_pain
from analytics.review_flags import flags
from analytics.review_inputs import AlertLike, DailyLike, PainLike
from analytics.review_pain import pain_response
from analytics.review_records import HIGH_COMPRESSION_S, LONG_BOUT_S, DayReview, Review
from analytics.review_rides import RideLike, ride_rows, weekly_saddle

TAKEN_WITHIN_S: Final = AlertParams().taken_within_s
"""The alert policy's default taken window."""


def review(
    timeline: Timeline,
    alerts: Sequence[AlertLike] = (),
    daily: Sequence[DailyLike] = (),
    pain: Sequence[PainLike] = (),
    *,
    tz: str | tzinfo,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    baseline: float | None = None,
    params: ExposureParams | None = None,
    taken_within_s: float = TAKEN_WITHIN_S,
    high_compression_s: float = HIGH_COMPRESSION_S,
    long_bout_s: float = LONG_BOUT_S,
    longest_n: int = 10,
    report: ExposureReport | None = None,
    rides: Sequence[RideLike] = (),
) -> Review:
    """The review of local days ``first_day`` … ``last_day`` (default: every day the
    timeline touches). ``tz``: IANA name or tzinfo; ``baseline``: the patient's
    baseline morning pain (default: the median of the morning scores);
    ``taken_within_s``: the alert policy's taken window (for counted adherence);
    ``report``: the timeline's exposure report if the caller already has it (it must
    have been made with the same ``params`` and ``tz``); ``rides``: the history's ride
    records (bike computers' files), for the rides and the weekly saddle load."""
    if baseline is not None and not 0.0 <= baseline <= 10.0:
        raise ValueError(f"baseline must be 0–10, got {baseline!r}")
    p = params or ExposureParams()
    zone = zone_of(tz)
    tl = timeline
    if first_day is None or last_day is None:
        if tl.n == 0:
            raise ValueError("an empty timeline needs first_day and last_day")
        end_s = tl.t0_s + tl.n * tl.dt_s
        first_day = first_day or local_time(float(tl.t0_s), zone).date()
        last_day = last_day or local_time(end_s - 1e-6, zone).date()
    if last_day < first_day:
        raise ValueError(f"last_day {last_day} is before first_day {first_day}")
    range_lo = local_midnight_s(first_day, zone)
    range_hi = local_midnight_s(last_day + dt.timedelta(days=1), zone)
    if tl.n == 0:
        tl = empty_timeline(range_lo, range_hi)
    rep = report if report is not None else exposure_report(tl, p, tz=zone)
    day_rows = {d.measures.date: d for d in rep.days}
    dates = [d.isoformat() for d in days_between(first_day, last_day)]

    bouts_by_day: dict[str, list[CompressionBout]] = {}
    for b in rep.bouts:
        bouts_by_day.setdefault(date_of(b.start_s, zone), []).append(b)
    long_by_day = {
        d: sum(1 for b in bs if b.duration_s > long_bout_s) for d, bs in bouts_by_day.items()
    }
    adherence = day_adherence(dates, daily, alerts, rep.bouts, zone, p, taken_within_s)
    pain_resp = pain_response(
        pain, zone, first_day, last_day, day_rows, long_by_day, high_compression_s, baseline
    )
    pain_after = {
        (dt.date.fromisoformat(m.date) - dt.timedelta(days=1)).isoformat(): m
        for m in pain_resp.mornings
    }

    days: list[DayReview] = []
    for d in dates:
        row = day_review(
            d,
            day_rows.get(d),
            bouts_by_day.get(d, []),
            adherence[d],
            high_compression_s,
            long_bout_s,
        )
        m = pain_after.get(d)
        days.append(row if m is None else with_pain(row, m))

    range_bouts = [b for b in rep.bouts if range_lo <= b.start_s < range_hi]
    long_rows = longest_bouts(range_bouts, zone, longest_n)
    in_range_pe = [day_rows[d] for d in dates if d in day_rows]
    ride_list = ride_rows(tl, rides, zone, range_lo, range_hi, p.saddle_stand_s)
    any_riding = bool(ride_list) or any(r.saddle_ride_s > 0 for r in days)
    saddle_week_rows = (
        weekly_saddle(ride_list, first_day, last_day, p.load_change_flag) if any_riding else ()
    )
    s_bouts = longest_saddle_bouts(tl, zone, range_lo, range_hi, longest_n) if any_riding else ()
    week_rows = weeks(days, pain_resp, p.load_change_flag)
    total = totals(days, range_bouts, long_bout_s)
    has_data = total.wear_s > 0
    return Review(
        first_day=first_day,
        last_day=last_day,
        tz=zone_name(tz),
        params=p,
        high_compression_s=high_compression_s,
        long_bout_s=long_bout_s,
        has_data=has_data,
        days=tuple(days),
        totals=total,
        bins=bins(in_range_pe, range_bouts),
        longest_bouts=long_rows,
        any_riding=any_riding,
        saddle_bouts=s_bouts,
        weeks=week_rows,
        pain=pain_resp,
        flags=flags(
            days,
            total,
            week_rows,
            pain_resp,
            long_rows,
            has_data,
            high_compression_s,
            long_bout_s,
            p,
            saddle_week_rows,
        ),
        rides=ride_list,
        saddle_weeks=saddle_week_rows,
    )


__all__ = ["TAKEN_WITHIN_S", "review"]
