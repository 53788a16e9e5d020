"""History write throughput: points per second into each history store.

Data: ``--days`` of one person's 1 Hz timeline (posture, hip flexion with NaN in
non-wear, data state), as the live service produces it: one point per second.

Measured (best of ``--repeat``, each run into fresh time ranges so no run
overwrites another's points):

* **InfluxDB 1.x** (``influxd`` over loopback): :class:`InfluxV1Store.write` of the
  timeline — line protocol built from the records (Point's formatting), requests of
  ``--batch`` lines at precision ``s``, sent while the next batch is built — and the
  same with ``gzip=True``. Baseline in the same run: the same points as pre-built
  line protocol POSTed raw with urllib3 to the same server in the same batch sizes
  (what the server itself takes); the ratio is our share of the cost.
* **VictoriaMetrics via influxdb-client** (the v2 write API, ``/api/v2/write``):
  :class:`InfluxV2Store.write`; baseline: the same lines POSTed raw to
  ``/api/v2/write``.
* **SQLite**: :class:`SqliteStore.write` in batches of ``--batch`` seconds (one
  transaction each; hour rows merged on write); baseline: the same per-second rows
  into a plain keyed table with ``executemany`` (one row per second: what a naive
  schema would do).
* **HistoryWriter → InfluxDB 1.x**: the whole path (submit in 1-hour chunks,
  batching thread, store) until nothing is pending.

    python bench/speed_history.py [--days 7] [--batch 50000] [--repeat 3]

Target: ≥ 100 000 points/s into InfluxDB 1.x over loopback.

``--memory`` measures instead the **peak RSS of a writer fed faster than its store**
(issue 14): ``--days`` of the live service's output at ``--speed 1e6`` (a 1-second
timeline chunk and the day's totals every second, submitted as fast as ``submit``
returns) into InfluxDB 1.x, each in a child process whose peak RSS is read with
``wait4``: the writer as it is (queue bounded to 16 MiB, the rest spooled) against
the same writer with an unbounded queue (what it was before), in the same run.

    python bench/speed_history.py --memory [--days 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.records import Posture
from collector.sinks.history import influx_lines as lp
from collector.sinks.history.influx_v1 import InfluxV1Store
from collector.sinks.history.influx_v2 import InfluxV2Store
from collector.sinks.history.model import DailyRecord, TimelineChunk
from collector.sinks.history.sqlite_store import SqliteStore
from collector.sinks.history.writer import MIB, HistoryWriter
from tests.history_servers import InfluxD, VictoriaMetrics, influxd, victoria_metrics

DAY_S = 86_400
T0 = 1_700_006_400  # 2023-11-15 00:00 UTC (VictoriaMetrics refuses future times)


def timeline(days: int, t0_s: int, seed: int = 1) -> TimelineChunk:
    rng = np.random.default_rng(seed)
    n = days * DAY_S
    posture = np.empty(n, dtype=np.int8)
    i = 0
    while i < n:
        length = int(rng.integers(30, 3600))
        posture[i : i + length] = rng.choice(
            [Posture.SITTING, Posture.UPRIGHT, Posture.LYING, Posture.NONWEAR],
            p=[0.5, 0.25, 0.2, 0.05],
        )
        i += length
    hip = 85.0 + 10.0 * np.sin(np.arange(n) / 500.0) + rng.normal(0, 2, n)
    hip[posture == Posture.NONWEAR] = np.nan
    data = np.where(posture == Posture.NONWEAR, 2, 0).astype(np.int8)
    return TimelineChunk("p-0042", t0_s, posture, hip, data, device="thigh", sensor_kind="sim")


def chunks(c: TimelineChunk, size: int) -> list[TimelineChunk]:
    return [
        TimelineChunk(
            c.user,
            c.t0_s + a,
            c.posture[a : a + size],
            c.hip_flexion_deg[a : a + size],
            c.data[a : a + size],
            device=c.device,
            sensor_kind=c.sensor_kind,
        )
        for a in range(0, c.n, size)
    ]


def best(repeat: int, run: Callable[[int], float]) -> float:
    """The shortest of ``repeat`` runs (``run(k)`` returns its seconds)."""
    return min(run(k) for k in range(repeat))


def post_raw(
    pool: urllib3.PoolManager, url: str, bodies: list[bytes], headers: dict[str, str]
) -> None:
    for body in bodies:
        r = pool.request("POST", url, body=body, headers=headers)
        if r.status != 204:
            raise RuntimeError(f"raw write: HTTP {r.status}: {r.data[:200]!r}")


def memory_child(url: str, database: str, queue_max_bytes: int, days: int) -> int:
    """One writer fed ``days`` of 1-second outputs as fast as it takes them; prints its
    counters as JSON."""
    store = InfluxV1Store(url, database)
    p = np.array([Posture.SITTING], dtype=np.int8)
    h = np.array([85.0])
    d = np.array([0], dtype=np.int8)
    largest = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sitload-bench-") as tmp:
        w = HistoryWriter(store, Path(tmp) / "spool", queue_max_bytes=queue_max_bytes)
        for s in range(days * DAY_S):
            t = T0 + s
            day = DailyRecord(
                "p-0042", "2023-11-15", float(T0), float(s), 0.0, 0, 0.0, 0, 0, 0, 0, 0, 0
            )
            w.submit([TimelineChunk("p-0042", t, p, h, d, device="thigh", sensor_kind="sim"), day])
            if s % 600 == 0:
                largest = max(largest, w.stats().queued_bytes)
        fed_s = time.perf_counter() - start
        ok = w.wait_idle(3600)
        stats = w.close()
    store.close()
    print(
        json.dumps(
            {
                "ok": ok,
                "fed_s": fed_s,
                "done_s": time.perf_counter() - start,
                "written": stats.written,
                "spooled": stats.spooled,
                "dropped": stats.dropped,
                "largest_queue_mb": largest / MIB,
            }
        )
    )
    return 0


def memory(days: int) -> int:
    """Peak RSS of a writer fed faster than InfluxDB takes it: bounded against unbounded."""
    print(
        f"input: {days} day(s) of the live service's output at --speed 1e6: "
        f"{days * DAY_S:,} submits of a 1 s timeline chunk and the day's totals"
    )
    peaks: dict[str, float] = {}
    with (
        tempfile.TemporaryDirectory(prefix="sitload-bench-") as tmp,
        influxd(Path(tmp) / "influxd") as server,
    ):
        for k, (name, bound) in enumerate(
            (("unbounded queue (before)", 1 << 62), ("queue bounded at 16 MiB", 16 * MIB))
        ):
            command = [sys.executable, __file__, "--memory-child", server.url, f"mem{k}"]
            command += [str(bound), "--days", str(days)]
            child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            assert child.stdout is not None
            out = child.stdout.read()
            _, status, usage = os.wait4(child.pid, 0)
            if status != 0:
                raise SystemExit(f"{name}: the child failed ({status})")
            r = json.loads(out)
            peaks[name] = usage.ru_maxrss / 1024
            print(
                f"{name:26} peak RSS {peaks[name]:6.0f} MB; largest queue "
                f"{r['largest_queue_mb']:6.1f} MB; fed in {r['fed_s']:.1f} s, all written "
                f"after {r['done_s']:.1f} s; written {r['written']:,}, spooled "
                f"{r['spooled']:,}, dropped {r['dropped']}"
            )
    before, now = peaks.values()
    print(f"peak RSS unbounded / bounded = {before / now:.2f}x")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--batch", type=int, default=50_000, help="lines per request")
    ap.add_argument("--repeat", type=int, default=3, help="best of N")
    ap.add_argument("--memory", action="store_true", help="peak RSS of the writer (issue 14)")
    ap.add_argument("--memory-child", nargs=3, metavar=("URL", "DB", "QUEUE_MAX_BYTES"))
    args = ap.parse_args()
    if args.memory_child:
        url, database, bound = args.memory_child
        return memory_child(url, database, int(bound), args.days)
    if args.memory:
        return memory(args.days)
    n = args.days * DAY_S
    span = n + DAY_S  # each run writes its own time range
    tl = [timeline(args.days, T0 + k * span, seed=k) for k in range(2 * args.repeat + 2)]
    print(
        f"input: {args.days} days of a 1 Hz timeline = {n:,} points per run; "
        f"{args.batch:,} lines per request; best of {args.repeat}"
    )
    rows: list[tuple[str, float, float | None, str]] = []
    pool = urllib3.PoolManager(retries=False, maxsize=2)

    def raw_bodies(c: TimelineChunk, gz: bool = False) -> list[bytes]:
        lines = lp.timeline_lines(c)
        bodies = [
            "\n".join(lines[i : i + args.batch]).encode() for i in range(0, len(lines), args.batch)
        ]
        return [gzip.compress(b, 1) for b in bodies] if gz else bodies

    with tempfile.TemporaryDirectory(prefix="sitload-bench-") as tmp:
        work = Path(tmp)
        # --- InfluxDB 1.x ------------------------------------------------------------
        server: InfluxD
        with influxd(work / "influxd") as server:
            store = InfluxV1Store(server.url, "bench", max_lines=args.batch)
            zipped = InfluxV1Store(server.url, "bench_gz", max_lines=args.batch, gzip=True)
            server.query('CREATE DATABASE "raw"')
            server.query('CREATE DATABASE "raw_gz"')
            store.write([tl[-1]])  # warm-up (and CREATE DATABASE)
            zipped.write([tl[-1]])

            def ours(k: int, s: InfluxV1Store = store) -> float:
                t = time.perf_counter()
                result = s.write([tl[k]])
                dt = time.perf_counter() - t
                assert result.written == n, result
                return dt

            def raw(k: int, db: str = "raw", gz: bool = False) -> float:
                bodies = raw_bodies(tl[k], gz)  # built before the clock starts
                headers = {"Content-Encoding": "gzip"} if gz else {}
                t = time.perf_counter()
                post_raw(pool, f"{server.url}/write?db={db}&precision=s", bodies, headers)
                return time.perf_counter() - t

            raw_s = best(args.repeat, raw)
            ours_s = best(args.repeat, ours)
            rows.append(("InfluxDB 1.x (InfluxV1Store)", n / ours_s, n / raw_s, "raw POST"))
            raw_gz_s = best(args.repeat, lambda k: raw(args.repeat + k, "raw_gz", True))
            gz_s = best(args.repeat, lambda k: ours(args.repeat + k, zipped))
            rows.append(("InfluxDB 1.x, gzip", n / gz_s, n / raw_gz_s, "raw POST, gzip"))

            # the whole path: writer thread, batching, store
            def through_writer(k: int) -> float:
                s = InfluxV1Store(server.url, f"writer{k}", max_lines=args.batch)
                s.write([tl[-1]])  # creates the database outside the clock
                w = HistoryWriter(s, work / f"spool{k}", batch_max=args.batch, flush_every_s=0.1)
                t = time.perf_counter()
                for c in chunks(tl[k], 3600):
                    w.submit([c])
                ok = w.wait_idle(600)
                dt = time.perf_counter() - t
                stats = w.close()
                assert ok, stats
                assert stats.written == n, stats
                s.close()
                return dt

            writer_s = best(args.repeat, through_writer)
            rows.append(("HistoryWriter -> InfluxDB 1.x", n / writer_s, n / raw_s, "raw POST"))
            store.close()
            zipped.close()

        # --- VictoriaMetrics through influxdb-client (v2 API) --------------------------
        vm: VictoriaMetrics
        with victoria_metrics(work / "vm") as vm:
            v2 = InfluxV2Store(vm.url, "bench", "bench", "token", max_lines=args.batch)
            v2.write([tl[-1]])

            def ours_v2(k: int) -> float:
                t = time.perf_counter()
                result = v2.write([tl[k]])
                dt = time.perf_counter() - t
                assert result.written == n, result
                return dt

            def raw_v2(k: int) -> float:
                bodies = raw_bodies(tl[args.repeat + k])
                t = time.perf_counter()
                post_raw(
                    pool,
                    f"{vm.url}/api/v2/write?org=bench&bucket=raw&precision=s",
                    bodies,
                    {"Authorization": "Token token"},
                )
                return time.perf_counter() - t

            raw_v2_s = best(args.repeat, raw_v2)
            v2_s = best(args.repeat, ours_v2)
            rows.append(("VictoriaMetrics (InfluxV2Store)", n / v2_s, n / raw_v2_s, "raw POST"))
            v2.close()

        # --- SQLite ---------------------------------------------------------------------
        def ours_sqlite(k: int) -> float:
            s = SqliteStore(work / f"history{k}.db")
            parts = chunks(tl[k], args.batch)
            t = time.perf_counter()
            for c in parts:
                s.write([c])
            dt = time.perf_counter() - t
            s.close()
            return dt

        def naive_sqlite(k: int) -> float:
            conn = sqlite3.connect(work / f"naive{k}.db", isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE t (user TEXT, t_s INTEGER, posture INTEGER, hip REAL, "
                "data INTEGER, PRIMARY KEY (user, t_s)) WITHOUT ROWID"
            )
            c = tl[k]
            rows_ = list(
                zip(
                    [c.user] * c.n,
                    range(c.t0_s, c.t0_s + c.n),
                    c.posture.tolist(),
                    [None if h != h else h for h in c.hip_flexion_deg.tolist()],
                    c.data.tolist(),
                    strict=True,
                )
            )
            t = time.perf_counter()
            for i in range(0, len(rows_), args.batch):
                conn.execute("BEGIN")
                conn.executemany(
                    "INSERT OR REPLACE INTO t VALUES (?, ?, ?, ?, ?)", rows_[i : i + args.batch]
                )
                conn.execute("COMMIT")
            dt = time.perf_counter() - t
            conn.close()
            return dt

        sqlite_s = best(args.repeat, ours_sqlite)
        naive_s = best(args.repeat, naive_sqlite)
        rows.append(("SQLite (SqliteStore)", n / sqlite_s, n / naive_s, "row per second"))

    print()
    print(f"{'store':34} {'points/s':>12} {'baseline/s':>12} {'ratio':>7}  baseline")
    for name, rate, base, what in rows:
        ratio = f"{rate / base:.2f}" if base else "-"
        print(f"{name:34} {rate:>12,.0f} {base or 0:>12,.0f} {ratio:>7}  {what}")
    influx_rate = rows[0][1]
    verdict = "met" if influx_rate >= 100_000 else "NOT met"
    print(f"\ntarget >= 100,000 points/s into InfluxDB 1.x: {verdict} ({influx_rate:,.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
