"""The report summary's saddle tile: rides whose file cannot tell seated from
standing never show as 0 seated minutes (before: "seated saddle time 0 h 00 min"
for a cyclist with ten hours of FIT rides)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from analytics.records import Posture, Timeline
from analytics.review import review
from collector.review.sections import saddle_tiles
from tests.analytics.test_review_rides import DAY0, T0, Ride, timeline

FIRST, LAST = DAY0.date(), DAY0.date() + dt.timedelta(days=13)
FILE_ONLY = Ride(T0 + 9 * 86_400, T0 + 9 * 86_400 + 9000, 8800.0, 9000.0)


def test_rides_from_files_alone_leave_seated_time_unknown() -> None:
    n = 14 * 86_400
    flat = Timeline(T0, np.full(n, Posture.UPRIGHT, np.int8), np.full(n, 5.0))
    r = review(flat, tz="UTC", first_day=FIRST, last_day=LAST, rides=[FILE_ONLY])
    assert saddle_tiles(r) == [
        ("seated saddle time", "unknown"),
        ("riding, seated not known (1 ride)", "2 h 27 min"),
    ]


def test_with_some_thigh_rides_the_seated_time_is_a_lower_bound() -> None:
    r = review(timeline(14), tz="UTC", first_day=FIRST, last_day=LAST, rides=[FILE_ONLY])
    seated, riding = saddle_tiles(r)
    assert seated == ("seated saddle time", "at least 1 h 40 min")
    assert riding == ("riding, seated not known (1 ride)", "2 h 27 min")


def test_thigh_rides_alone_give_the_seated_time() -> None:
    r = review(timeline(14), tz="UTC", first_day=FIRST, last_day=LAST)
    assert saddle_tiles(r) == [("seated saddle time", "1 h 40 min")]
