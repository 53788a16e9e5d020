"""Ride analysis from bike-computer records (analytics/ride.py), on made-up rides whose
right answers are known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.records import Posture, Timeline
from analytics.ride import (
    RideParams,
    RideRecords,
    SessionTotals,
    cadence_on_clock,
    ride_count,
    ride_seconds,
    summarize_ride,
)

T0 = 1_700_000_000


def ride(
    seconds: int,
    timer: list[tuple[int, bool]] | None = None,
    speed: float | np.ndarray = 8.0,
    cadence: float | np.ndarray = 85.0,
    position: list[tuple[int, bool]] | None = None,
    session: SessionTotals | None = None,
    every_s: int = 1,
) -> RideRecords:
    t = T0 + np.arange(0, seconds, every_s, dtype=np.float64)
    timer = timer if timer is not None else [(0, True), (seconds, False)]
    pos = position or []
    return RideRecords(
        t_s=t,
        speed_mps=np.broadcast_to(np.asarray(speed, dtype=np.float64), t.shape).copy(),
        cadence_rpm=np.broadcast_to(np.asarray(cadence, dtype=np.float64), t.shape).copy(),
        power_w=np.full(t.shape, 200.0),
        timer_t_s=np.array([T0 + a for a, _ in timer], dtype=np.float64),
        timer_on=np.array([b for _, b in timer], dtype=np.bool_),
        position_t_s=np.array([T0 + a for a, _ in pos], dtype=np.float64),
        position_standing=np.array([b for _, b in pos], dtype=np.bool_),
        session=session or SessionTotals(),
    )


def test_timer_stops_and_breaks() -> None:
    # ride 600 s, 30 s at a light (timer paused), ride, a 5-min café stop, ride
    timer = [(0, True), (600, False), (630, True), (1200, False), (1500, True), (2100, False)]
    s = summarize_ride(ride(2100, timer))
    assert s.timer_s == 600 + 570 + 600
    assert s.riding_s == s.timer_s
    assert s.timer_stops == 2
    assert s.stopped_s == 30 + 300
    assert (s.breaks, s.break_s) == (1, 300)  # the light is not a break
    assert s.on_bike_s == 1200 + 600  # the light stays on the bike
    assert s.longest_spell_s == 1200


def test_standstill_with_the_timer_running_is_a_break_only_when_long() -> None:
    speed = np.full(3000, 8.0)
    speed[1000:1090] = 0.0  # 90 s at a light: riding
    speed[2000:2200] = 0.1  # 200 s stopped, GPS jitter: a break
    s = summarize_ride(ride(3000, speed=speed))
    assert s.timer_s == 3000
    assert (s.breaks, s.break_s) == (1, 200)
    assert s.riding_s == 2800
    assert s.longest_spell_s == 2000


def test_break_threshold_is_the_parameter() -> None:
    speed = np.full(3000, 8.0)
    speed[1000:1090] = 0.0
    s = summarize_ride(ride(3000, speed=speed), RideParams(break_s=60))
    assert (s.breaks, s.riding_s) == (1, 2910)


def test_smart_recording_holds_values_between_records() -> None:
    s = summarize_ride(ride(600, every_s=4))
    assert s.pedalling_s == 600
    assert s.cadence_mean_rpm == pytest.approx(85.0)
    # records further apart than hold_max_s leave seconds unknown, not pedalling
    s = summarize_ride(ride(600, every_s=20))
    assert s.pedalling_s == 600 // 20 * 10


def test_cadence_and_coasting() -> None:
    cad = np.full(1000, 90.0)
    cad[500:700] = 0.0
    s = summarize_ride(ride(1000, cadence=cad))
    assert (s.pedalling_s, s.coasting_s) == (800, 200)
    assert s.cadence_mean_rpm == pytest.approx(90.0)


def test_no_position_says_what_cannot_be_known() -> None:
    s = summarize_ride(ride(1000, cadence=np.nan))
    assert s.position_from == "none"
    assert s.seated_s is s.standing_s is s.stands is s.longest_seated_bout_s is None
    text = " ".join(s.unknown)
    assert "seated vs standing" in text
    assert "cadence" in text


def test_rider_position_events_give_saddle_bouts() -> None:
    # seated 0-600, stand 600-630 (30 s: ends the bout), seated 630-1800 with a
    # 5-s stand at 1000 (stays inside the bout)
    pos = [(0, False), (600, True), (630, False), (1000, True), (1005, False)]
    s = summarize_ride(ride(1800, position=pos))
    assert s.position_from == "events"
    assert s.standing_s == 35
    assert s.seated_s == 1800 - 35
    assert s.stands == 1
    assert s.seated_bouts == 2
    assert s.longest_seated_bout_s == 1800 - 630
    assert s.stands_per_hour == pytest.approx(1 / 0.5)


def test_session_totals_when_no_events() -> None:
    s = summarize_ride(ride(3600, session=SessionTotals(time_standing_s=300.0, stand_count=12)))
    assert s.position_from == "session"
    assert (s.standing_s, s.seated_s, s.stands) == (300.0, 3300.0, 12)
    assert s.stands_per_hour == pytest.approx(12.0)
    assert s.longest_seated_bout_s is None
    assert any("seated bouts" in u for u in s.unknown)


def test_no_timer_events_takes_the_records() -> None:
    s = summarize_ride(ride(500, timer=[]))
    assert s.timer_s == 500


def test_cadence_on_clock_is_nan_outside_the_ride() -> None:
    rs = ride_seconds(ride(100, timer=[(0, True), (50, False), (60, True), (100, False)]))
    t = T0 + np.array([-5.0, 0.5, 49.9, 55.0, 70.2, 120.0])
    c = cadence_on_clock(rs, t)
    assert np.isnan(c[[0, 3, 5]]).all()
    assert (c[[1, 2, 4]] == 85.0).all()


def test_ride_count_joins_short_gaps() -> None:
    posture = np.full(2000, Posture.SITTING, dtype=np.int8)
    posture[100:500] = Posture.RIDING_SEATED
    posture[560:800] = Posture.RIDING_STANDING  # 60 s stop: same ride
    posture[1200:1300] = Posture.RIDING_SEATED  # 400 s later: a second ride
    tl = Timeline(t0_s=0, posture=posture, hip_flexion_deg=np.full(2000, np.nan))
    assert ride_count(tl) == 2
    tl0 = Timeline(t0_s=0, posture=posture[:100], hip_flexion_deg=np.full(100, np.nan))
    assert ride_count(tl0) == 0


def test_bike_computer_cadence_on_a_simulated_ride() -> None:
    """A thigh recording of a simulated ride with its cadence given only as a FIT-like
    stream (one whole-rpm record a second, on the Unix clock): seated/standing and
    riding agree with the simulator's truth."""
    import dataclasses

    from analytics.pipeline import analyze_recording
    from collector.sources.simulator import simulate

    sim = simulate("cyclist", 1.0, 4, fs_hz=25.0, trunk=False)
    rec = sim.recording
    assert rec.cadence_rpm is not None
    t0 = int(rec.t_s[0])
    sec = (rec.t_s - t0).astype(np.int64)
    per_s = np.bincount(sec, weights=rec.cadence_rpm) / np.maximum(np.bincount(sec), 1)
    n = per_s.shape[0]
    fit = RideRecords(
        t_s=t0 + np.arange(n, dtype=np.float64),
        speed_mps=np.full(n, 8.0),
        cadence_rpm=np.round(per_s),
        power_w=np.full(n, np.nan),
        timer_t_s=np.array([t0, t0 + n], dtype=np.float64),
        timer_on=np.array([True, False]),
    )
    cadence = cadence_on_clock(ride_seconds(fit), rec.t_s)
    tl = analyze_recording(dataclasses.replace(rec, cadence_rpm=cadence)).timeline
    truth = sim.truth
    assert tl.t0_s == truth.t0_s
    k = min(tl.n, truth.n)
    p, q = tl.posture[:k], truth.posture[:k]
    worn = q != Posture.NONWEAR
    assert np.mean(p[worn] == q[worn]) >= 0.97
    riding = q >= Posture.RIDING_SEATED
    assert np.mean(p[riding] >= Posture.RIDING_SEATED) >= 0.97
    assert np.mean(p[riding] == q[riding]) >= 0.97  # seated vs standing on the pedals
