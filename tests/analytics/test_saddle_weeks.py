"""The weekly saddle load: totals per ISO week, the ± 30 % week-over-week flag, a
return after a week off, and saddle time where seated is not known."""

from __future__ import annotations

import datetime as dt

from analytics.saddle_weeks import SaddleLoad, saddle_weeks

MON = dt.date(2026, 11, 2)  # a Monday


def ride(
    day: int, seated_min: float | None, on_bike_min: float, hip_min: float | None = None
) -> SaddleLoad:
    return SaddleLoad(
        MON + dt.timedelta(days=day),
        1,
        on_bike_min * 60.0,
        None if seated_min is None else seated_min * 60.0,
        None if hip_min is None else hip_min * 60.0,
    )


def test_a_week_is_the_total_of_its_rides_and_swings_are_flagged() -> None:
    loads = [
        ride(0, 60, 70, 10), ride(3, 60, 70, 5),  # week 1: 2 h seated
        ride(8, 150, 160, 30),  # week 2: 2.5 h, +25 %: not flagged
        ride(15, 60, 65),  # week 3: 1 h, -60 %: flagged
    ]  # fmt: skip
    w = saddle_weeks(loads)
    assert [x.week_start for x in w] == [MON + dt.timedelta(days=7 * i) for i in range(3)]
    assert [x.rides for x in w] == [2, 1, 1]
    assert [x.saddle_s for x in w] == [7200.0, 9000.0, 3600.0]
    assert [x.seated_hip_gt90_s for x in w] == [900.0, 1800.0, None]
    assert w[0].change is None
    assert w[1].change is not None
    assert abs(w[1].change - 0.25) < 1e-12
    assert [x.flagged for x in w] == [False, False, True]


def test_exactly_thirty_percent_is_not_flagged_but_more_is() -> None:
    w = saddle_weeks([ride(0, 100, 100), ride(7, 130, 130), ride(14, 169.1, 170)])
    assert [x.flagged for x in w] == [False, False, True]  # +30 % then +30.08 %


def test_weeks_without_rides_are_listed_and_the_return_is_flagged() -> None:
    w = saddle_weeks([ride(0, 60, 60), ride(21, 60, 60)])
    assert [x.rides for x in w] == [1, 0, 0, 1]
    assert [x.change for x in w] == [None, -1.0, None, None]
    assert [x.flagged for x in w] == [False, True, False, True]


def test_without_rider_position_saddle_time_is_the_time_on_the_bike() -> None:
    (w,) = saddle_weeks([ride(0, None, 90), ride(2, 50, 60)])
    assert w.saddle_s == 90 * 60.0 + 50 * 60.0
    assert w.on_bike_s == 150 * 60.0
    assert not w.seated_known


def test_a_range_gives_every_week_of_it() -> None:
    w = saddle_weeks([], first_day=MON, last_day=MON + dt.timedelta(days=13))
    assert [(x.rides, x.saddle_s, x.flagged) for x in w] == [(0, 0.0, False), (0, 0.0, False)]
    assert saddle_weeks([]) == ()
