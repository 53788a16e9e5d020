"""activPAL-compatible period measures on hand-built timelines: exact values at every
boundary (the 10 s break, midnight, DST days, gaps, the bout-bin edges)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.period_bounds import Period, clock_periods, day_bounds, whole
from analytics.periods import BOUT_BIN_LABELS, PeriodMeasures, StepCounts, measures, total
from analytics.records import Posture, Timeline
from analytics.sitting_bouts import sitting_bouts

S, U, N, L, RS, RU = (
    Posture.SITTING,
    Posture.UPRIGHT,
    Posture.NONWEAR,
    Posture.LYING,
    Posture.RIDING_SEATED,
    Posture.RIDING_STANDING,
)
STEP = "step"  # upright and stepping
LONDON = "Europe/London"


def naive(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> int:
    """Local-clock seconds since 1970 (the activPAL clock)."""
    return int(datetime(y, m, d, hh, mm, ss, tzinfo=UTC).timestamp())


def timeline(
    segments: list[tuple[Posture | str, float]], t0_s: int = 0, dt_s: float = 1.0
) -> Timeline:
    """A timeline from (posture, seconds) segments; ``STEP`` is upright stepping."""
    per = round(1 / dt_s)
    postures = [U if p == STEP else p for p, _ in segments]
    lengths = [round(sec * per) for _, sec in segments]
    posture = np.repeat(np.array(postures, dtype=np.int8), lengths)
    has_step = any(p == STEP for p, _ in segments)
    stepping = np.repeat(np.array([p == STEP for p, _ in segments]), lengths)
    return Timeline(
        t0_s=t0_s,
        posture=posture,
        hip_flexion_deg=np.full(posture.shape[0], np.nan),
        dt_s=dt_s,
        stepping=stepping if has_step else None,
    )


def one(tl: Timeline, **kw: object) -> PeriodMeasures:
    return total(tl, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- 10 s rule


def test_upright_of_9_s_does_not_break_a_sitting_bout() -> None:
    m = one(timeline([(S, 600), (U, 9), (S, 600)]))
    assert m.sitting_bouts == 1
    assert m.longest_sitting_bout_s == 1209.0  # the short stand is inside the bout
    assert m.sitting_s == 1200.0
    assert m.upright_s == 9.0
    assert m.sit_to_stand == 1  # the timeline's own transition is still counted
    assert m.sitting_events == 2


def test_upright_of_10_s_breaks_a_sitting_bout() -> None:
    m = one(timeline([(S, 600), (U, 10), (S, 600)]))
    assert m.sitting_bouts == 2
    assert m.longest_sitting_bout_s == 600.0
    assert m.sit_to_stand == 1


def test_min_break_is_configurable_and_in_seconds_at_0_1_s_steps() -> None:
    segs: list[tuple[Posture | str, float]] = [(S, 60), (U, 9.9), (S, 60), (U, 10.0), (S, 60)]
    tl = timeline(segs, dt_s=0.1)
    starts, lengths = sitting_bouts(tl)
    np.testing.assert_array_equal(lengths, [1299, 600])
    np.testing.assert_array_equal(starts, [0, 1399])
    assert one(tl, bout_break_s=20.0).sitting_bouts == 1


def test_short_stand_before_another_posture_is_not_part_of_the_bout() -> None:
    m = one(timeline([(S, 100), (U, 5), (L, 100), (S, 100), (U, 5), (RS, 50)]))
    assert m.sitting_bouts == 2
    assert m.longest_sitting_bout_s == 100.0
    assert m.sit_to_stand == 2


def test_lying_and_riding_end_a_bout_and_are_no_sit_to_stand() -> None:
    m = one(timeline([(S, 100), (L, 30), (S, 100), (RS, 30), (S, 100), (RU, 30), (S, 100)]))
    assert m.sitting_bouts == 4
    assert m.sit_to_stand == 0
    assert m.lying_s == 30.0
    assert m.lying_events == 1
    assert m.riding_seated_s == 30.0
    assert m.riding_standing_s == 30.0
    assert m.upright_s == 0.0


# --------------------------------------------------------------------------- gaps


def test_gaps_at_start_middle_and_end() -> None:
    tl = timeline([(N, 100), (S, 1000), (N, 50), (S, 1000), (U, 5), (N, 20)])
    m = one(tl)
    assert m.nonwear_s == 170.0
    assert m.wear_s == 2005.0
    assert m.sitting_s == 2000.0
    assert m.sitting_bouts == 2  # the gap splits the bout and is not a break
    assert m.longest_sitting_bout_s == 1000.0  # the 5 s stand before the gap is outside
    assert m.sit_to_stand == 1
    starts, lengths = sitting_bouts(tl)
    np.testing.assert_array_equal(starts, [100, 1150])
    np.testing.assert_array_equal(lengths, [1000, 1000])


def test_a_gap_is_never_a_break_even_when_upright_surrounds_it() -> None:
    m = one(timeline([(S, 100), (U, 3), (N, 30), (U, 3), (S, 100)]))
    assert m.sitting_bouts == 2
    assert m.sit_to_stand == 1
    assert m.upright_s == 6.0


def test_all_non_wear_and_empty() -> None:
    m = one(timeline([(N, 100)]))
    assert (m.wear_s, m.nonwear_s, m.sitting_bouts, m.longest_sitting_bout_s) == (0, 100, 0, 0)
    empty = one(timeline([]))
    assert empty.wear_s == 0.0
    assert empty.sitting_bouts == 0
    assert measures(timeline([(S, 10)]), [], valid_day_wear_s=0) == []


# --------------------------------------------------------------------------- bins


def test_bout_bin_edges_at_exactly_30_60_120_240_min() -> None:
    lengths_min = [29.99, 30, 30.01, 60, 60.01, 119.99, 120, 239.99, 240]
    segs: list[tuple[Posture | str, float]] = []
    for minutes in lengths_min:
        segs += [(S, round(minutes * 60, 1)), (U, 60)]
    m = one(timeline(segs, dt_s=0.1))
    assert m.sitting_bouts == 9
    assert BOUT_BIN_LABELS == ("<30min", "30-60min", "1-2h", "2-4h", ">=4h")
    # [0, 30) | [30, 60) | [60, 120) | [120, 240) | [240, ...)
    assert m.bout_bins.counts == (1, 2, 3, 2, 1)
    assert m.bout_bins.time_s == pytest.approx(
        (1799.4, 1800.0 + 1800.6, 3600.0 + 3600.6 + 7199.4, 7200.0 + 14399.4, 14400.0),
        abs=1e-9,
    )
    # "longer than 30 / 60 minutes" is strict: exactly 30:00 and 60:00 are not
    gt30 = [x for x in lengths_min if x > 30]
    assert m.sitting_bouts_gt30min == len(gt30) == 7
    assert m.sitting_bouts_gt60min == len([x for x in lengths_min if x > 60]) == 5
    assert m.sitting_time_in_bouts_gt30min_s == pytest.approx(sum(x * 60 for x in gt30), abs=1e-6)
    assert m.longest_sitting_bout_s == 14400.0
    assert m.bout_bins.as_dict()[">=4h"] == {"count": 1, "time_s": 14400.0}


# --------------------------------------------------------------------------- midnight


def test_bout_across_midnight_belongs_to_the_day_it_starts() -> None:
    t0 = naive(2024, 5, 1, 23)
    tl = timeline([(S, 7200), (U, 600)], t0_s=t0)
    days = day_bounds(tl.t0_s, tl.t0_s + tl.n, None)
    assert [d.label for d in days] == ["2024-05-01", "2024-05-02"]
    assert days[0].start_s == naive(2024, 5, 1)
    assert days[1].end_s == naive(2024, 5, 3)
    d1, d2 = measures(tl, days, valid_day_wear_s=3600)
    assert (d1.sitting_s, d2.sitting_s) == (3600.0, 3600.0)  # time is split
    assert (d1.sitting_bouts, d2.sitting_bouts) == (1, 0)  # the bout starts on day 1
    assert d1.longest_sitting_bout_s == 7200.0  # ... with its full length
    assert d1.bout_bins.counts == (0, 0, 0, 1, 0)
    assert d1.sitting_time_in_bouts_gt30min_s == 7200.0
    assert (d1.sitting_events, d2.sitting_events) == (1, 1)  # overlapping, activPAL-style
    assert (d1.sit_to_stand, d2.sit_to_stand) == (0, 1)
    assert (d1.wear_s, d2.wear_s) == (3600.0, 4200.0)
    assert (d1.valid, d2.valid) == (True, True)
    assert measures(tl, days, valid_day_wear_s=3601)[0].valid is False


def test_sit_to_stand_exactly_at_a_period_boundary_counts_in_the_later_period() -> None:
    t0 = naive(2024, 5, 1, 1)
    tl = timeline([(S, 3600), (U, 60), (S, 60)], t0_s=t0)
    periods = clock_periods(tl.t0_s, tl.t0_s + tl.n, 2, "naive")
    first, second = periods[0], periods[1]
    assert (first.label, second.label) == ("0000 to 0200", "0200 to 0400")
    m1, m2 = measures(tl, [first, second], valid_day_wear_s=0)
    assert (m1.sit_to_stand, m2.sit_to_stand) == (0, 1)
    # the first sitting run ends exactly at 02:00: it is not in the later period
    assert (m1.sitting_events, m2.sitting_events) == (1, 1)


# --------------------------------------------------------------------------- DST


def test_dst_days_are_23_and_25_hours() -> None:
    zone = ZoneInfo(LONDON)
    spring = datetime(2024, 3, 30, 12, tzinfo=zone).timestamp()
    days = day_bounds(spring, spring + 2 * 86400, LONDON)
    assert [(d.label, d.end_s - d.start_s) for d in days] == [
        ("2024-03-30", 86400.0),
        ("2024-03-31", 82800.0),
        ("2024-04-01", 86400.0),
    ]
    autumn = datetime(2024, 10, 27, 0, 30, tzinfo=zone).timestamp()
    (day,) = day_bounds(autumn, autumn + 3600, LONDON)
    assert (day.label, day.end_s - day.start_s) == ("2024-10-27", 90000.0)


def test_measures_on_dst_days_and_a_bout_across_the_change() -> None:
    zone = ZoneInfo(LONDON)
    t0 = int(datetime(2024, 3, 31, 0, 0, tzinfo=zone).timestamp())
    # 00:30 local to 03:30 local on the spring-forward day is 2 h of real time
    tl = timeline([(U, 1800), (S, 7200), (U, 82800 - 9000 + 86400)], t0_s=t0)
    days = day_bounds(tl.t0_s, tl.t0_s + tl.n, LONDON)
    d1, d2 = measures(tl, days, valid_day_wear_s=0)
    assert (d1.label, d1.wear_s, d2.label, d2.wear_s) == (
        "2024-03-31",
        82800.0,
        "2024-04-01",
        86400.0,
    )
    assert d1.longest_sitting_bout_s == 7200.0
    # wall-clock 2-hour periods: 0000-0200 holds the skipped hour, so it is 1 h long
    periods = clock_periods(tl.t0_s, tl.t0_s + 82800, 2, LONDON)
    assert len(periods) == 12
    assert periods[0].end_s - periods[0].start_s == 3600.0
    assert all(p.end_s - p.start_s == 7200.0 for p in periods[1:])
    ms = measures(tl, periods, valid_day_wear_s=0)
    assert [m.sitting_s for m in ms[:3]] == [1800.0, 5400.0, 0.0]
    assert [m.sitting_bouts for m in ms[:3]] == [1, 0, 0]

    autumn = datetime(2024, 10, 27, tzinfo=zone).timestamp()
    periods = clock_periods(autumn, autumn + 90000, 2, LONDON)
    assert len(periods) == 12
    assert periods[0].end_s - periods[0].start_s == 10800.0
    assert periods[-1].label == "2200 to 0000"


def test_clock_periods_not_dividing_24_hours() -> None:
    t0 = naive(2024, 5, 1, 6)
    periods = clock_periods(t0, t0 + 3600, 5, None)
    assert [p.label for p in periods] == [
        "0000 to 0500",
        "0500 to 1000",
        "1000 to 1500",
        "1500 to 2000",
        "2000 to 0000",
    ]
    assert periods[-1].end_s - periods[-1].start_s == 4 * 3600
    assert {p.date for p in periods} == {"2024-05-01"}
    with pytest.raises(ValueError, match="positive"):
        clock_periods(t0, t0 + 1, 0, None)


# --------------------------------------------------------------------------- activPAL detail


def test_standing_stepping_events_overlap_periods_and_steps_by_instant() -> None:
    t0 = naive(2024, 5, 1, 1, 59)
    tl = timeline([(S, 30), (U, 20), (STEP, 20), (U, 30), (STEP, 30), (S, 10)], t0_s=t0, dt_s=0.1)
    periods = clock_periods(tl.t0_s, tl.t0_s + tl.n * tl.dt_s, 2, None)[:2]
    steps = StepCounts(
        t_s=np.array([t0 + 50.0, t0 + 60.0, t0 + 100.0, t0 + 110.0]),
        steps=np.array([2, 2, 2, 4], dtype=np.int64),
    )
    m1, m2 = measures(tl, periods, valid_day_wear_s=0, steps=steps)
    # 01:59:00 sit 30 s, stand 20 s, step 20 s (02:00:00 is 10 s into it), stand 30 s ...
    assert (m1.sitting_s, m1.standing_s, m1.stepping_s, m1.upright_s) == (30.0, 20.0, 10.0, 30.0)
    assert (m2.sitting_s, m2.standing_s, m2.stepping_s, m2.upright_s) == (10.0, 30.0, 40.0, 70.0)
    assert (m1.standing_events, m1.stepping_events) == (1, 1)
    assert (m2.standing_events, m2.stepping_events) == (1, 2)
    assert (m1.steps, m2.steps) == (2, 8)  # the step at exactly 02:00:00 is the later one
    assert (m1.sit_to_stand, m2.sit_to_stand) == (1, 0)


def test_without_stepping_detail_standing_and_stepping_are_unknown() -> None:
    m = one(timeline([(S, 30), (U, 20)]))
    assert (m.standing_s, m.stepping_s, m.standing_events, m.stepping_events) == (
        None,
        None,
        None,
        None,
    )
    assert m.steps is None
    assert m.upright_s == 20.0


def test_durations_are_exact_at_0_1_s() -> None:
    m = one(timeline([(S, 4409.1), (U, 0.3), (L, 1657.1)], dt_s=0.1))
    assert (m.sitting_s, m.upright_s, m.lying_s, m.wear_s) == (4409.1, 0.3, 1657.1, 6066.5)


def test_periods_outside_the_timeline_and_overlapping_custom_periods() -> None:
    tl = timeline([(S, 100), (U, 100)], t0_s=1000)
    before, inner, overlap, after = measures(
        tl,
        [
            Period(0, 500, "before"),
            Period(1050, 1150, "inner"),
            Period(1000, 1100, "overlap"),
            Period(5000, 6000, "after"),
        ],
        valid_day_wear_s=50,
    )
    assert (before.wear_s, before.valid, after.wear_s) == (0.0, False, 0.0)
    assert (inner.sitting_s, inner.upright_s, inner.sit_to_stand) == (50.0, 50.0, 1)
    assert inner.sitting_bouts == 0  # the bout started at 1000
    assert (overlap.sitting_bouts, overlap.longest_sitting_bout_s) == (1, 100.0)


# --------------------------------------------------------------------------- reference


def reference(tl: Timeline, a: int, b: int, break_steps_floor: int) -> dict[str, float]:
    """A per-step Python loop of the same rules (for random timelines)."""
    p = [int(x) for x in tl.posture]
    # runs
    runs: list[tuple[int, int, int]] = []
    for i, v in enumerate(p):
        if runs and runs[-1][2] == v:
            s, _, _ = runs[-1]
            runs[-1] = (s, i + 1, v)
        else:
            runs.append((i, i + 1, v))
    bouts: list[tuple[int, int]] = []
    cur: tuple[int, int] | None = None
    for k, (s, e, v) in enumerate(runs):
        if v == S:
            cur = (cur[0], e) if cur else (s, e)
            continue
        bridge = (
            v == U
            and e - s < break_steps_floor
            and cur is not None
            and k + 1 < len(runs)
            and runs[k + 1][2] == S
        )
        if not bridge and cur is not None:
            bouts.append(cur)
            cur = None
    if cur is not None:
        bouts.append(cur)
    mine = [(s, e) for s, e in bouts if a <= s < b]
    return {
        "sitting_s": sum(1 for i in range(a, b) if p[i] == S),
        "nonwear_s": sum(1 for i in range(a, b) if p[i] == N),
        "sitting_events": sum(1 for s, e, v in runs if v == S and s < b and e > a),
        "sit_to_stand": sum(
            1
            for k in range(1, len(runs))
            if runs[k][2] == U and runs[k - 1][2] == S and a <= runs[k][0] < b
        ),
        "sitting_bouts": len(mine),
        "sitting_bouts_gt30min": sum(1 for s, e in mine if e - s > 1800),
        "longest_sitting_bout_s": max((e - s for s, e in mine), default=0),
    }


@pytest.mark.parametrize("seed", range(8))
def test_matches_a_per_step_loop_on_random_timelines(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = 80
    values = [Posture(int(v)) for v in rng.choice([N, S, S, U, U, L, RS], size=k)]
    lengths = [int(x) for x in rng.integers(1, 40, size=k)]
    tl = timeline(list(zip(values, lengths, strict=True)))
    cuts = np.sort(rng.integers(0, tl.n, size=6))
    periods = [Period(float(x), float(y), f"{x}-{y}") for x, y in itertools.pairwise(cuts)]
    periods.append(whole(tl))
    got = measures(tl, periods, valid_day_wear_s=0, bout_break_s=10)
    for period, m in zip(periods, got, strict=True):
        want = reference(tl, int(period.start_s), int(period.end_s), 10)
        have = {key: getattr(m, key) for key in want}
        assert have == want, period.label
