"""The combined exposure report: attribution to days (midnight, DST), totals."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.compression import ExposureParams
from analytics.exposure import exposure_report
from analytics.records import Posture, Timeline

S, U, N = Posture.SITTING, Posture.UPRIGHT, Posture.NONWEAR


def at(zone: str, *fields: int) -> int:
    return int(dt.datetime(*fields, tzinfo=ZoneInfo(zone)).timestamp())


def timeline(t0: int, parts: list[tuple[Posture, int]], hip: float = 95.0) -> Timeline:
    posture = np.concatenate([np.full(n, int(p), dtype=np.int8) for p, n in parts])
    h = np.full(posture.shape[0], hip)
    h[posture == N] = np.nan
    return Timeline(t0_s=t0, posture=posture, hip_flexion_deg=h)


def test_a_compression_bout_across_midnight_belongs_to_the_day_it_starts() -> None:
    t0 = at("Europe/London", 2026, 6, 10, 23, 0)
    rep = exposure_report(timeline(t0, [(S, 7200), (U, 600)]), tz="Europe/London")
    day1, day2 = rep.days
    assert (day1.measures.date, day2.measures.date) == ("2026-06-10", "2026-06-11")
    assert (day1.compression_bouts, day2.compression_bouts) == (1, 0)
    assert day2.breaks_taken == 1  # the break starts after midnight
    # times are split at midnight
    assert day1.measures.sitting_s == 3600
    assert day2.measures.sitting_s == 3600
    h1, h2 = day1.hip_at(90.0), day2.hip_at(90.0)
    assert h1 is not None
    assert h2 is not None
    assert (h1.sitting_s, h2.sitting_s) == (3600, 3600)
    assert rep.total.compression_bouts == 1
    assert rep.bouts[0].duration_s == 7200


@pytest.mark.parametrize(("day", "hours"), [((2026, 3, 29), 23), ((2026, 10, 25), 25)])
def test_dst_change_days_and_a_bout_across_the_change(
    day: tuple[int, int, int], hours: int
) -> None:
    t0 = at("Europe/London", *day, 0, 0)
    n = hours * 3600
    tl = timeline(t0, [(U, 3600), (S, 3 * 3600), (U, n - 4 * 3600)])
    rep = exposure_report(tl, ExposureParams(valid_day_wear_s=0), tz="Europe/London")
    assert len(rep.days) == 1
    d = rep.days[0]
    assert d.measures.end_s - d.measures.start_s == n
    assert d.measures.wear_s == n
    assert d.measures.sitting_s == 3 * 3600
    assert d.compression_bouts == 1
    assert rep.bouts[0].duration_s == 3 * 3600


def test_days_add_up_to_the_total_and_validity_follows_wear() -> None:
    t0 = at("UTC", 2026, 1, 5, 0, 0)
    parts = [(N, 8 * 3600), (S, 5 * 3600), (U, 200), (S, 1000), (U, 3000), (N, 86_400 - 46_400)]
    parts += [(S, 11 * 3600), (U, 600)]
    rep = exposure_report(timeline(t0, parts), tz="UTC")
    assert [d.measures.valid for d in rep.days] == [False, True]
    for key in ("sitting_s", "upright_s", "nonwear_s", "wear_s"):
        assert sum(getattr(d.measures, key) for d in rep.days) == getattr(rep.total.measures, key)
    assert sum(d.compression_bouts for d in rep.days) == rep.total.compression_bouts == 3
    assert sum(d.breaks_taken for d in rep.days) == rep.total.breaks_taken
    assert rep.days[0].compression_s == 5 * 3600 + 1000


def test_custom_periods_and_the_event_list_on_request() -> None:
    t0 = at("UTC", 2026, 1, 5, 0, 0)
    tl = timeline(t0, [(S, 3 * 3600), (U, 3600)])
    rep = exposure_report(tl, tz="UTC", period_hours=2, with_events=True)
    assert [p.measures.label for p in rep.periods] == [
        "0000 to 0200", "0200 to 0400", *[f"{h:02d}00 to {h + 2:02d}00" for h in range(4, 22, 2)],
        "2200 to 0000",
    ]  # fmt: skip
    assert rep.periods[0].measures.sitting_s == 7200
    assert rep.periods[1].measures.sitting_s == 3600
    assert rep.events  # bout started, minutes, break taken, ...
    assert exposure_report(tl, tz="UTC").events == ()


def test_week_over_week_change_comes_from_valid_days() -> None:
    t0 = at("UTC", 2026, 1, 5, 0, 0)  # a Monday
    day = []
    for week, sit_h in enumerate([4, 6]):
        for _ in range(7):
            day += [(U, 8 * 3600), (S, sit_h * 3600), (U, (16 - sit_h) * 3600)]
        del week
    rep = exposure_report(timeline(t0, day), tz="UTC")
    w1, w2 = rep.weeks
    assert w1.mean_daily_compression_s == 4 * 3600
    assert w2.change == pytest.approx(0.5)
    assert w2.flagged


def test_shared_posture_runs_change_nothing() -> None:
    from analytics.period_bounds import day_bounds
    from analytics.periods import measures
    from analytics.smoothing import runs

    rng = np.random.default_rng(5)
    codes = rng.integers(0, 6, 400)
    lengths = rng.integers(1, 900, 400)
    posture = np.repeat(codes, lengths).astype(np.int8)
    t0 = at("Europe/London", 2026, 3, 28, 9, 0)
    tl = Timeline(t0_s=t0, posture=posture, hip_flexion_deg=np.full(posture.shape[0], 95.0))
    periods = day_bounds(t0, t0 + tl.n, "Europe/London")
    plain = measures(tl, periods, valid_day_wear_s=0)
    shared = measures(tl, periods, valid_day_wear_s=0, posture_runs=runs(tl.posture))
    assert plain == shared
