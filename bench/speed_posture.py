"""Speed benchmark: 24 h of 50 Hz thigh + trunk data through calibration, posture and
hip angle, against a plain per-sample Python loop of the same algorithm in the same
run (bench/reference_loop.py). Prints samples/s, the ratio, and peak extra memory.

    python bench/speed_posture.py [--hours 24] [--fs 50] [--repeat 5]

Targets (issue 2): ≤ 0.25 s for the 24 h on one core; peak extra memory ≤ 10× the
input arrays.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.pipeline import analyze_thigh
from bench.reference_loop import analyze_loop
from collector.sources.simulator import simulate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--fs", type=float, default=50.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--loop-hours", type=float, default=None, help="hours for the loop baseline")
    args = ap.parse_args()

    sim = simulate("desk", args.hours, seed=2024, fs_hz=args.fs, trunk=True)
    rec = sim.recording
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    input_bytes = rec.t_s.nbytes + rec.thigh_acc_g.nbytes + rec.trunk_acc_g.nbytes
    n = rec.n
    print(
        f"input: {args.hours:g} h at {args.fs:g} Hz, thigh + trunk, {n:,} samples, "
        f"{input_bytes / 1e6:.0f} MB"
    )

    analyze_thigh(rec)  # warm-up
    times = []
    for _ in range(args.repeat):
        t1 = time.perf_counter()
        result = analyze_thigh(rec)
        times.append(time.perf_counter() - t1)
    best, median = min(times), float(np.median(times))

    tracemalloc.start()
    analyze_thigh(rec)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    t1 = time.perf_counter()
    loop_posture, loop_hip = analyze_loop(rec)
    loop_s = time.perf_counter() - t1

    same = np.array_equal(np.asarray(loop_posture, dtype=np.int8), result.timeline.posture)
    hip_diff = np.nanmax(np.abs(np.asarray(loop_hip) - result.timeline.hip_flexion_deg))
    print(
        f"numpy pipeline: best {best:.3f} s, median {median:.3f} s of {args.repeat} "
        f"-> {n / best / 1e6:.1f} M samples/s"
    )
    print(
        f"per-sample Python loop (same algorithm): {loop_s:.2f} s "
        f"-> {n / loop_s / 1e6:.2f} M samples/s"
    )
    print(f"ratio loop/numpy: {loop_s / best:.0f}x")
    print(f"peak extra memory: {peak / 1e6:.0f} MB = {peak / input_bytes:.2f}x the input arrays")
    print(
        f"same timeline as the loop: posture {'identical' if same else 'DIFFERENT'}, "
        f"max hip difference {hip_diff:.2e} deg"
    )
    verdict = best <= 0.25 and peak <= 10 * input_bytes and same
    print(f"target (<= 0.25 s for 24 h, <= 10x memory): {'met' if verdict else 'NOT met'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
