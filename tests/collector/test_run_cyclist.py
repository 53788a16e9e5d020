"""``sitload run --source simulate:cyclist`` end to end against a real Mosquitto: a
simulated ride (thigh and trunk sensors, the bike's cadence) gets the saddle prompt
at exactly the configured minute of seated riding by the simulator's truth, no desk
prompt during the ride, and the seated/standing posture of the truth."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analytics.alert_params import AlertParams
from analytics.compression import SEATED, step_classes
from analytics.records import Posture
from analytics.saddle import SaddleContext
from collector.service.engine import LiveEngine
from collector.sinks.history.sqlite_store import SqliteStore
from collector.sources.messages import Role, SampleBlock
from collector.sources.sim_plan import Seg
from collector.sources.sim_ride import CyclistPlan
from collector.sources.simulator import Simulated, simulate
from tests.brokers import Mosquitto, require_mosquitto
from tests.collector.run_service_harness import (
    BASE,
    USER,
    admin,
    alerts_of,
    alice_and_bob_broker,
    finish,
    service_config,
    start_run,
    unique,
)

HOURS = 1.5
SEED = 1
SADDLE_MIN = 45.0
DESK_KINDS = {
    "prompt",
    "escalation",
    "repeat",
    "break_started",
    "break_too_short",
    "break_complete",
}


@pytest.fixture(autouse=True)
def _needs_mosquitto() -> None:
    require_mosquitto()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    yield from alice_and_bob_broker(tmp_path)


def ride_config(tmp: Path, port: int) -> Path:
    """No profile anywhere: ``--source simulate:cyclist`` implies the cyclist's."""
    source = f'kind = "simulate"\nhours = {HOURS}\nseed = {SEED}\ntrunk = true\nspeed = 1e6'
    return service_config(tmp, port, source, f"saddle_prompt_after_min = {SADDLE_MIN}")


def truth_of_the_run(tmp: Path) -> Simulated:
    """The simulation the run replayed (its start time is in the state file)."""
    state = json.loads((tmp / "state" / f"{USER}.state.json").read_text())
    start = float(state["extra"]["sim_start_t_s"])
    return simulate("cyclist", HOURS, SEED, start_t_s=start, trunk=True)


def test_a_simulated_ride_over_mqtt(broker: Mosquitto, tmp_path: Path) -> None:
    cfg = ride_config(tmp_path, broker.port)
    with admin(broker, [f"{BASE}/#", "homeassistant/#"]) as sub:
        proc = start_run(cfg, tmp_path, args=("--source", "simulate:cyclist"))
        out = finish(proc, tmp_path, timeout_s=300)
        sub.wait_for(
            lambda ms: any(
                m.topic == f"{BASE}/availability" and m.payload == b"offline" for m in ms
            ),
            10,
            "offline at the end",
        )
        got: list[dict[str, Any]] = unique(alerts_of(sub))
        states = [m.json() for m in sub.on(f"{BASE}/state")]
        discovery = [m.topic for m in sub.snapshot() if m.topic.startswith("homeassistant/")]
    sim = truth_of_the_run(tmp_path)
    truth = sim.truth
    assert sim.recording.cadence_rpm is not None  # the bike's cadence sensor too

    # the saddle prompt: at the configured minute of the first long seated bout
    prompt_s = SADDLE_MIN * 60.0
    assert AlertParams(cyclist=True, saddle_prompt_after_s=prompt_s).cyclist
    first, end, _hip = SaddleContext(truth).bouts()
    long_bouts = np.flatnonzero((end - first) * truth.dt_s >= prompt_s)
    assert long_bouts.size, "the simulated ride has a long seated climb"
    bout_start = truth.t0_s + int(first[long_bouts[0]]) * truth.dt_s
    saddle = [a for a in got if a["kind"] == "saddle"]
    assert saddle, out[-3000:]
    due = bout_start + prompt_s
    assert abs(saddle[0]["t_s"] - due) <= 15.0, (saddle[0]["t_s"] - due, saddle[0])
    # (a posture prompt due near it comes with it, in the same message)
    assert saddle[0]["message"].startswith(
        "45 min seated on the saddle: stand on the pedals for 10 s or take a break."
    )
    assert saddle[0]["saddle_minutes"] == SADDLE_MIN

    # Home Assistant: the saddle bout and the stands of the ride
    assert "homeassistant/sensor/sitload_alice_saddle_bout_minutes/config" in discovery
    assert "homeassistant/sensor/sitload_alice_ride_stands/config" in discovery
    assert max(st["saddle_bout_minutes"] for st in states) >= SADDLE_MIN
    assert all(st["ride_stands"] >= 0 for st in states)

    # no desk prompt or break feedback during the ride
    riding = np.isin(truth.posture, [Posture.RIDING_SEATED, Posture.RIDING_STANDING])
    ride_idx = np.flatnonzero(riding)
    ride_from = truth.t0_s + int(ride_idx[0]) * truth.dt_s
    ride_to = truth.t0_s + (int(ride_idx[-1]) + 1) * truth.dt_s
    during = [a for a in got if a["kind"] in DESK_KINDS and ride_from <= a["t_s"] <= ride_to]
    assert during == [], during

    # seated / standing on the bike as the truth has it, from the run's own history
    store = SqliteStore(tmp_path / "history.db")
    try:
        tl = store.read_timeline(USER, truth.t0_s, truth.t0_s + truth.n * truth.dt_s)
    finally:
        store.close()
    lo = int(tl.t0_s - truth.t0_s)
    assert lo >= 0
    n = min(tl.n, truth.n - lo)
    tr = truth.posture[lo : lo + n]
    live = tl.posture[:n]
    on_bike = np.isin(tr, [Posture.RIDING_SEATED, Posture.RIDING_STANDING])
    seated_truth = step_classes(tr) == SEATED
    seated_live = step_classes(live) == SEATED
    agreement = float(np.mean(seated_live[on_bike] == seated_truth[on_bike]))
    assert on_bike.sum() > 3600
    assert agreement >= 0.97, agreement


def _freewheel_ride(rng: np.random.Generator, n_sec: int) -> list[Seg]:
    """Walk to the bike, 35 min seated, 4 min freewheeling downhill (longer than the
    posture rules' coasting) with the pedals level, seated to the end. (With a pedal
    at the bottom the thigh reads ~35° from upright and the posture rules call the
    freewheel upright: a break, not a desk prompt either.)"""
    plan = CyclistPlan(rng)
    plan.walk(240)
    plan.stand(60)
    plan.ride_seated(35 * 60, 85.0, 45.0, coast=False)
    plan.ride_seated(240, 0.0, 45.0, coast=True)
    plan.segs[-1].amp_deg = 0.0  # the crank stopped with the pedals level
    plan.ride_seated(n_sec - plan.total_s, 85.0, 45.0, coast=False)
    return plan.segs


def test_freewheeling_downhill_through_the_live_engine() -> None:
    """Reproduced as the service runs it (the live engine, in process): the long
    freewheel reads as sitting to the posture rules, yet no desk prompt comes and the
    saddle prompt counts the freewheel as seated riding."""
    # seed 9: the simulator's one data gap falls in the walk (a gap ends a saddle bout)
    sim = simulate("cyclist", 1.0, 9, schedule=_freewheel_ride, fs_hz=25.0)
    assert not (sim.truth.posture[300:] == Posture.NONWEAR).any()
    rec = sim.recording
    # no prompt spacing: the posture prompts (hip past 90°) would delay the saddle's
    params = AlertParams(cyclist=True, prompt_gap_s=0.0)
    eng = LiveEngine({Role.THIGH, Role.TRUNK, Role.BIKE}, alert_params=params)
    t = rec.t_s
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + 2, 1.0))
    alerts = []
    for a, c in itertools.pairwise(cuts):
        if c <= a:
            continue
        assert rec.trunk_acc_g is not None
        assert rec.cadence_rpm is not None
        eng.accept(SampleBlock("a", "x", Role.THIGH, t[a:c], acc_g=rec.thigh_acc_g[a:c]))
        eng.accept(SampleBlock("b", "x", Role.TRUNK, t[a:c], acc_g=rec.trunk_acc_g[a:c]))
        eng.accept(SampleBlock("c", "x", Role.BIKE, t[a:c], cadence_rpm=rec.cadence_rpm[a:c, None]))
        out = eng.process()
        alerts += out.alerts
    alerts += eng.process(flush=True).alerts
    kinds = [a.kind.value for a in alerts]
    assert not DESK_KINDS & set(kinds), kinds
    saddle = [a for a in alerts if a.kind.value == "saddle"]
    assert saddle, kinds
    # the saddle bout runs from the first pedal stroke through the freewheel
    ride_start = sim.truth.t0_s + 300
    assert abs(saddle[0].t_s - (ride_start + 2700.0)) <= 15.0
