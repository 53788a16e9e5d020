"""The live engine on real recordings nobody on the project made: HuGaDB (strapped
thigh IMUs, real bicycling) and WISDM (pocket phones), fed as sensors would (1 s
blocks, real-time steps), scored like the batch pipeline (``bench/accuracy_hugadb.py``,
``bench/accuracy_wisdm.py``) and against it: issue 11's targets on the path the
person hears the prompts from.

    python bench/accuracy_live_real.py [--data ../shared/data]

HuGaDB: the stable sitting / upright seconds per subject (days the batch pipeline
can calibrate), bicycling read as riding, stepping read as riding, and live = batch
per second. WISDM: each subject's simulated day of real segments
(``bench.accuracy_wisdm.build_day``), sitting-vs-upright agreement and sitting-time
error, batch and live.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.calibration_errors import CalibrationError
from analytics.pipeline import analyze_thigh
from analytics.records import Int8Array, Posture, Recording
from analytics.summary import agreement
from bench.accuracy_live import run_live
from bench.accuracy_wisdm import build_day
from bench.hugadb_scoring import SIDES, DayScore, day_labels, score_posture
from collector.recordings.hugadb import HugadbFile, join_day, read_hugadb, recording_days
from collector.recordings.wisdm import read_wisdm_segments

T0_S = 1_795_420_800.0
"""HuGaDB's days start at 0 s; the live engine gets them at a Monday 08:00 UTC."""


def live_posture(rec: Recording, n: int) -> Int8Array:
    """The live engine's posture of the ``n`` seconds from ``rec``'s first (non-wear
    where it emitted none)."""
    first_s = int(np.floor(rec.t_s[0]))
    live = run_live(rec)
    out = np.full(n, Posture.NONWEAR, dtype=np.int8)
    lo = live.t0_s - first_s
    k = min(n - lo, live.posture.shape[0])
    out[lo : lo + k] = live.posture[:k]
    return out


def hugadb_day(files: list[HugadbFile], side: str, gap_s: float = 5.0) -> tuple[Recording, int]:
    """One thigh of a HuGaDB day (its files joined with ``gap_s`` between) as the live
    engine gets it, from :data:`T0_S`, and its length in seconds."""
    rec = join_day(files, side, gap_s)
    rec = Recording(t_s=rec.t_s + T0_S, thigh_acc_g=rec.thigh_acc_g)
    return rec, int(np.floor(rec.t_s[-1] - T0_S)) + 1


@dataclass(frozen=True)
class HugadbLive:
    batch: list[DayScore]
    live: list[DayScore]
    same_s: int
    """Seconds where live = batch."""
    n_s: int


def hugadb_live(paths: list[Path], gap_s: float = 5.0) -> HugadbLive:
    """Every day and thigh of ``paths`` the batch pipeline calibrates, scored for
    both."""
    batch: list[DayScore] = []
    live: list[DayScore] = []
    same = total = 0
    for (subject, day), day_paths in recording_days(paths).items():
        files = [read_hugadb(p) for p in day_paths]
        for side in SIDES:
            rec, n = hugadb_day(files, side, gap_s)
            try:
                b = analyze_thigh(rec).timeline.posture[:n]
            except CalibrationError:
                continue
            lv = live_posture(rec, n)
            labels = day_labels(files, gap_s, n)
            for scores, posture in ((batch, b), (live, lv)):
                scores.append(DayScore(subject, day, side))
                score_posture(labels, posture, scores[-1])
            same += int(np.count_nonzero(b == lv))
            total += n
    return HugadbLive(batch, live, same, total)


def per_subject(days: list[DayScore]) -> dict[str, float]:
    """Stable sitting / upright seconds right, per subject."""
    acc: dict[str, list[int]] = {}
    for d in days:
        a = acc.setdefault(d.subject, [0, 0])
        a[0] += d.stable_ok
        a[1] += d.stable_n
    return {s: ok / n for s, (ok, n) in sorted(acc.items()) if n}


def riding_share(days: list[DayScore], *, bike: bool) -> float:
    """Bicycling (``bike``) or stepping seconds read as riding."""
    hit = sum(d.bike_riding if bike else d.step_riding for d in days)
    return hit / max(1, sum(d.bike_n if bike else d.step_n for d in days))


WisdmRow = tuple[str, tuple[float, float], tuple[float, float]]


def wisdm_live(paths: list[Path]) -> list[WisdmRow]:
    """Per subject: (file, batch (agreement, sitting error), live (the same))."""
    rows = []
    for path in paths:
        built = build_day({s.activity: s for s in read_wisdm_segments(path)}, "D")
        if built is None:
            continue
        rec, truth = built
        batch = agreement(analyze_thigh(rec).timeline, truth)
        rows.append((path.name, batch, agreement(run_live(rec).timeline(), truth)))
    return rows


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=root.parent / "shared" / "data")
    args = ap.parse_args()
    h = hugadb_live(sorted((args.data / "hugadb-dev").glob("HuGaDB_v1_*.tsv*")))
    b, lv = per_subject(h.batch), per_subject(h.live)
    print("HuGaDB, stable sitting / upright seconds right (target: every subject >= 97 %,")
    print("mean >= 98 %), bicycling read as riding (>= 90 %), stepping as riding (< 1 %):")
    print(f"  {'subject':>7} {'batch':>8} {'live':>8}")
    for s in b:
        print(f"  {s:>7} {b[s] * 100:7.2f}% {lv[s] * 100:7.2f}%")
    mean_b, mean_l = np.mean(list(b.values())), np.mean(list(lv.values()))
    print(f"  {'mean':>7} {mean_b * 100:7.2f}% {mean_l * 100:7.2f}%")
    for label, scores in (("batch", h.batch), ("live", h.live)):
        print(
            f"  {label}: bicycling as riding {riding_share(scores, bike=True) * 100:.2f}%, "
            f"stepping as riding {riding_share(scores, bike=False) * 100:.2f}%"
        )
    print(f"  live = batch: {h.same_s / h.n_s * 100:.2f}% of {h.n_s} s")
    print("WISDM days (target: agreement >= 97 %, sitting time within ±2 %):")
    wisdm = sorted((args.data / "wisdm-dev").glob("data_*_accel_phone.txt"))
    for name, (ba, be), (la, le) in wisdm_live(wisdm):
        print(f"  {name}: batch {ba:7.2%} {be:+7.2%}   live {la:7.2%} {le:+7.2%}")


if __name__ == "__main__":
    main()
