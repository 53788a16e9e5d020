"""Live posture against the batch pipeline and the simulator's truth.

The live engine classifies a sliding window with a fixed calibration and a 15 s
look-ahead (analytics/live.py); the batch pipeline sees the whole day. On simulated
desk days (thigh + trunk, random mounting) this prints, per seed: agreement of the
live per-second posture with the truth and with the batch pipeline, the sitting-time
error against the truth, and the live engine's time against the batch pipeline's on
the same data (the baseline, measured in the same run).

    python bench/accuracy_live.py [--hours 4] [--seeds 1,2,3]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from analytics.pipeline import analyze_recording
from analytics.records import Posture
from collector.service.engine import LiveEngine
from collector.sources.messages import Role, SampleBlock
from collector.sources.simulator import simulate


def live_posture(rec: object) -> tuple[int, np.ndarray, float]:
    from analytics.records import Recording

    assert isinstance(rec, Recording)
    eng = LiveEngine({Role.THIGH, Role.TRUNK})
    t = rec.t_s
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + 2, 1.0))
    parts = []
    start = time.perf_counter()
    for a, c in itertools.pairwise(cuts):
        if c <= a:
            continue
        for role, col in ((Role.THIGH, rec.thigh_acc_g), (Role.TRUNK, rec.trunk_acc_g)):
            assert col is not None
            ok = np.isfinite(col[a:c]).all(axis=1)
            if ok.any():
                eng.accept(SampleBlock("d", "sim", role, t[a:c][ok], acc_g=col[a:c][ok]))
        out = eng.process()
        if out.seconds is not None:
            parts.append(out.seconds)
    out = eng.process(flush=True)
    if out.seconds is not None:
        parts.append(out.seconds)
    elapsed = time.perf_counter() - start
    return parts[0].t0_s, np.concatenate([p.posture for p in parts]), elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=4.0)
    ap.add_argument("--seeds", default="1,2,3")
    args = ap.parse_args()
    print(f"simulated desk days of {args.hours:g} h, thigh + trunk at 50 Hz, random mounting")
    print(
        f"{'seed':>4}  {'vs truth':>9}  {'vs batch':>9}  {'sitting err':>11}  "
        f"{'live s':>7}  {'batch s':>7}  {'live/batch':>10}"
    )
    for seed in (int(x) for x in args.seeds.split(",")):
        sim = simulate("desk", args.hours, seed)
        t0, live, live_s = live_posture(sim.recording)
        start = time.perf_counter()
        batch = analyze_recording(sim.recording).timeline
        batch_s = time.perf_counter() - start
        truth = sim.truth
        lo = t0 - int(truth.t0_s)
        n = min(live.shape[0], truth.n - lo)
        tr = truth.posture[lo : lo + n]
        bt = batch.posture[t0 - int(batch.t0_s) :][:n]
        lv = live[:n]
        worn = tr != Posture.NONWEAR
        agree_truth = float(np.mean(lv[worn] == tr[worn]))
        agree_batch = float(np.mean(lv == bt))
        sit_live = int(np.count_nonzero(lv == Posture.SITTING))
        sit_true = int(np.count_nonzero(tr == Posture.SITTING))
        err = (sit_live - sit_true) / max(sit_true, 1)
        print(
            f"{seed:>4}  {agree_truth * 100:8.2f}%  {agree_batch * 100:8.2f}%  "
            f"{err * 100:+10.2f}%  {live_s:7.2f}  {batch_s:7.2f}  {live_s / batch_s:9.1f}×"
        )
    print(
        "agreement vs truth over worn seconds; the live engine re-classifies an 11-minute "
        "window every 10 s, so it costs more CPU than one batch pass over the day"
    )


if __name__ == "__main__":
    main()
