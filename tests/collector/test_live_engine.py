"""The live engine on synthetic recordings with exact truth: alert times, chunking,
restarts (state round trip, short downtime pauses the clock, long downtime is a gap),
commands, seat-only input."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from analytics import live as live_module
from analytics.alert_params import AlertParams
from analytics.alert_records import AlertKind
from analytics.orientation import PEDALLING_SOURCE
from analytics.pipeline import analyze_recording, analyze_thigh
from analytics.records import Posture, Recording
from bench.accuracy_live import run_live
from collector.service.engine import LiveEngine
from collector.sources.messages import DeviceStatus, Role, SampleBlock
from tests.analytics.signals import Part, build

T0 = 1_795_420_800.0  # Monday 08:00 UTC
SCENARIO = [
    Part("walk", 120),
    Part("stand", 60),
    Part("sit", 2700),
    Part("stand", 180),
    Part("sit", 600),
    Part("walk", 60),
]


def feed(
    eng: LiveEngine,
    rec: Recording,
    block_s: float = 1.0,
    *,
    start: float | None = None,
    stop: float | None = None,
    flush: bool = True,
) -> list:
    t = rec.t_s
    lo = t[0] if start is None else start
    hi = t[-1] + 1 if stop is None else stop
    cuts = np.searchsorted(t, np.arange(lo, hi + block_s, block_s))
    out = []
    for a, c in itertools.pairwise(cuts):
        if c <= a:
            continue
        eng.accept(SampleBlock("a", "x", Role.THIGH, t[a:c], acc_g=rec.thigh_acc_g[a:c]))
        if rec.trunk_acc_g is not None:
            eng.accept(SampleBlock("b", "x", Role.TRUNK, t[a:c], acc_g=rec.trunk_acc_g[a:c]))
        out += eng.process().alerts
    if flush:
        out += eng.process(flush=True).alerts
    return out


@pytest.fixture(scope="module")
def scenario() -> Recording:
    return build(SCENARIO, seed=2, trunk=True, t0_s=T0).recording


def kinds_at(alerts: list) -> list[tuple[str, float]]:
    return [(a.kind.value, a.t_s - T0) for a in alerts]


def test_prompt_escalation_and_break_at_exact_times(scenario: Recording) -> None:
    eng = LiveEngine({Role.THIGH, Role.TRUNK})
    alerts = feed(eng, scenario)
    assert kinds_at(alerts) == [
        ("prompt", 180 + 1800),
        ("escalation", 180 + 2400),
        ("break_started", 180 + 2700),
        ("break_complete", 180 + 2700 + 120),
    ]
    prompt, esc, _, done = alerts
    assert prompt.bout_minutes == 30
    assert prompt.bout_start_t_s == T0 + 180
    assert prompt.stand_for_s == 120
    assert esc.level == 2
    assert done.upright_s == 120
    st = eng.status()
    assert st.calibrated
    assert st.today_sitting_min == pytest.approx(55, abs=0.2)
    assert st.today_bouts_over_30 == 1
    assert st.adherence.taken == 1


def test_block_size_does_not_change_the_result(scenario: Recording) -> None:
    a = feed(LiveEngine({Role.THIGH, Role.TRUNK}), scenario, 1.0)
    b = feed(LiveEngine({Role.THIGH, Role.TRUNK}), scenario, 7.3)
    assert [x.to_dict() for x in a] == [x.to_dict() for x in b]


def test_restart_from_saved_state_gives_the_same_alerts(scenario: Recording) -> None:
    whole = feed(LiveEngine({Role.THIGH, Role.TRUNK}), scenario)
    first = LiveEngine({Role.THIGH, Role.TRUNK})
    before = feed(first, scenario, stop=T0 + 1500, flush=False)  # 22 min into the bout
    saved = json.loads(json.dumps(first.state_dict()))
    second = LiveEngine({Role.THIGH, Role.TRUNK}, saved=saved)
    assert second.calibrated  # the calibration came back with the state
    resume = second.resume_from_t_s
    assert resume is not None
    after = feed(second, scenario, start=resume)
    assert second.counters.restart_pauses == 0
    assert [x.to_dict() for x in before + after] == [x.to_dict() for x in whole]


def test_short_downtime_pauses_the_bout_clock(scenario: Recording) -> None:
    first = LiveEngine({Role.THIGH, Role.TRUNK})
    feed(first, scenario, stop=T0 + 1500, flush=False)
    saved = json.loads(json.dumps(first.state_dict()))
    cut = saved["emitted_to"]
    second = LiveEngine({Role.THIGH, Role.TRUNK}, saved=saved)
    # the service was down for 60 s: those samples never arrived
    after = feed(second, scenario, start=cut + 60)
    assert second.counters.restart_pauses == 1
    prompt = [a for a in after if a.kind == AlertKind.PROMPT]
    # 30 min of observed sitting: the 60 s of downtime are not counted, nor a gap
    assert [p.t_s - T0 for p in prompt] == [180 + 1800 + 60]
    assert not [a for a in after if a.kind == AlertKind.STATUS]


def test_long_downtime_is_a_gap_that_ends_the_bout(scenario: Recording) -> None:
    first = LiveEngine({Role.THIGH, Role.TRUNK})
    feed(first, scenario, stop=T0 + 1500, flush=False)
    saved = first.state_dict()
    second = LiveEngine({Role.THIGH, Role.TRUNK}, saved=saved)
    after = feed(second, scenario, start=saved["emitted_to"] + 600)
    assert second.counters.restart_pauses == 0
    kinds = [a.kind for a in after]
    assert AlertKind.STATUS in kinds  # no data, then data back
    # a new bout starts after the gap: 13 min of sitting remain, so no prompt
    assert AlertKind.PROMPT not in kinds
    assert second.alerts.ignored == 0


def test_commands_snooze_ack_calibrate_and_bad(scenario: Recording) -> None:
    eng = LiveEngine({Role.THIGH, Role.TRUNK})
    feed(eng, scenario, stop=T0 + 1990, flush=False)  # just after the prompt
    snoozed = eng.command("snooze 5")
    assert [a.kind for a in snoozed] == [AlertKind.SNOOZED]
    assert eng.status().snoozed_until_t_s is not None
    bad = eng.command("dance")
    assert bad[0].kind == AlertKind.REJECTED
    assert "unknown command" in bad[0].message
    cal = eng.command("calibrate")
    assert cal[0].kind in (AlertKind.STATUS, AlertKind.REJECTED)
    assert cal[0].command == "calibrate"
    rest = feed(eng, scenario, start=T0 + 1990)
    kinds = [a.kind for a in rest]
    assert AlertKind.ESCALATION in kinds  # the snooze delayed it, it still came


def test_calibration_is_held_until_walking_is_seen() -> None:
    b = build([Part("sit", 400), Part("walk", 120), Part("sit", 300)], seed=4, t0_s=T0)
    eng = LiveEngine({Role.THIGH})
    secs = []
    t = b.recording.t_s
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + 2, 1.0))
    for a, c in itertools.pairwise(cuts):
        if c > a:
            eng.accept(
                SampleBlock("a", "x", Role.THIGH, t[a:c], acc_g=b.recording.thigh_acc_g[a:c])
            )
            out = eng.process()
            if out.seconds is not None:
                secs.append(out.seconds)
        if t[min(c, t.shape[0] - 1)] < T0 + 380:
            assert not eng.calibrated
            assert not secs
    assert eng.calibrated
    post = np.concatenate([s.posture for s in secs])
    truth = b.truth[: post.shape[0]]
    assert post[0] == truth[0]
    assert np.mean(post == truth) > 0.97


def test_seat_only_engine_and_battery() -> None:
    rng = np.random.default_rng(0)
    n = 10 * 60 * 10  # 10 min at 10 Hz
    t = T0 + np.arange(n) / 10.0
    occupied = (t - T0 > 60) & (t - T0 < 500)
    cells = np.where(occupied[:, None], 400.0, 5.0) + rng.normal(0, 3, (n, 64))
    eng = LiveEngine({Role.SEAT})
    eng.accept(DeviceStatus("mat", T0, True, 15, "test"))
    alerts = []
    for k in range(0, n, 10):
        eng.accept(SampleBlock("mat", "x", Role.SEAT, t[k : k + 10], seat_p=cells[k : k + 10]))
        alerts += eng.process().alerts
    alerts += eng.process(flush=True).alerts
    assert any(a.kind == AlertKind.STATUS and a.status == "battery_low" for a in alerts)
    st = eng.status()
    assert st.battery_pct == 15
    assert st.calibrated
    assert st.today_sitting_min == pytest.approx(440 / 60, abs=0.5)
    assert eng.command("calibrate")[0].kind == AlertKind.REJECTED


def test_needs_a_primary_sensor() -> None:
    with pytest.raises(ValueError, match="thigh sensor or a seat mat"):
        LiveEngine({Role.TRUNK})
    with pytest.raises(ValueError, match="version"):
        LiveEngine({Role.THIGH}, saved={"version": 99})


def test_silent_sensors_become_no_data_as_time_moves_on(scenario: Recording) -> None:
    # a status 10 s into the silence (the default waits 60 s; a minute is fed here)
    eng = LiveEngine({Role.THIGH, Role.TRUNK}, alert_params=AlertParams(status_after_s=10.0))
    feed(eng, scenario, stop=T0 + 600, flush=False)
    last = eng.emitted_to
    assert last is not None
    assert eng.process().alerts == ()  # no data, no clock: nothing more to decide
    alerts = []
    for k in range(1, 61):  # a minute of wall time with every sensor silent
        eng.tick(T0 + 600 + k)
        alerts += eng.process().alerts
    assert eng.emitted_to is not None
    assert eng.emitted_to > last + 20
    status = [a for a in alerts if a.kind == AlertKind.STATUS]
    assert status
    assert status[0].status == "no_data"
    assert eng.status().sitting is None
    assert eng.status().data == "no_data"


def test_a_calibration_from_walking_alone_is_taken_again_from_standing_and_sitting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A phone in a pocket (or a loose strap) tilts while walking: the first window,
    a walk, gives an "up" 30° from the standing one, which the learning cannot undo
    (it judges what is upright by that calibration). The first window that also
    shows standing still and sitting gives the calibration again, as the batch
    pipeline takes it from the whole recording. Each try analyses the step's own
    window (its per-second statistics and rhythm windows), not the raw samples
    again: on a cyclist's day, whose windows never show it, the tries took a third
    of the engine's time at a fast replay's steps."""
    from_raw: list[float] = []

    def counted(rec: Recording, params: object = None) -> object:
        from_raw.append(float(rec.t_s[0]))
        return analyze_thigh(rec, params)  # type: ignore[arg-type]

    monkeypatch.setattr(live_module, "analyze_thigh", counted)
    parts = [Part("walk", 120), Part("stand", 120), Part("sit", 300), Part("stand", 60)]
    b = build(parts, seed=5, t0_s=T0)
    rec = b.recording
    assert rec.thigh_acc_g is not None
    c, s = np.cos(np.radians(30.0)), np.sin(np.radians(30.0))
    tilt = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    walking = rec.t_s < T0 + 120
    thigh = rec.thigh_acc_g.copy()
    thigh[walking] = thigh[walking] @ tilt.T
    rec = Recording(t_s=rec.t_s, thigh_acc_g=thigh)
    batch = analyze_thigh(rec).thigh
    assert batch is not None
    eng = LiveEngine({Role.THIGH})
    feed(eng, rec, stop=T0 + 200, flush=False)
    assert eng.thigh is not None
    assert eng.thigh.upright_refs is None  # from the walk alone
    assert _angle_deg(eng.thigh.up, batch.up) > 20.0
    feed(eng, rec, start=T0 + 200)
    assert eng.thigh.upright_refs is not None
    assert _angle_deg(eng.thigh.up, batch.up) < 3.0
    assert from_raw == []


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(float(a @ b), -1.0, 1.0))))


@pytest.mark.parametrize("stop_s", [60, 120])
def test_a_stop_on_the_saddle_of_a_day_calibrated_from_pedalling_is_as_in_batch(
    stop_s: int,
) -> None:
    """No walking: calibrated from pedalling, sitting still next to a ride is on the
    saddle (coasting) up to ``coast_max_s`` (90 s), a longer stop is sitting, all of
    it. Live, a window that had seen part of a 120 s stop showed it as coasting and
    emitted it (70 of the 120 s read as riding); such seconds are held until the
    stop's length is known."""
    parts = [Part("pedal", 600), Part("sit", stop_s), Part("pedal", 300)]
    rec = build(parts, seed=3, t0_s=T0).recording
    rec = Recording(t_s=rec.t_s, thigh_acc_g=rec.thigh_acc_g)
    a = analyze_thigh(rec)
    assert a.thigh is not None
    assert a.thigh.source == PEDALLING_SOURCE
    live = run_live(rec)
    batch = a.timeline.posture[live.t0_s - a.timeline.t0_s :][: live.posture.shape[0]]
    sitting = int(np.count_nonzero(batch == Posture.SITTING))
    assert sitting == (0 if stop_s <= 90 else stop_s - 1), sitting
    assert np.array_equal(live.posture, batch), np.flatnonzero(live.posture != batch)


def test_a_day_that_starts_on_the_bike_is_calibrated_from_its_first_walk() -> None:
    """Ridden to work first thing: the first window's calibration comes from
    pedalling, which knows no "up" (no hip angle, seated and standing not told
    apart). It was kept all day; the first walk now gives the calibration, as the
    batch pipeline takes it from the day's walking."""
    parts = [
        Part("pedal", 900),
        Part("walk", 120),
        Part("sit", 1200),
        Part("stand", 60),
        Part("sit", 600),
    ]
    rec = build(parts, seed=6, trunk=True, t0_s=T0).recording
    batch = analyze_recording(rec)
    assert batch.thigh is not None
    assert batch.thigh.source == "auto"
    live = run_live(rec)
    t0 = live.t0_s - batch.timeline.t0_s
    after = slice(1020 + 60 - t0, live.posture.shape[0])  # a minute after the walk
    want = batch.timeline.posture[t0:][after]
    assert np.mean(live.posture[after] == want) > 0.99
    seated = want == Posture.SITTING
    assert np.isfinite(live.prompt_hip_flexion_deg[after][seated]).mean() > 0.99
    hip = live.hip_flexion_deg[after][seated]  # as the history keeps it (revised)
    want_hip = batch.timeline.hip_flexion_deg[t0:][after][seated]
    assert float(np.nanmedian(np.abs(hip - want_hip))) < 1.0
