"""Accuracy: a simulated cyclist's thigh recording analysed without a cadence, and with
the cadence a bike computer would give (one whole-rpm record a second on the Unix
clock, joined by ``analytics.ride.cadence_on_clock`` as ``sitload analyze thigh.csv
--ride ride.fit`` does), against the simulator's truth.

    python bench/accuracy_ride_cadence.py [--hours 3] [--seeds 1 2 3 4 5]

Per seed: posture agreement over worn seconds, riding found (share of the truth's
riding seconds classified riding), seated/standing: share of the truth's riding
seconds classified with the truth's position (a stand taken for upright is wrong).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analytics.pipeline import analyze_recording  # noqa: E402
from analytics.records import FloatArray, Posture, Timeline  # noqa: E402
from analytics.ride import RideRecords, cadence_on_clock, ride_seconds  # noqa: E402
from collector.sources.simulator import simulate  # noqa: E402


def scores(tl: Timeline, truth: Timeline) -> tuple[float, float, float]:
    lo, hi = max(tl.t0_s, truth.t0_s), min(tl.t0_s + tl.n, truth.t0_s + truth.n)
    p = tl.posture[lo - tl.t0_s : hi - tl.t0_s]
    q = truth.posture[lo - truth.t0_s : hi - truth.t0_s]
    worn = q != Posture.NONWEAR
    riding = q >= Posture.RIDING_SEATED
    return (
        float(np.mean(p[worn] == q[worn])),
        float(np.mean(p[riding] >= Posture.RIDING_SEATED)),
        float(np.mean(p[riding] == q[riding])),
    )


def fit_cadence(t_s: FloatArray, cadence: FloatArray) -> FloatArray:
    t0 = int(t_s[0])
    sec = (t_s - t0).astype(np.int64)
    per_s = np.bincount(sec, weights=cadence) / np.maximum(np.bincount(sec), 1)
    n = per_s.shape[0]
    ride = RideRecords(
        t_s=t0 + np.arange(n, dtype=np.float64),
        speed_mps=np.full(n, 8.0),
        cadence_rpm=np.round(per_s),
        power_w=np.full(n, np.nan),
        timer_t_s=np.array([t0, t0 + n], dtype=np.float64),
        timer_on=np.array([True, False]),
    )
    return cadence_on_clock(ride_seconds(ride), t_s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=3.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = ap.parse_args()
    print("seed  cadence   agreement  riding found  seated/standing")
    for seed in args.seeds:
        sim = simulate("cyclist", args.hours, seed, fs_hz=25.0, trunk=False)
        rec = sim.recording
        assert rec.cadence_rpm is not None
        for name, cad in (("none", None), ("FIT", fit_cadence(rec.t_s, rec.cadence_rpm))):
            tl = analyze_recording(dataclasses.replace(rec, cadence_rpm=cad)).timeline
            a, r, s = scores(tl, sim.truth)
            print(f"{seed:4d}  {name:8} {a * 100:9.1f} % {r * 100:11.1f} % {s * 100:14.1f} %")


if __name__ == "__main__":
    main()
