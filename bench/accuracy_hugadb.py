"""Accuracy on HuGaDB: real strapped thigh IMUs, sit/stand, walking, stairs, cycling.

Each subject's recording days (files of one subject and date, in recording order,
joined with a few seconds of no data between files) are analysed thigh by thigh
(right and left: they are mounted differently), like a day from one sensor. Every
labelled second is scored:

* sitting vs upright (sitting = seated or riding seated; upright = upright or riding
  standing) over seconds whose label run lasts at least 10 s ("stable"); the short
  sit/stand sequences of the ``various`` files, which the 10 s rule smooths by
  design, are reported apart ("short");
* bicycling: the share of its seconds classified ``riding_*``;
* walking, running, stairs: the share classified ``riding_*`` (must stay < 1 %).

Then every file alone (one thigh at a time): a result is *inverted* when most of its
stable seconds come out on the wrong side; a refusal (calibration error) is allowed.

    python bench/accuracy_hugadb.py [--data ../shared/data/hugadb-dev] [--files]

Targets (issue 11): sitting-vs-upright ≥ 98 % mean and ≥ 97 % on every subject;
bicycling ≥ 90 % riding; walking/stairs/running < 1 % riding; zero inverted files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.hugadb_scoring import DayScore, score_days, score_files


def _pct(num: float, den: float) -> str:
    return f"{100.0 * num / den:6.2f}" if den else "     -"


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=root.parent / "shared" / "data" / "hugadb-dev")
    ap.add_argument("--files", action="store_true", help="also list every one-file run")
    args = ap.parse_args()
    paths = sorted(args.data.glob("HuGaDB_v1_*.tsv*"))
    if not paths:
        print(f"no HuGaDB files in {args.data}", file=sys.stderr)
        return 2
    days = score_days(paths)
    by_subject: dict[str, list[DayScore]] = {}
    for d in days:
        by_subject.setdefault(d.subject, []).append(d)
    print("HuGaDB, days joined (both thighs); % of labelled seconds of the days analysed")
    print(
        f"{'subject':>7} {'stable n':>8} {'sit/upr':>7} {'short n':>7} {'short':>6}"
        f" {'bike n':>6} {'riding':>6} {'step n':>6} {'step riding':>11} {'nonwear':>7}"
        f"  refused (thigh-days without walking)"
    )
    means = []
    for subject, all_ds in sorted(by_subject.items()):
        ds = [d for d in all_ds if not d.refused]
        refused = [f"{d.day}:{d.side}" for d in all_ds if d.refused]
        st_n = sum(d.stable_n for d in ds)
        st_ok = sum(d.stable_ok for d in ds)
        sh_n = sum(d.short_n for d in ds)
        sh_ok = sum(d.short_ok for d in ds)
        bk_n = sum(d.bike_n for d in ds)
        bk_r = sum(d.bike_riding for d in ds)
        sp_n = sum(d.step_n for d in ds)
        sp_r = sum(d.step_riding for d in ds)
        nw = sum(d.nonwear for d in ds)
        lab = sum(d.labelled_n for d in ds)
        if st_n:
            means.append(st_ok / st_n)
        print(
            f"{subject:>7} {st_n:>8} {_pct(st_ok, st_n):>7} {sh_n:>7} {_pct(sh_ok, sh_n):>6}"
            f" {bk_n:>6} {_pct(bk_r, bk_n):>6} {sp_n:>6} {_pct(sp_r, sp_n):>11}"
            f" {_pct(nw, lab):>7}  {' '.join(refused)}"
        )
    if means:
        print(f"sitting-vs-upright (stable): mean {100 * sum(means) / len(means):.2f} %, "
              f"worst subject {100 * min(means):.2f} %")  # fmt: skip
    per_act: dict[str, list[int]] = {}
    for d in days:
        for name, (n, riding, upright) in d.per_activity.items():
            acc = per_act.setdefault(name, [0, 0, 0])
            acc[0] += n
            acc[1] += riding
            acc[2] += upright
    print("\nper activity: seconds, % riding_*, % upright/riding_standing")
    for name, (n, riding, upright) in sorted(per_act.items()):
        print(f"  {name:>15} {n:>7} {_pct(riding, n):>7} {_pct(upright, n):>7}")

    files = score_files(paths)
    inverted = [f for f in files if f.verdict == "inverted"]
    refused = [f for f in files if f.verdict == "refused"]
    low = [f for f in files if f.verdict == "low-confidence"]
    print(
        f"\none file at a time ({len(files)} runs): {len(inverted)} inverted, "
        f"{len(refused)} refused, {len(low)} marked low-confidence, "
        f"{len(files) - len(inverted) - len(refused) - len(low)} right"
    )
    for f in files:
        if args.files or f.verdict == "inverted":
            print(f"  {f.name:<42} {f.verdict:<15} {f.detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
