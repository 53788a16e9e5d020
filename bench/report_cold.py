"""The cold ``sitload report`` for bench/speed_report.py: a new Python process
(``python -m collector.cli -q report …``: interpreter start, imports, settings,
SQLite, review, page), timed in rounds against the same-run baseline
``python -c pass`` and, with ``--compare DIR``, the same command with the sitload code
in DIR (e.g. ``git archive OLD | tar -x -C DIR``), alternating. Target: ≤ 1.5 s for
90 days of one person.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLD_TARGET_S = 1.5


def cold_args(db: Path, user: str, first: dt.date, last: dt.date, tz: str) -> list[str]:
    """``sitload report`` as a new process (``python -m collector.cli``)."""
    out = db.with_suffix(".html")
    return [
        sys.executable, "-m", "collector.cli", "-q", "report", "--from", first.isoformat(),
        "--to", last.isoformat(), "--user", user, "--tz", tz, "--history", f"sqlite://{db}",
        "--out", str(out),
    ]  # fmt: skip


def timed_process(args: list[str], code: Path) -> float:
    """Wall clock of the process ``args`` run with the sitload code in ``code``."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    t0 = time.perf_counter()
    run = subprocess.run(args, capture_output=True, text=True, cwd=code, env=env, check=False)
    elapsed = time.perf_counter() - t0
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(args[:5])} … failed: {run.stderr.strip()[-500:]}")
    return elapsed


def cold_command(
    db: Path,
    user: str,
    first: dt.date,
    last: dt.date,
    tz: str,
    rounds: int,
    compare: Path | None,
) -> float:
    """The cold ``sitload report`` (best of ``rounds``), alternating in each round with
    ``python -c pass`` and (``compare``) the same command with the code in DIR; prints
    best and median of each and their ratios. Returns this code's best."""
    args = cold_args(db, user, first, last, tz)
    runs: dict[str, list[float]] = {"now": [], "pass": [], "compare": []}
    timed_process(args, REPO)  # warm the page cache and the byte-code
    if compare is not None:
        timed_process(args, compare)
    for _ in range(rounds):  # alternating: the machine's load hits all alike
        runs["pass"].append(timed_process([sys.executable, "-c", "pass"], REPO))
        runs["now"].append(timed_process(args, REPO))
        if compare is not None:
            runs["compare"].append(timed_process(args, compare))
    now, base = runs["now"], runs["pass"]
    print(
        f"cold `sitload report` (new process: start-up, imports, settings, SQLite, review, "
        f"HTML), {rounds} rounds: best {min(now):.2f} s, median {statistics.median(now):.2f} s"
    )
    print(
        f"  baseline `python -c pass`, same rounds: best {min(base):.3f} s, median "
        f"{statistics.median(base):.3f} s -> report - interpreter start: best "
        f"{min(now) - min(base):.2f} s; report / `python -c pass` = {min(now) / min(base):.0f}x"
    )
    if compare is not None:
        old = runs["compare"]
        print(
            f"  the same command with the code in {compare}: best {min(old):.2f} s, median "
            f"{statistics.median(old):.2f} s -> this code / that = {min(now) / min(old):.2f}x "
            f"(best), {statistics.median(now) / statistics.median(old):.2f}x (median)"
        )
    return min(now)


def cold_verdict(cold: float) -> None:
    print(
        f"target <= {COLD_TARGET_S:g} s (cold `sitload report` process, SQLite, best): "
        f"{'met' if cold <= COLD_TARGET_S else 'NOT met'} ({cold:.2f} s)"
    )
