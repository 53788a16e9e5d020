"""Memory and speed benchmark of ``sitload run`` over simulated days: RSS per simulated
day and wall / CPU time of the whole service path (simulator → replay → live engine →
console and SQLite history), against the same run of another checkout.

    python bench/memory_run.py [--days 7] [--speed 1e6] [--no-trunk]
                               [--code DIR] [--baseline DIR]

Each run is a child process (``--code DIR`` runs the sitload code in DIR, e.g. this
worktree; ``--baseline DIR`` a checkout of an older commit, run first in the same
bench run) that builds the service as ``sitload run`` does (``[source] kind =
"simulate"``, desk profile, ``hours = 24 × days``, the console sink writing to
/dev/null, a SQLite history in a temporary folder) and samples its own RSS every
0.1 s from a thread, with the simulated time the service has reached. Printed per
simulated day: the largest RSS seen while the service played that day, its ratio to
day 2's, and to the size of one day of the simulator's samples (t + two 3-axis
accelerometers as float64, 242 MB at 50 Hz: what a service that held a whole day
would need). Also: peak RSS of the process (VmHWM), wall and CPU seconds, and a
hash of the history tables (the same data must give the same rows).

Targets (issue 14): a week with RSS ≤ 300 MB, flat (± 10 %) from day 2 to day 7;
a day with thigh + trunk at ``--speed 1e6`` in ≤ 10 s wall. ``--days 1`` for the
day's time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DAY_S = 86400.0
FS_HZ = 50.0
DAY_OF_SAMPLES_B = DAY_S * FS_HZ * 7 * 8
"""t_s and two 3-axis accelerometers as float64, one simulated day."""


def rss_b(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def table_hashes(db: Path) -> dict[str, str]:
    """A hash of each history table's rows (ordered by key): identical data, identical
    hashes."""
    out: dict[str, str] = {}
    with sqlite3.connect(db) as con:
        names = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        for name in sorted(n for n in names if n != "meta"):
            h = hashlib.sha256()
            rows = 0
            for row in con.execute(f"select * from {name} order by 1, 2, 3"):
                h.update(repr(row).encode())
                rows += 1
            out[name] = f"{rows}:{h.hexdigest()[:12]}"
    return out


def child(days: float, speed: float, trunk: bool) -> dict[str, Any]:
    """One run of the service in this process (see the module doc)."""
    import asyncio

    from rich.console import Console

    from collector.config import Overrides, load_settings
    from collector.service.app import build_sinks, make_service, open_history

    with tempfile.TemporaryDirectory(prefix="sitload-memrun-") as tmp:
        cfg = Path(tmp) / "sitload.toml"
        cfg.write_text(
            f'[user]\nid = "bench"\ntimezone = "UTC"\n\n[source]\nkind = "simulate"\n'
            f"hours = {24.0 * days}\nseed = 1\ntrunk = {str(trunk).lower()}\n"
        )
        db = Path(tmp) / "history.db"
        settings = load_settings(
            cfg,
            Overrides(speed=speed, state_dir=Path(tmp) / "state", history_url=f"sqlite:///{db}"),
        )
        with open(os.devnull, "w") as null:
            console = Console(file=null, width=100)
            service = make_service(
                settings, build_sinks(settings, console), history=open_history(settings)
            )
            peaks: dict[int, int] = {}
            done = threading.Event()

            def watch() -> None:
                start: float | None = None
                while not done.wait(0.1):
                    last = service.summary.last_t_s
                    if last is None:
                        day = 0
                    else:
                        start = last if start is None else start
                        day = int((last - start) // DAY_S)
                    peaks[day] = max(peaks.get(day, 0), rss_b())

            watcher = threading.Thread(target=watch, daemon=True)
            wall = time.perf_counter()
            watcher.start()
            summary = asyncio.run(service.run(handle_signals=False))
            done.set()
            watcher.join()
            wall = time.perf_counter() - wall
        use = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "seconds": summary.seconds,
            "peaks_b": [peaks[d] for d in sorted(peaks)],
            "hwm_b": rss_b("VmHWM"),
            "wall_s": wall,
            "cpu_s": use.ru_utime + use.ru_stime,
            "tables": table_hashes(db),
        }


def run_child(code: Path, days: float, speed: float, trunk: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [sys.executable, __file__, "--child", "--days", str(days), "--speed", str(speed)]
    if not trunk:
        cmd.append("--no-trunk")
    out = subprocess.run(cmd, cwd=code, env=env, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def report(name: str, code: Path, r: dict[str, Any]) -> None:
    mb = 1e6
    peaks = r["peaks_b"]
    print(f"{name}: {code}")
    print(f"  {'day':>4} {'RSS MB':>7} {'/ day 2':>8} {'/ a day of samples':>19}")
    for d, p in enumerate(peaks):
        vs2 = f"{p / peaks[1]:8.2f}" if len(peaks) > 1 else f"{'':>8}"
        print(f"  {d + 1:4d} {p / mb:7.0f} {vs2} {p / DAY_OF_SAMPLES_B:19.2f}")
    later = peaks[1:] or peaks
    spread = (max(later) - min(later)) / min(later)
    print(
        f"  peak (VmHWM) {r['hwm_b'] / mb:.0f} MB; days 2-{len(peaks)} within ±{50 * spread:.1f} %"
        f"; {r['seconds']:,} s of data in {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU"
    )
    print(f"  history: {r['tables']}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--speed", type=float, default=1e6)
    ap.add_argument("--no-trunk", dest="trunk", action="store_false")
    ap.add_argument("--code", type=Path, default=ROOT)
    ap.add_argument("--baseline", type=Path, help="an older checkout, run first")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.days, args.speed, args.trunk)))
        return 0
    print(f"{args.days:g} simulated day(s), desk, thigh{' + trunk' if args.trunk else ''}")
    results = []
    for name, code in (("baseline", args.baseline), ("this", args.code)):
        if code is None:
            continue
        r = run_child(code, args.days, args.speed, args.trunk)
        report(name, code, r)
        results.append(r)
    if len(results) == 2:
        base, this = results
        same = "identical" if base["tables"] == this["tables"] else "DIFFERENT"
        print(
            f"this / baseline: peak RSS {this['hwm_b'] / base['hwm_b']:.2f}, "
            f"wall {this['wall_s'] / base['wall_s']:.2f}, CPU {this['cpu_s'] / base['cpu_s']:.2f}"
            f"; history {same}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
