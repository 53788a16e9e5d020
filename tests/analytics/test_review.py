"""The physio review (analytics/review.py) on hand-made timelines with known answers:
the days, the weeks and the range."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from analytics.exposure import exposure_report
from analytics.records import Timeline
from analytics.review import review
from tests.analytics.review_timelines import (
    D0,
    LOW_WEAR,
    RS,
    UTC,
    S,
    Span,
    timeline,
)

# --------------------------------------------------------------------------- days


def test_daily_compression_wear_and_low_wear_days() -> None:
    tl = timeline(
        [
            [("10:00", "11:30", S, 85.0)],  # 90 min sitting, one long bout
            [("09:00", "10:00", RS, 80.0), ("18:00", "18:30", S, 85.0)],  # a ride, a sit
            [*LOW_WEAR, ("10:00", "12:00", S, 85.0)],  # worn 4 h: not valid
        ]
    )
    r = review(tl, tz=UTC)
    d1, d2, d3 = r.days
    assert [d.date for d in r.days] == ["2026-06-01", "2026-06-02", "2026-06-03"]
    assert [d.weekday for d in r.days] == ["Mon", "Tue", "Wed"]
    assert (d1.compression_s, d1.sitting_s, d1.long_bouts, d1.longest_bout_s) == (
        5400,
        5400,
        1,
        5400,
    )
    assert (d1.bouts_gt30, d1.compression_bouts, d1.breaks_taken) == (1, 1, 1)
    assert (d2.compression_s, d2.riding_seated_s, d2.sitting_s) == (5400, 3600, 1800)
    assert d2.long_bouts == 0
    assert d2.compression_bouts == 2
    assert (d3.valid, d3.wear_s, d3.compression_s) == (False, 4 * 3600, 7200)
    assert d1.valid
    assert d2.valid
    t = r.totals
    assert (t.days, t.valid_days, t.long_bouts, t.longest_bout_s) == (3, 2, 2, 7200)
    assert t.mean_compression_valid_s == 5400  # the low-wear day is left out
    wear = next(f for f in r.flags if f.kind == "wear")
    assert wear.text.startswith("1 of 3 days is not valid: 1 with too little wear (< 10 h)")
    assert r.has_data
    assert r.any_riding


def test_a_high_compression_day_needs_enough_wear() -> None:
    tl = timeline(
        [
            [("08:00", "15:00", S, 85.0)],  # 7 h: high
            [*LOW_WEAR, ("09:00", "13:00", S, 85.0)],  # 4 h worn, all sitting: not high
        ]
    )
    r = review(tl, tz=UTC, high_compression_s=3 * 3600)
    assert [d.high_compression for d in r.days] == [True, False]
    assert r.totals.high_compression_days == 1


def test_days_follow_the_local_calendar_through_dst() -> None:
    zone = "Europe/London"  # 2026-03-29 has 23 hours
    first = dt.date(2026, 3, 28)
    tl = timeline([[], [], []], first=first, zone=zone)
    r = review(tl, tz=zone)
    assert [d.date for d in r.days] == ["2026-03-28", "2026-03-29", "2026-03-30"]
    assert [d.wear_s for d in r.days] == [86_400, 82_800, 86_400]
    assert r.tz == zone


def test_hip_minutes_and_dose_per_day() -> None:
    tl = timeline([[("10:00", "10:30", S, 100.0), ("10:30", "11:00", S, 85.0)], []])
    r = review(tl, tz=UTC)
    assert r.days[0].hip_gt90_s == 1800
    assert r.days[0].hip_dose_deg_min == pytest.approx(10.0 * 30)
    assert r.days[1].hip_gt90_s == 0
    assert r.totals.hip_gt90_s == 1800
    (top,) = r.longest_bouts[:1]
    assert (top.duration_s, top.hip_gt90_s, top.start_local) == (3600, 1800, "10:00")
    assert top.hip_dose_deg_min == pytest.approx(300.0)


# --------------------------------------------------------------------------- weeks


def test_weeks_are_the_exposure_reports_load_change() -> None:
    days: list[list[Span]] = [[("09:00", "11:00", S, 85.0)]] * 7 + [
        [("09:00", "12:00", S, 85.0)]
    ] * 7
    tl = timeline(days)
    r = review(tl, tz=UTC)
    assert [w.change for w in r.weeks] == list(exposure_report(tl, tz=UTC).weeks)
    w1, w2 = r.weeks
    assert w2.change.change == pytest.approx(0.5)
    assert w2.change.flagged
    assert (w1.days, w2.days, w1.long_bouts, w2.long_bouts) == (7, 7, 7, 7)
    flag = next(f for f in r.flags if f.kind == "load_change")
    assert flag.text.startswith("Week of 2026-06-08: daily compression +50 %")


# --------------------------------------------------------------------------- edges


def test_a_range_without_data() -> None:
    empty = Timeline(0, np.zeros(0, dtype=np.int8), np.zeros(0))
    r = review(empty, tz=UTC, first_day=D0, last_day=D0 + dt.timedelta(days=2))
    assert not r.has_data
    assert len(r.days) == 3
    assert all(d.wear_s == 0 and not d.valid for d in r.days)
    assert r.flags[0].kind == "no_data"
    assert r.longest_bouts == ()
    assert r.pain.mornings == ()
    with pytest.raises(ValueError, match="first_day"):
        review(empty, tz=UTC)


def test_last_day_before_first_day_is_an_error() -> None:
    with pytest.raises(ValueError, match="before"):
        review(timeline([[]]), tz=UTC, first_day=D0, last_day=D0 - dt.timedelta(days=1))
