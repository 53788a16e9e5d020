"""Where a live step's CPU goes, against the budget of issue 14's target (live CPU per
second of data at most 5 × one batch pass).

Runs the live engine at real-time steps (10 s) over simulated desk and cyclist days
(thigh + trunk at 50 Hz, fed in 1 s blocks as sensors give them, as
``bench/accuracy_live.py`` does), with a timer around each stage of a step, and
prints per profile: the milliseconds per step of each stage (nested stages are
inside their parents: ``decide_window`` holds ``analyze_window``, which holds
``analyze_epochs``, which holds ``classify_thigh``), the numpy and Python calls of
a whole step (``cProfile``'s count, in a second run), and the budget: five times
the batch pipeline's CPU over the same data (the least of five runs), divided by
the steps.

Then the least a step can cost while it evaluates the posture rules at all, in
numpy and the standard library (what ``analytics/`` may use): taking the sensors'
blocks in (the engine's ``accept``) and one evaluation of the rules on a window of
only 20 s, less than a step's new seconds and look-ahead (``analyze_epochs`` with
the day's calibration, at windows spread over the day, median). A step that
skipped the rules would need another exact way to know the new seconds' posture.
The ``process`` calls that make no second final are printed beside (the service
calls it after each message; calling it less often would save them).

Last, the same day with a fast replay's longest steps (``LiveParams.replay_step_s``,
600 s): what a step costs no longer counts, and what is left is the work every
second of data needs whatever the step, chiefly taking the blocks in and the alert
policy, which walks the seconds one by one (the batch pass has no alert policy).

    python bench/live_step_cost.py [--hours 2] [--seed 1] [--profiles desk,cyclist]
                                   [--block-s 1]

``--block-s``: the sensors' messages, in seconds of samples each (0.02: one sample
a message at 50 Hz, as a WitMotion sends; the service calls ``process`` after
each message).

The timers add a few microseconds a call: the total is the engine's CPU per step
with them (``bench/accuracy_live.py`` measures it without).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from analytics.epochs import with_trunk_deviation
from analytics.live import LiveParams
from analytics.live_steps import EngineOutput
from analytics.pipeline import analyze_epochs, analyze_recording
from analytics.records import BoolArray, Epochs, FloatArray, Recording
from bench.accuracy_live import CPU_TARGET, batch_cpu_s, live_roles, run_live, sensor_blocks
from collector.service.engine import LiveEngine
from collector.sources.simulator import Profile, simulate

FLOOR_WINDOW_S = 20
"""The posture rules' window in the floor: shorter than any step's (10 s of new
seconds and the 15 s look-ahead). The rules cost per numpy call far more than per
second: a live window's 685 s cost about 1.4 times as much as 20 s."""

STAGES = (
    ("analytics.live_engine", "LiveEngine._process", "a step (all of it)"),
    ("analytics.live", "decide_window", "  classify the window, keep what is decided"),
    ("analytics.live_window", "analyze_window", "    the window's features and posture"),
    ("analytics.pipeline", "analyze_epochs", "      the posture rules"),
    ("analytics.posture", "classify_thigh", "        the thigh's rules"),
    ("analytics.live", "evidence_of", "    the calibration evidence"),
    ("analytics.live_engine", "LiveEngine._window_samples", "  the window's samples"),
    ("analytics.live_engine", "LiveEngine._walk", "  exposure, alerts, totals"),
    ("analytics.live_engine", "LiveEngine._learn", "  calibration learning"),
)


@contextmanager
def timed(stages: dict[str, float]) -> Iterator[None]:
    """Each stage's function wrapped with a timer adding to ``stages`` while inside."""
    undo: list[Callable[[], None]] = []
    try:
        for module_name, qualname, _ in STAGES:
            owner: Any = importlib.import_module(module_name)
            *path, name = qualname.split(".")
            for part in path:
                owner = getattr(owner, part)
            original = getattr(owner, name)
            importers = [
                m for m in list(sys.modules.values()) if getattr(m, name, None) is original
            ]
            wrapped = _timer(original, qualname, stages)
            setattr(owner, name, wrapped)
            for m in importers:
                setattr(m, name, wrapped)
            undo.append(functools.partial(_restore, owner, name, original, importers))
        yield
    finally:
        for restore in reversed(undo):
            restore()


def _timer(fn: Callable[..., Any], key: str, stages: dict[str, float]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            stages[key] = stages.get(key, 0.0) + time.process_time() - start

    return run


def _restore(owner: Any, name: str, original: Any, importers: list[Any]) -> None:
    setattr(owner, name, original)
    for m in importers:
        setattr(m, name, original)


def calls_per_step(profile: cProfile.Profile, steps: int) -> float:
    """Function calls (Python and C, numpy's included) of the whole run, per step."""
    stats: Any = pstats.Stats(profile)
    return float(stats.total_calls) / steps


def intake_ms(rec: Recording, steps: int, block_s: float) -> tuple[float, float]:
    """CPU ms per step of taking the sensors' blocks in (``accept``), and of the
    ``process`` calls that make no second final (the service calls it after each
    message: the calls that do make seconds final are taken out)."""
    eng = LiveEngine(live_roles(rec))
    blocks = sensor_blocks(rec, block_s)
    inner = eng._process
    accept_s = work_s = 0.0

    def timed(wm: float | None, *, flush: bool = False) -> EngineOutput:
        nonlocal work_s
        start = time.process_time()
        out = inner(wm, flush=flush)
        if out.seconds is not None:
            work_s += time.process_time() - start
        return out

    setattr(eng, "_process", timed)  # noqa: B010 (a method replaced on one instance)
    start = time.process_time()
    for messages in blocks:
        begin = time.process_time()
        for message in messages:
            eng.accept(message)
        accept_s += time.process_time() - begin
        eng.process()
    polling_s = time.process_time() - start - accept_s - work_s
    return accept_s / steps * 1e3, polling_s / steps * 1e3


def rules_once_ms(rec: Recording, repeat: int = 200) -> float:
    """CPU ms of one evaluation of the posture rules on a window of
    :data:`FLOOR_WINDOW_S`, with the day's calibration: the median over windows
    every 10 minutes of the day."""
    a = analyze_recording(rec)
    assert a.epochs is not None
    costs = []
    for lo in range(0, a.epochs.n - FLOOR_WINDOW_S, 600):
        ep = a.epochs.part(lo, lo + FLOOR_WINDOW_S)
        trunk_std_g = with_trunk_deviation(rec, ep, np.ones(ep.n, dtype=np.bool_)).trunk_std_g
        assert trunk_std_g is not None

        def deviation(e: Epochs, seconds: BoolArray, std: FloatArray = trunk_std_g) -> Epochs:
            return replace(e, trunk_std_g=np.where(seconds, std, np.nan))

        start = time.process_time()
        for _ in range(repeat):
            analyze_epochs(ep, deviation, None, a.thigh, a.trunk)
        costs.append((time.process_time() - start) / repeat * 1e3)
    return float(np.median(costs))


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profiles", default="desk,cyclist")
    ap.add_argument("--block-s", type=float, default=1.0)
    args = ap.parse_args()
    for name in args.profiles.split(","):
        if name not in ("desk", "cyclist"):
            ap.error(f"unknown profile {name!r}; use desk and/or cyclist")
        profile: Profile = "desk" if name == "desk" else "cyclist"
        rec = simulate(profile, args.hours, args.seed).recording
        batch_s = batch_cpu_s(rec)
        stages: dict[str, float] = {}
        with timed(stages):
            live = run_live(rec, args.block_s)
        steps = max(1, round(live.posture.shape[0] / LiveParams().step_s))
        prof = cProfile.Profile()
        prof.enable()
        run_live(rec, args.block_s)
        prof.disable()
        calls = calls_per_step(prof, steps)
        budget_ms = CPU_TARGET * batch_s / steps * 1e3
        print(
            f"{profile}, {args.hours:g} h, seed {args.seed}: {steps} steps of "
            f"{LiveParams().step_s} s; batch pass "
            f"{batch_s:.2f} s CPU; budget for {CPU_TARGET:g}x: {budget_ms:.3f} ms a step"
        )
        print(f"  {'stage':46s} {'ms/step':>8}")
        for _, qualname, label in STAGES:
            print(f"  {label:46s} {stages.get(qualname, 0.0) / steps * 1e3:8.3f}")
        print(f"  function calls a step (numpy's and Python's, cProfile): {calls:.0f}")
        (accept_ms, polling_ms), rules_ms = intake_ms(rec, steps, args.block_s), rules_once_ms(rec)
        rules = f"the posture rules once, on a {FLOOR_WINDOW_S} s window"
        floor_ms = accept_ms + rules_ms
        print("  the least a step that evaluates the rules costs (numpy and the standard library):")
        print(f"    {'taking the blocks in (accept)':46s} {accept_ms:8.3f}")
        print(f"    {rules:46s} {rules_ms:8.3f}")
        print(
            f"    {'together':46s} {floor_ms:8.3f}  = {floor_ms / budget_ms:.1f} x the budget "
            f"for {CPU_TARGET:g}x"
        )
        print(
            f"    (besides: process() calls that make nothing final {polling_ms:.3f} ms a step; "
            "the service calls it after each message)"
        )
        long_stages: dict[str, float] = {}
        long_s = LiveParams().replay_step_s
        speed = long_s / LiveParams().replay_step_wall_s  # the longest steps a replay takes
        with timed(long_stages):
            start = time.process_time()
            run_live(rec, args.block_s, speed)
            long_total_s = time.process_time() - start
        per = steps * 1e-3  # seconds -> ms per step of 10 s of data
        walk_ms = long_stages.get("LiveEngine._walk", 0.0) / per
        print(
            f"  at steps of {long_s} s (a fast replay's), per {LiveParams().step_s} s of data: "
            f"all of it {long_total_s / per:.3f} ms = {long_total_s / per / budget_ms:.1f} x "
            f"the budget; exposure, alerts, totals {walk_ms:.3f} ms, taking the blocks in "
            f"{accept_ms:.3f} ms: {(walk_ms + accept_ms) / budget_ms:.1f} x the budget"
        )


if __name__ == "__main__":
    main()
