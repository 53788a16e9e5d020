"""How many simulated 50 Hz people one process keeps up with in real time (issue 14).

Each person is one :class:`LiveEngine` (a thigh sensor, ``--trunk`` adds a trunk
sensor) that already holds its context window (11 min of data fed beforehand, not
timed) and then gets its data in chunks of ``--chunk`` seconds (1 s blocks, then one
``process``), as a gateway that forwards every few seconds would. ``--engines``
distinct people are really run and every chunk's CPU time is measured (thread CPU
time, so other processes on the machine do not count).

Then one core serving ``N`` people is simulated from those measured costs: person
``i``'s chunks arrive every ``--chunk`` s, the people staggered evenly over one
chunk (sensors switched on at different moments), each person's costs being those of
engine ``i mod --engines``; the core takes the chunks in arrival order, one at a
time. The lag of a chunk = when the core finished it − when its newest sample was
due. Printed per N: the core's load (CPU s per s of real time: must stay < 1) and
the lag p50 / p99 / max, with p99 as a ratio of the real-time budget (1 s).

Target: ≥ 2,000 people with p99 lag < 1 s.

    python bench/speed_people.py [--engines 40] [--seconds 600] [--people 500,1000,2000,4000]
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.live import LiveParams
from analytics.records import FloatArray, Recording
from collector.service.engine import LiveEngine
from collector.sources.messages import Role, SampleBlock
from collector.sources.simulator import simulate

BUDGET_S = 1.0
PEOPLE_TARGET = 2000


def blocks_of(rec: Recording, roles: list[Role], lo_s: float, hi_s: float) -> list[SampleBlock]:
    """The 1 s blocks of data time ``[lo_s, hi_s)`` of every sensor."""
    out = []
    edges = np.arange(lo_s, hi_s + 0.5, 1.0)
    cuts = np.searchsorted(rec.t_s, edges)
    for a, b in itertools.pairwise(cuts.tolist()):
        if b <= a:
            continue
        for role in roles:
            col = rec.thigh_acc_g if role == Role.THIGH else rec.trunk_acc_g
            assert col is not None
            out.append(SampleBlock("sim", "replay-imu", role, rec.t_s[a:b], acc_g=col[a:b]))
    return out


def measure(engines: int, seconds: float, chunk_s: float, trunk: bool) -> tuple[FloatArray, int]:
    """CPU seconds of each chunk (engines × chunks), and the memory per person in
    bytes (the arrays its engine holds at the end: sample buffers, kept seconds)."""
    live = LiveParams()
    prefeed_s = live.context_s + live.lag_s + 2 * live.step_s
    hours = (prefeed_s + seconds + 60.0) / 3600.0
    roles = [Role.THIGH, Role.TRUNK] if trunk else [Role.THIGH]
    n_chunks = math.floor(seconds / chunk_s)
    costs = np.zeros((engines, n_chunks))
    held = 0
    for e in range(engines):
        rec = simulate("desk", hours, 500 + e, trunk=trunk).recording
        t0 = math.floor(float(rec.t_s[0]))
        engine = LiveEngine(set(roles))
        for block in blocks_of(rec, roles, t0, t0 + prefeed_s):
            engine.accept(block)
            engine.process()
        for c in range(n_chunks):
            lo = t0 + prefeed_s + c * chunk_s
            blocks = blocks_of(rec, roles, lo, lo + chunk_s)
            start = time.thread_time()
            for block in blocks:
                engine.accept(block)
            engine.process()
            costs[e, c] = time.thread_time() - start
        held += array_bytes(engine)
        del rec
    return costs, held // engines


def array_bytes(obj: object, depth: int = 4) -> int:
    """Bytes of the numpy arrays an object holds (its attributes, dicts, lists and
    tuples, a few levels down; views count their base once)."""
    seen: set[int] = set()

    def walk(x: object, d: int) -> int:
        if isinstance(x, np.ndarray):
            base = x if x.base is None else x.base
            if id(base) in seen or not isinstance(base, np.ndarray):
                return 0
            seen.add(id(base))
            return int(base.nbytes)
        if d == 0 or isinstance(x, (str, bytes, int, float)):
            return 0
        if isinstance(x, dict):
            return sum(walk(v, d - 1) for v in x.values())
        if isinstance(x, (list, tuple)):
            return sum(walk(v, d - 1) for v in x)
        slots = getattr(type(x), "__slots__", ())
        names = [*getattr(x, "__dict__", {}).keys(), *slots]
        return sum(walk(getattr(x, n, None), d - 1) for n in names)

    return walk(obj, depth)


def serve(costs: FloatArray, people: int, chunk_s: float) -> tuple[float, FloatArray]:
    """One core serving ``people`` (costs of engine ``i mod engines``): its load and
    every chunk's lag."""
    engines, n_chunks = costs.shape
    person = np.arange(people)
    due = (np.arange(n_chunks)[None, :] + 1) * chunk_s + (person * chunk_s / people)[:, None]
    work = costs[person % engines]
    order = np.argsort(due, axis=None, kind="stable")
    arrive, cost = due.reshape(-1)[order], work.reshape(-1)[order]
    done = np.empty_like(arrive)
    free = 0.0
    for k in range(arrive.shape[0]):
        free = max(free, float(arrive[k])) + float(cost[k])
        done[k] = free
    span = float(arrive[-1] - arrive[0]) + chunk_s
    return float(cost.sum()) / span, done - arrive


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engines", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--chunk", type=float, default=10.0)
    ap.add_argument("--people", default="500,1000,2000,3000,4000")
    ap.add_argument("--trunk", action="store_true")
    args = ap.parse_args()
    costs, mem_b = measure(args.engines, args.seconds, args.chunk, args.trunk)
    sensors = "thigh + trunk" if args.trunk else "thigh"
    per = costs.reshape(-1) * 1e3
    print(
        f"{args.engines} engines ({sensors}, 50 Hz, context full), {args.seconds:g} s each in "
        f"chunks of {args.chunk:g} s: CPU per chunk p50 {np.percentile(per, 50):.2f} ms, "
        f"p99 {np.percentile(per, 99):.2f} ms, max {per.max():.2f} ms; "
        f"CPU per second of data {costs.sum() / (costs.size * args.chunk) * 1e3:.3f} ms; "
        f"memory per person ≈ {mem_b / 1e6:.1f} MB"
    )
    print(f"one core serving N people, staggered over {args.chunk:g} s (budget: lag < 1 s)")
    print(f"{'N':>6} {'load':>6} {'lag p50':>9} {'lag p99':>9} {'lag max':>9} {'p99/budget':>11}")
    best = 0
    for n in (int(x) for x in args.people.split(",")):
        load, lags = serve(costs, n, args.chunk)
        p50, p99, mx = np.percentile(lags, 50), np.percentile(lags, 99), lags.max()
        ok = load < 1.0 and p99 < BUDGET_S
        best = max(best, n) if ok else best
        print(
            f"{n:6d} {load:6.2f} {p50:8.3f}s {p99:8.3f}s {mx:8.3f}s {p99 / BUDGET_S:10.2f}x"
            f"{'' if ok else '  (falls behind)'}"
        )
    ceiling = (args.chunk / (costs.mean())) if costs.mean() > 0 else math.inf
    print(
        f"sustained: {best} of the tried N (target ≥ {PEOPLE_TARGET}); the core's ceiling "
        f"(load 1): ≈ {ceiling:,.0f} people"
    )


if __name__ == "__main__":
    main()
