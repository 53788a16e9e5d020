"""A sensor that sends sample by sample (a WitMotion at 50 Hz: one frame a
notification): the service calls ``process`` after every message, and a call that
cannot make a second final must cost next to nothing (issue 14) and change nothing."""

from __future__ import annotations

import dataclasses
import itertools
import json
from typing import Any

import numpy as np
import pytest

from analytics import live_calibration, live_engine
from analytics.live import LiveParams
from analytics.live_steps import EngineOutput
from analytics.records import Posture, Recording
from collector.service.engine import LiveEngine
from collector.sources.messages import Role, SampleBlock
from tests.analytics.signals import Part, build

T0 = 1_795_420_800.0  # Monday 08:00 UTC
ROLES = {Role.THIGH, Role.TRUNK}
BLOCK_S = 0.1  # five samples a message at 50 Hz


MOVED_AT_S = T0 + 1300
"""The thigh sensor turns 20° on the thigh here (over the restart): the standing
that follows moves the calibration, and the day's hip angles are revised with the
recalibration."""


def _recording() -> Recording:
    parts = [Part("walk", 120), Part("stand", 60), Part("sit", 1100), Part("stand", 120)]
    parts += [Part("sit", 700), Part("walk", 60)]
    rec = build(parts, seed=3, trunk=True, t0_s=T0).recording
    assert rec.thigh_acc_g is not None
    c, s = np.cos(np.radians(20.0)), np.sin(np.radians(20.0))
    turn = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    moved = rec.t_s >= MOVED_AT_S
    thigh = rec.thigh_acc_g.copy()
    thigh[moved] = thigh[moved] @ turn.T
    return dataclasses.replace(rec, thigh_acc_g=thigh)


def _array_bytes(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(_array_bytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, tuple | list):
        return tuple(_array_bytes(v) for v in value)
    return value


def _fingerprint(out: EngineOutput) -> Any:
    """Everything an output holds, arrays to the last bit."""
    return (
        _array_bytes(out.seconds),
        [a.to_dict() for a in out.alerts],
        None if out.status is None else out.status.to_dict(),
        _array_bytes(out.events),
        _array_bytes(out.bouts),
        _array_bytes(out.revisions),
    )


def _feed(
    eng: LiveEngine, rec: Recording, start: float, stop: float, *, silent_from: float | None = None
) -> list[Any]:
    """Messages of ``BLOCK_S`` from ``start`` to ``stop``, ``process`` after each (as
    the service does); from ``silent_from`` on, the sensors send nothing and only
    the clock ticks, once a second."""
    t = rec.t_s
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    cuts = np.searchsorted(t, np.arange(start, stop + BLOCK_S, BLOCK_S))
    outs = []
    for a, c in itertools.pairwise(cuts):
        if c <= a:
            continue
        if silent_from is not None and t[a] >= silent_from:
            if t[a] - int(t[a]) < BLOCK_S:  # the service's ticker: once a second
                eng.tick(float(t[a]))
                outs.append(_fingerprint(eng.process()))
            continue
        eng.accept(SampleBlock("a", "x", Role.THIGH, t[a:c], acc_g=rec.thigh_acc_g[a:c]))
        outs.append(_fingerprint(eng.process()))
        eng.accept(SampleBlock("b", "x", Role.TRUNK, t[a:c], acc_g=rec.trunk_acc_g[a:c]))
        outs.append(_fingerprint(eng.process()))
    return outs


def _always_look(eng: LiveEngine) -> LiveEngine:
    setattr(eng, "_not_due", lambda: False)  # noqa: B010 (the check turned off)
    return eng


def _run(make: Any, rec: Recording) -> tuple[list[Any], int]:
    """A day with what makes output wait for the next call: a silence the clock moves
    over (shorter than a break: the bout pauses), a restart after 5 min of downtime
    (one gap, which ends the bout), a recalibration (the day's revised hip angles).
    Returns every call's output and the index of the call after the recalibration."""
    first = make(LiveEngine(ROLES))
    outs = _feed(first, rec, T0, T0 + 600, silent_from=T0 + 500)
    outs += _feed(first, rec, T0 + 600, T0 + 1000)
    saved = json.loads(json.dumps(first.state_dict()))
    second = make(LiveEngine(ROLES, saved=saved))
    outs += _feed(second, rec, MOVED_AT_S, T0 + 2145)  # into the last walk
    outs.append([a.to_dict() for a in second.command("calibrate")])
    waited = len(outs)
    outs.append(_fingerprint(second.process()))  # no new data: the revision waits
    outs += _feed(second, rec, T0 + 2145, float(rec.t_s[-1]) + 1)
    outs.append(_fingerprint(second.process(flush=True)))
    return outs, waited


def test_each_call_gives_what_the_whole_check_gives() -> None:
    rec = _recording()
    (quick, waited), (looked, _) = _run(lambda e: e, rec), _run(_always_look, rec)
    assert len(quick) == len(looked)
    for i, (a, b) in enumerate(zip(quick, looked, strict=True)):
        assert a == b, f"call {i}"
    decided = [o for o in quick if isinstance(o, tuple) and o[0] is not None]
    assert len(decided) > 100  # the day's steps were made
    assert any(o[4] for o in quick if isinstance(o, tuple))  # the gap ended a bout
    assert quick[waited][5], "the revised hip angles come with the next call"


def test_a_call_between_steps_does_not_look_at_the_buffers() -> None:
    """10 min of sitting sent sample by sample, after the calibration: the engine
    works out its watermark only where a step may be due (it did at every one of the
    12,000 calls)."""
    rec = _recording()
    eng = LiveEngine(ROLES)
    _feed(eng, rec, T0, T0 + 300)
    assert eng.calibrated
    looked = 0
    watermark = eng._watermark

    def counted() -> float | None:
        nonlocal looked
        looked += 1
        return watermark()

    setattr(eng, "_watermark", counted)  # noqa: B010 (counted on this engine)
    calls = len(_feed(eng, rec, T0 + 300, T0 + 900))
    assert calls == 12_000
    steps = 600 // eng.live.step_s
    assert looked <= 2 * steps, looked


def _sit_first() -> Recording:
    parts = [Part("sit", 400), Part("walk", 120), Part("sit", 100)]
    return build(parts, seed=4, t0_s=T0).recording


def _thigh_outputs(eng: LiveEngine, rec: Recording, block_s: float) -> list[EngineOutput]:
    """The thigh's samples in messages of ``block_s``, ``process`` after each."""
    assert rec.thigh_acc_g is not None
    t = rec.t_s
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + 1 + block_s, block_s))
    outs = []
    for a, c in itertools.pairwise(cuts):
        if c > a:
            eng.accept(SampleBlock("a", "x", Role.THIGH, t[a:c], acc_g=rec.thigh_acc_g[a:c]))
            outs.append(eng.process())
    return outs


def _thigh_calls(eng: LiveEngine, rec: Recording) -> list[Any]:
    return [_fingerprint(o) for o in _thigh_outputs(eng, rec, BLOCK_S)]


def test_the_status_comes_once_a_step_while_the_calibration_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Sitting before the first walk, sent sample by sample: the engine holds every
    second until it can calibrate, and gave the status at each of the 4,000 calls,
    each a retained MQTT state message (now once a step); the seconds, alerts and
    events are the same call by call."""
    rec = _sit_first()
    eng = LiveEngine({Role.THIGH})
    quick = _thigh_calls(eng, rec)
    assert eng.calibrated
    with monkeypatch.context() as m:  # a status at every call, as before
        stub = lambda e, _: EngineOutput(status=e.status())  # noqa: E731
        m.setattr(live_engine, "held_status", stub, raising=False)
        every = _thigh_calls(LiveEngine({Role.THIGH}), rec)
    held = [i for i, o in enumerate(every) if o[2] is not None and o[0] is None]
    assert len(held) > 3_000
    given = [i for i in held if quick[i][2] is not None]
    assert 400 / 10 - 5 <= len(given) <= 400 / 10 + 5, len(given)  # once a step
    for i, (a, b) in enumerate(zip(quick, every, strict=True)):
        assert (a[0], a[1], a[3], a[4], a[5]) == (b[0], b[1], b[3], b[4], b[5]), f"call {i}"
        assert a[2] is None or a[2] == b[2], f"call {i}"
        if i not in held:
            assert a[2] == b[2], f"call {i}"


def _emitted(eng: LiveEngine, rec: Recording, block_s: float) -> tuple[int, list[Any]]:
    """Outputs with seconds, and everything emitted joined (seconds, alerts, events)."""
    outs = [*_thigh_outputs(eng, rec, block_s), eng.process(flush=True)]
    decided = [o.seconds for o in outs if o.seconds is not None]
    joined = [
        np.concatenate([s.posture for s in decided]).tobytes(),
        np.concatenate([s.data for s in decided]).tobytes(),
        [a.to_dict() for o in outs for a in o.alerts],
        [e for o in outs for e in o.events],
    ]
    return len(decided), joined


def test_uncalibrated_seconds_are_released_a_step_at_a_time() -> None:
    """40 min of sitting and never a walk: after the 30 min hold the seconds are
    given as no data; they came one second at a time (each with the step's work
    and a status), now a step at a time, the same seconds, alerts and events."""
    rec = build([Part("sit", 2400)], seed=4, t0_s=T0).recording
    eng = LiveEngine({Role.THIGH})
    steps, got = _emitted(eng, rec, 1.0)
    assert not eng.calibrated
    every_second = LiveEngine({Role.THIGH}, live_params=LiveParams(step_s=1))
    seconds, want = _emitted(every_second, rec, 1.0)
    assert seconds > 500  # a second at a time
    assert steps <= 600 // 10 + 2
    assert got == want


def test_the_calibration_is_tried_once_a_minute_of_data_whatever_the_messages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """15 min of sitting before the first walk, sent in 0.1 s messages: once ten
    minutes were held, the calibration was tried at every message (about 3,000
    tries, each the rules over the held window; a day that starts seated cost ten
    times the CPU of a whole desk day). Now once a minute of data; the held
    seconds are still given as sitting once the walk calibrates."""
    tries: list[float] = []
    inner = live_calibration.calibrate_window

    def counted(rec: Any, params: Any = None) -> Any:
        tries.append(1.0)
        return inner(rec, params)

    monkeypatch.setattr(live_calibration, "calibrate_window", counted)
    rec = build([Part("sit", 900), Part("walk", 120), Part("sit", 60)], seed=4, t0_s=T0).recording
    eng = LiveEngine({Role.THIGH})
    _steps, (posture, _data, _alerts, _events) = _emitted(eng, rec, 0.1)
    assert eng.calibrated
    assert len(tries) <= (900 + 120) // 60 + 2, len(tries)
    sitting = np.frombuffer(posture, dtype=np.int8)[:900] == Posture.SITTING
    assert np.count_nonzero(sitting) > 880
