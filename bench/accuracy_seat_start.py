"""Seat-mat occupancy when a session starts seated (issue 11, finding 5), on the
generated 12-cell pressure chair of tests/analytics/seat_chair.py (empty cells ~200
counts, a sitter thousands, leaning forward a light load moved to the front row,
breathing and sway), batch and live.

    PYTHONPATH=. python bench/accuracy_seat_start.py [--seeds 1 2 3]

Prints the per-second occupancy accuracy and where the empty-seat baseline came from.
"""

from __future__ import annotations

import argparse
import inspect

import numpy as np

from analytics.live_steps import run_steps
from analytics.records import Posture
from analytics.seat_pressure import SeatParams, seat_seconds
from collector.service.engine import LiveEngine
from collector.sources.messages import Role, SampleBlock
from tests.analytics.seat_chair import CHAIR, chair_recording, truth_seconds

SITTING = [("upright", 240.0), ("lean", 120.0)] * 5
PLANS = {
    "starts seated": [*SITTING[:9], ("empty", 600.0), *SITTING, ("empty", 300.0), *SITTING],
    "never empty": SITTING * 2,
    "starts empty": [("empty", 600.0), *SITTING, ("empty", 300.0)],
}


def batch(plan: list[tuple[str, float]], seed: int, given: bool) -> tuple[float, str]:
    t, p, occupied, offset = chair_recording(np.random.default_rng(seed), plan)
    params = SeatParams()
    if given:
        params = SeatParams(empty_baseline=tuple(offset.tolist()))  # type: ignore[call-arg]
    out = seat_seconds(t, p, CHAIR, params)
    truth = truth_seconds(t, occupied, out.t0_s, out.n)
    return float(np.mean(out.occupied == truth)), getattr(out, "baseline_source", "-")


def live(plan: list[tuple[str, float]], seed: int) -> float:
    t, p, occupied, _ = chair_recording(np.random.default_rng(seed), plan)
    eng = LiveEngine({Role.SEAT}, seat_layout=CHAIR)
    steps = (
        [SampleBlock("mat", "x", Role.SEAT, t[k : k + 20], seat_p=p[k : k + 20])]
        for k in range(0, t.size, 20)
    )
    parts = run_steps(eng, steps)
    posture = np.concatenate([s.posture for s in parts])
    truth = truth_seconds(t, occupied, parts[0].t0_s, posture.size)
    return float(np.mean((posture == Posture.SITTING) == truth))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = ap.parse_args()
    can_give = "empty_baseline" in inspect.signature(SeatParams).parameters
    print(f"{'recording':14} {'seed':>4}  {'batch':>7} {'baseline':8}  {'given':>7}  {'live':>7}")
    for name, plan in PLANS.items():
        for seed in args.seeds:
            acc, source = batch(plan, seed, False)
            given = f"{batch(plan, seed, True)[0]:7.2%}" if can_give else "      -"
            print(f"{name:14} {seed:4d}  {acc:7.2%} {source:8}  {given}  {live(plan, seed):7.2%}")


if __name__ == "__main__":
    main()
