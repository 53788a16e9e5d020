"""Hip-flexion exposure, saddle time and week-over-week load change, exact values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from analytics.hip_exposure import hip_exposure
from analytics.load_change import DailyExposure, load_change
from analytics.records import Posture, Timeline
from analytics.saddle import saddle

S, U, RS, RT, N = (
    Posture.SITTING,
    Posture.UPRIGHT,
    Posture.RIDING_SEATED,
    Posture.RIDING_STANDING,
    Posture.NONWEAR,
)


def tl(parts: list[tuple[Posture, int, float]]) -> Timeline:
    posture = np.concatenate([np.full(n, int(p), dtype=np.int8) for p, n, _ in parts])
    hip = np.concatenate([np.full(n, h) for _, n, h in parts])
    return Timeline(t0_s=0, posture=posture, hip_flexion_deg=hip)


def test_hip_exposure_by_threshold_sitting_and_riding() -> None:
    t = tl([(S, 100, 95.0), (S, 50, 85.0), (S, 30, 100.0), (RS, 40, 120.0), (U, 10, 130.0)])
    e90, e110 = hip_exposure(t, (90.0, 110.0))
    assert e90.sitting_s == 130
    assert e90.sitting_dose_deg_min == pytest.approx((100 * 5 + 30 * 10) / 60)
    assert e90.sitting_longest_s == 100
    assert e90.riding_s == 40
    assert e90.riding_dose_deg_min == pytest.approx(40 * 30 / 60)
    assert e110.sitting_s == 0
    assert e110.riding_longest_s == 40
    # upright never counts, and a slice only sees its own steps
    (part,) = hip_exposure(t, (90.0,), lo=120, hi=200)
    assert part.sitting_s == 30
    assert part.riding_s == 20


def test_hip_exposure_ignores_unknown_angles() -> None:
    t = tl([(S, 100, 95.0)])
    t.hip_flexion_deg[:50] = np.nan
    (e,) = hip_exposure(t)
    assert e.sitting_s == 50


def test_saddle_bouts_stands_and_hip() -> None:
    t = tl(
        [
            (U, 60, 0.0),
            (RS, 600, 95.0),
            (RT, 5, 40.0),  # shorter than 10 s: stays inside the seated bout
            (RS, 300, 85.0),
            (RT, 30, 40.0),  # a real stand: ends the bout
            (RS, 900, 85.0),
            (U, 60, 0.0),
        ]
    )
    s = saddle(t)
    assert s.ride_s == 1835
    assert s.seated_bouts == 2
    assert s.longest_seated_bout_s == 905
    assert s.stands == 1
    assert s.stands_per_hour == pytest.approx(1 / (1835 / 3600))
    assert s.seated_hip_gt90_s == 600


def test_no_ride() -> None:
    s = saddle(tl([(S, 100, 90.0)]))
    assert s.ride_s == 0
    assert s.stands_per_hour is None
    assert s.seated_bouts == 0


def test_week_over_week_change_flags_boom_and_bust() -> None:
    monday = dt.date(2026, 11, 2)
    days = []
    for week, per_day in enumerate([4 * 3600, 4 * 3600 * 1.31, 4 * 3600 * 1.31 * 0.75]):
        for k in range(7):
            day = monday + dt.timedelta(days=7 * week + k)
            days.append(DailyExposure(day, per_day, valid=k != 6))
    days.append(DailyExposure(monday + dt.timedelta(days=6), 99_999.0, valid=False))
    weeks = load_change(days)
    assert [w.week_start for w in weeks] == [monday + dt.timedelta(days=7 * k) for k in range(3)]
    assert weeks[0].change is None
    assert weeks[0].mean_daily_compression_s == 4 * 3600  # invalid days ignored
    assert weeks[1].change == pytest.approx(0.31)
    assert weeks[1].flagged
    assert weeks[2].change == pytest.approx(-0.25)
    assert not weeks[2].flagged


def test_a_week_without_valid_days_is_skipped_for_comparison() -> None:
    monday = dt.date(2026, 11, 2)
    days = [
        DailyExposure(monday, 3600.0, True),
        DailyExposure(monday + dt.timedelta(days=7), 3600.0, False),
        DailyExposure(monday + dt.timedelta(days=14), 3600.0 * 1.1, True),
    ]
    weeks = load_change(days)
    assert weeks[1].mean_daily_compression_s is None
    assert weeks[2].change == pytest.approx(0.1)
