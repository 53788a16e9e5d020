"""Compression bouts and breaks on hand-built timelines, exact at every boundary."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.bouts import compression
from analytics.compression import (
    SEATED,
    STEP_CLASS_OF,
    BoutEnd,
    EventKind,
    ExposureParams,
    hip_step_values,
    step_classes,
)
from analytics.records import Posture, Timeline

S, U, L, N, RS, RT = (
    Posture.SITTING,
    Posture.UPRIGHT,
    Posture.LYING,
    Posture.NONWEAR,
    Posture.RIDING_SEATED,
    Posture.RIDING_STANDING,
)
T0 = 1_000_000


def tl(*parts: tuple[Posture, int], hip: float = 85.0) -> Timeline:
    posture = np.concatenate([np.full(n, int(p), dtype=np.int8) for p, n in parts])
    h = np.full(posture.shape[0], hip)
    h[posture == N] = np.nan
    return Timeline(t0_s=T0, posture=posture, hip_flexion_deg=h)


def test_a_119_s_stand_is_a_micro_break_and_120_s_is_a_break() -> None:
    short = compression(tl((S, 1000), (U, 119), (S, 1000), (U, 300)))
    assert len(short.bouts) == 1
    b = short.bouts[0]
    assert (b.start_s, b.end_s) == (T0, T0 + 2119)
    assert b.micro_breaks == 1
    assert b.micro_break_s == 119
    assert b.seated_s == 2000
    assert b.ended_by == BoutEnd.BREAK
    assert [(x.duration_s, x.met_rule) for x in short.breaks] == [(119, False), (300, True)]

    full = compression(tl((S, 1000), (U, 120), (S, 1000), (U, 300)))
    assert len(full.bouts) == 2
    assert full.bouts[0].duration_s == 1000
    assert full.bouts[0].micro_breaks == 0
    assert [(x.duration_s, x.met_rule) for x in full.breaks] == [(120, True), (300, True)]


def test_break_records_say_whether_they_came_within_the_guidance() -> None:
    out = compression(tl((S, 2400), (U, 150), (S, 2401), (U, 150)))
    assert [b.sitting_before_s for b in out.breaks] == [2400, 2401]
    assert [b.within_guidance for b in out.breaks] == [True, False]


def test_events_of_a_bout_in_time_order() -> None:
    out = compression(tl((S, 1700), (U, 60), (S, 1000), (U, 200)))
    got = [(e.t_s - T0, e.kind, e.value) for e in out.events]
    assert got == [
        (0, EventKind.BOUT_STARTED, 0.0),
        (1760, EventKind.MICRO_BREAK, 60.0),
        (1800, EventKind.BOUT_MINUTES, 30.0),
        (2400, EventKind.BOUT_MINUTES, 40.0),
        (2880, EventKind.BREAK_TAKEN, 120.0),
        (2880, EventKind.BOUT_ENDED, 2760.0),
    ]


def test_milestones_continue_through_a_stand_that_is_not_yet_a_break() -> None:
    # standing from 1790 s: the 30-minute mark at 1800 s is still inside the bout
    out = compression(tl((S, 1790), (U, 300)))
    minutes = [e.value for e in out.events if e.kind == EventKind.BOUT_MINUTES]
    assert minutes == [30.0]
    # but a break complete at 1790+120 = 1910 s stops the clock before 40 min
    assert out.bouts[0].closed_at_s == T0 + 1910


@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_gaps_are_never_sitting_and_never_breaks(where: str) -> None:
    if where == "start":
        out = compression(tl((N, 500), (S, 1000), (U, 200)))
        assert len(out.bouts) == 1
        assert out.bouts[0].start_s == T0 + 500
        assert out.bouts[0].ended_by == BoutEnd.BREAK
        kinds = [e.kind for e in out.events]
        assert kinds[:3] == [EventKind.GAP_STARTED, EventKind.GAP_ENDED, EventKind.BOUT_STARTED]
    elif where == "middle":
        out = compression(tl((S, 1000), (N, 400), (S, 1000), (U, 200)))
        a, b = out.bouts
        assert a.ended_by == BoutEnd.GAP
        assert a.gap_s == 400
        assert a.duration_s == 1000
        assert b.start_s == T0 + 1400  # not merged across the gap
        assert [x.met_rule for x in out.breaks] == [True]  # the gap is not a break
        assert all(x.start_s != T0 + 1000 for x in out.breaks)
    else:
        out = compression(tl((S, 1000), (U, 30), (N, 400)))
        (a,) = out.bouts
        assert a.ended_by == BoutEnd.GAP
        assert a.gap_s == 400
        assert a.end_s == T0 + 1000
        assert a.micro_breaks == 0  # the stand before the gap is not a micro-break
        assert out.breaks == ()


def test_a_bout_at_the_end_of_the_data_is_open() -> None:
    out = compression(tl((U, 100), (S, 500)))
    assert out.bouts[0].ended_by == BoutEnd.OPEN
    assert out.bouts[0].closed_at_s == T0 + 600


def test_seated_riding_is_compression_and_standing_on_the_pedals_relieves() -> None:
    out = compression(tl((RS, 600), (RT, 30), (RS, 600), (RT, 130), (S, 100)))
    assert [b.duration_s for b in out.bouts] == [1230, 100]
    assert out.bouts[0].micro_breaks == 1
    assert out.bouts[0].seated_s == 1200


def test_lying_relieves_but_only_upright_counts_for_prompts_later() -> None:
    out = compression(tl((S, 600), (L, 3600), (S, 600)))
    assert len(out.bouts) == 2


def test_hip_exposure_inside_bouts() -> None:
    timeline = tl((S, 600), (U, 60), (S, 600), hip=100.0)
    timeline.hip_flexion_deg[:300] = 80.0  # first 5 minutes below 90°
    (b,) = compression(timeline).bouts
    assert b.hip_gt90_s == 900  # upright steps never count
    assert b.hip_dose_deg_min == pytest.approx(10.0 * 900 / 60.0)


def test_seat_dose_and_peak() -> None:
    base = tl((S, 100), (U, 50), (S, 100))
    load = np.full(base.n, 2.0)
    peak = np.full(base.n, 10.0)
    peak[120] = 99.0  # while upright: not the sitter's peak
    peak[10] = 30.0
    timeline = Timeline(
        t0_s=base.t0_s,
        posture=base.posture,
        hip_flexion_deg=base.hip_flexion_deg,
        seat_load=load,
        seat_peak=peak,
    )
    (b,) = compression(timeline).bouts
    assert b.seat_dose == pytest.approx(400.0)
    assert b.seat_peak == 30.0


def test_params_are_checked() -> None:
    with pytest.raises(ValueError, match="break_s"):
        ExposureParams(break_s=0)
    with pytest.raises(ValueError, match="milestones"):
        ExposureParams(milestones_min=(40.0, 30.0))


# --- short gaps pause a bout (issue 16: a dropout is not a break) --------------------


def test_issue_16_an_11_s_gap_pauses_a_42_minute_bout() -> None:
    out = compression(tl((S, 1500), (N, 11), (S, 1020), (U, 200)))
    (b,) = out.bouts  # one bout, not two
    assert (b.start_s, b.end_s) == (T0, T0 + 2531)
    assert b.paused_s == 11
    assert b.duration_s == 2520  # 42 min: the gap is not counted
    assert b.seated_s == 2520  # never sitting
    assert b.ended_by == BoutEnd.BREAK
    assert [(x.duration_s, x.met_rule, x.sitting_before_s) for x in out.breaks] == [
        (200, True, 2520)
    ]
    got = [(e.t_s - T0, e.kind, e.value) for e in out.events]
    assert got == [
        (0, EventKind.BOUT_STARTED, 0.0),
        (1500, EventKind.GAP_STARTED, 0.0),
        (1511, EventKind.GAP_ENDED, 11.0),
        (1811, EventKind.BOUT_MINUTES, 30.0),  # 30 min of bout time, gap excluded
        (2411, EventKind.BOUT_MINUTES, 40.0),
        (2651, EventKind.BREAK_TAKEN, 120.0),
        (2651, EventKind.BOUT_ENDED, 2520.0),
    ]


def test_a_gap_as_long_as_a_break_still_ends_the_bout() -> None:
    assert len(compression(tl((S, 1000), (N, 119), (S, 1000))).bouts) == 1
    a, b = compression(tl((S, 1000), (N, 120), (S, 1000))).bouts
    assert (a.ended_by, a.gap_s, a.duration_s, a.paused_s) == (BoutEnd.GAP, 120, 1000, 0)
    assert b.start_s == T0 + 1120
    p = ExposureParams(break_s=300.0)  # the break length sets what is short
    assert len(compression(tl((S, 1000), (N, 200), (S, 1000)), p).bouts) == 1


def test_a_short_gap_inside_a_stand_is_neither_relief_nor_sitting() -> None:
    # 60 s up, 11 s gap, 60 s up: 120 s of relief seen, the gap not counted
    out = compression(tl((S, 1000), (U, 60), (N, 11), (U, 60), (S, 500)))
    a, b = out.bouts
    assert (a.end_s, a.ended_by, a.paused_s) == (T0 + 1000, BoutEnd.BREAK, 0)
    assert [(x.start_s, x.duration_s, x.met_rule) for x in out.breaks] == [(T0 + 1000, 120, True)]
    taken = [e.t_s for e in out.events if e.kind == EventKind.BREAK_TAKEN]
    assert taken == [T0 + 1000 + 120 + 11]
    assert b.start_s == T0 + 1131
    # 50 s + 11 s + 50 s: one micro-break of 100 s, one bout
    out = compression(tl((S, 1000), (U, 50), (N, 11), (U, 50), (S, 500)))
    (b,) = out.bouts
    assert (b.micro_breaks, b.micro_break_s, b.paused_s, b.duration_s) == (1, 100, 11, 1600)
    micro = [(e.t_s, e.value) for e in out.events if e.kind == EventKind.MICRO_BREAK]
    assert micro == [(T0 + 1111, 100.0)]


def test_a_short_gap_at_the_end_leaves_the_bout_open() -> None:
    (b,) = compression(tl((S, 1000), (N, 30))).bouts
    assert (b.ended_by, b.end_s, b.gap_s) == (BoutEnd.OPEN, T0 + 1000, None)
    (b,) = compression(tl((S, 1000), (N, 130))).bouts
    assert (b.ended_by, b.gap_s) == (BoutEnd.GAP, 130)


def test_a_milestone_reached_as_a_short_gap_starts_comes_at_its_start() -> None:
    out = compression(tl((S, 1800), (N, 11), (S, 100)))
    minutes = [(e.t_s - T0, e.value) for e in out.events if e.kind == EventKind.BOUT_MINUTES]
    assert minutes == [(1800, 30.0)]
    # unless the data ends in that gap (it never resumed)
    out = compression(tl((S, 1800), (N, 11)))
    assert [e for e in out.events if e.kind == EventKind.BOUT_MINUTES] == []


def test_step_classes_of_short_and_long_arrays_are_the_gather() -> None:
    """Short arrays take fresh temporaries, long ones scratch buffers: both equal
    ``STEP_CLASS_OF[posture]``; so does the hip's per-step split."""
    rng = np.random.default_rng(3)
    for n in (1, 10, 700, 4096, 4097, 20_000):
        posture = rng.integers(0, 6, n).astype(np.int8)
        got = step_classes(posture)
        assert got.dtype == np.int8
        np.testing.assert_array_equal(got, STEP_CLASS_OF[posture])
        hip = rng.normal(90.0, 20.0, n)
        hip[rng.random(n) < 0.1] = np.nan
        tl = Timeline(t0_s=0, posture=posture, hip_flexion_deg=hip)
        above, excess = hip_step_values(tl, 90.0)
        seated = STEP_CLASS_OF[posture] == SEATED
        want = np.where(seated, np.fmax(hip - 90.0, 0.0), 0.0)
        np.testing.assert_array_equal(excess, want)
        np.testing.assert_array_equal(above, want > 0.0)


def test_a_long_timeline_makes_no_per_step_copy_beyond_its_buffers() -> None:
    """issue 14: the bouts' per-range sums of a long timeline make no array the size of
    the timeline (a reduceat of the booleans into integers copied the whole mask as
    int64: 8 bytes a step, 60 MB for 90 days, fresh memory for a new report process)."""
    import tracemalloc

    day = np.full(86_400, Posture.SITTING, dtype=np.int8)
    for start in range(0, 86_400, 2_400):  # 35-minute bouts, 5-minute breaks
        day[start + 2_100 : start + 2_400] = Posture.UPRIGHT
    posture = np.tile(day, 12)
    hip = np.where(np.arange(posture.shape[0]) % 2_400 > 1_500, 96.0, 84.0)
    tl = Timeline(t0_s=1_767_225_600, posture=posture, hip_flexion_deg=hip)
    first = compression(tl, with_events=False)  # the scratch buffers made once
    assert len(first.bouts) > 400
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    again = compression(tl, with_events=False)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert again == first
    assert peak < 2 * tl.n, f"{peak / tl.n:.1f} bytes a step"
