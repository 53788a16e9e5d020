"""Speed benchmark: `sitload report` for 90 days of one person.

The history is tests/review_store.py's simulation: 90 local days (Europe/London,
across the March DST change) of a 24 h/day per-second timeline — desk days with
20–35 min bouts, heavy days with 1–2 h bouts, rides on Saturdays, rest on Sundays,
now and then a day worn only 4 hours or a sensor gap — with the alerts the prompt
schedule gives, the live service's daily records, and a pain score every morning
(plus some evening ones). 7.9 M seconds in all.

Timed, best of N in one process (after one warm-up report):

* **report** end to end: read the range day by day from the store
  (``collector.review.load``) → ``analytics.review`` → the HTML page with its six
  charts (``collector.review.html``), from an in-memory store (a fake behind the
  HistoryStore protocol) and, when ``collector.sinks.history.sqlite_store`` exists,
  from a SQLite history file;
* **baselines** in the same run, on the same data: ``exposure_report`` alone on the
  same timeline (the analytics the review is built on), and reading the data alone;
* with SQLite, also the **cold command**: a new Python process running
  ``sitload report`` (``python -m collector.cli -q report …``: interpreter start,
  imports, settings, SQLite, review, HTML), ``--cold-repeat`` rounds, best and median;
  in each round, alternating with it, the same-run baseline ``python -c pass`` (the
  interpreter's own start) and, with ``--compare DIR``, the same command with the
  sitload code in DIR (e.g. a checkout of an older commit: ``git worktree add /tmp/old
  main``);
* with ``--influx``, from **InfluxDB 1.x** (an ``influxd`` started here as the tests
  start it, the history written into it first): the read as it is now (the
  timeline from its ``timeline_hour`` blocks, 24 points a day) against the read of
  every second from the per-second points (as before the blocks, and as a history
  written by an older sitload reads) in the same run, alternating, best of
  ``--influx-repeat``; the two must read exactly the same inputs. With SQLite too,
  SQLite runs alternate with those and the InfluxDB / SQLite ratio of the whole
  report is printed (target: <= 2x).

    python bench/speed_report.py [--days 90] [--repeat 5] [--no-sqlite] [--influx]
        [--cold-repeat 7] [--compare DIR] [--cold-only]

Targets: the whole report for 90 days of one person in ≤ 2 s in process; the cold
``sitload report`` process ≤ 1.5 s.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analytics.exposure import exposure_report  # noqa: E402
from bench.report_cold import cold_command, cold_verdict  # noqa: E402
from collector.review.building import build_review  # noqa: E402
from collector.review.export import render_json  # noqa: E402
from collector.review.html import render_html  # noqa: E402
from collector.review.load import ReviewInputs, load_inputs  # noqa: E402
from collector.review.meta import ReportMeta, sitload_version  # noqa: E402
from collector.sinks.history.model import HistoryRecord, HistoryStore  # noqa: E402
from tests.review_store import DayKind, filled_store, simulate_history  # noqa: E402

TARGET_S = 2.0
TZ = "Europe/London"
FIRST = dt.date(2026, 2, 2)  # a Monday; 90 days run to 2 May, across the DST change


def plan(n_days: int, seed: int) -> list[DayKind]:
    rng = np.random.default_rng(seed)
    out: list[DayKind] = []
    for i in range(n_days):
        wd = i % 7
        if wd == 5:
            out.append("ride" if rng.random() < 0.7 else "rest")
        elif wd == 6:
            out.append("rest")
        else:
            r = rng.random()
            out.append(
                "heavy" if r < 0.25 else "low_wear" if r < 0.30 else "gap" if r < 0.35 else "desk"
            )
    return out


def best(fn: Callable[[], object], repeat: int) -> float:
    t_best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t_best = min(t_best, time.perf_counter() - t0)
    return t_best


def report_once(store: HistoryStore, user: str, first: dt.date, last: dt.date) -> dict[str, float]:
    zone = ZoneInfo(TZ)
    t0 = time.perf_counter()
    inputs = load_inputs(store, user, first, last, zone, progress=False)
    t1 = time.perf_counter()
    rev = build_review(inputs, tz_name=TZ, baseline=None)
    t2 = time.perf_counter()
    meta = ReportMeta(user, dt.datetime.now(zone), sitload_version(), store.name)
    html = render_html(rev, meta)
    t3 = time.perf_counter()
    assert html.count("<svg") >= 5
    return {"load": t1 - t0, "review": t2 - t1, "html": t3 - t2, "total": t3 - t0}


def best_report(
    store: HistoryStore, user: str, first: dt.date, last: dt.date, repeat: int
) -> dict[str, float]:
    runs = [report_once(store, user, first, last) for _ in range(repeat)]
    return min(runs, key=lambda r: r["total"])


def show(name: str, r: dict[str, float]) -> None:
    print(
        f"{name}: {r['total']:.2f} s (read {r['load']:.2f} s, review {r['review']:.2f} s, "
        f"HTML + charts {r['html']:.2f} s)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--repeat", type=int, default=5, help="best of N")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--influx", action="store_true", help="also from InfluxDB 1.x (influxd)")
    ap.add_argument("--influx-repeat", type=int, default=2, help="best of N (InfluxDB)")
    ap.add_argument("--cold-repeat", type=int, default=7, help="rounds of the cold command")
    ap.add_argument(
        "--compare",
        type=Path,
        metavar="DIR",
        help="also run the cold command with the sitload code in DIR (e.g. a checkout of "
        "an older commit), alternating with this code's, and print the ratios",
    )
    ap.add_argument(
        "--cold-only",
        action="store_true",
        help="only the cold command (SQLite; no in-process runs)",
    )
    args = ap.parse_args()
    if args.cold_only:
        return cold_only(args)

    t0 = time.perf_counter()
    history = simulate_history(
        "p-bench", FIRST, args.days, TZ, seed=args.seed, plan=plan(args.days, args.seed)
    )
    first, last, user = history.first_day, history.last_day, history.user
    store = filled_store(history)
    n_s = sum(d.posture.shape[0] for d in history.days)
    kinds = {
        k: sum(d.kind == k for d in history.days)
        for k in ("desk", "heavy", "ride", "rest", "low_wear", "gap")
    }
    print(
        f"input: {args.days} days ({first} to {last}, {TZ}) of one person, {n_s / 1e6:.1f} M "
        f"seconds; {len(history.records):,} records "
        f"({', '.join(f'{v} {k}' for k, v in kinds.items())}); built in "
        f"{time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    report_once(store, user, first, last)  # warm-up: the page's modules, the first arrays
    warm = time.perf_counter() - t0
    print(f"warm-up (first report in this process, its imports included): {warm:.2f} s")

    mem = best_report(store, user, first, last, args.repeat)
    show(f"report from the in-memory store, best of {args.repeat}", mem)

    inputs = load_inputs(store, user, first, last, ZoneInfo(TZ), progress=False)
    t_exposure = best(lambda: exposure_report(inputs.timeline, tz=TZ), args.repeat)
    t_read = best(
        lambda: load_inputs(store, user, first, last, ZoneInfo(TZ), progress=False), args.repeat
    )
    print(
        f"baseline exposure_report alone on the same timeline: {t_exposure:.2f} s "
        f"-> report / exposure_report = {mem['total'] / t_exposure:.1f}x"
    )
    print(
        f"baseline reading the range alone (memory): {t_read:.3f} s "
        f"-> report / read = {mem['total'] / t_read:.0f}x"
    )

    cold: float | None = None
    sq: dict[str, float] | None = None
    sqlite_db: Path | None = None
    stack = contextlib.ExitStack()
    if not args.no_sqlite:
        try:
            from collector.sinks.history.sqlite_store import SqliteStore
        except ImportError:
            print("SQLite store: collector.sinks.history.sqlite_store not available; skipped")
        else:
            with contextlib.ExitStack() as keep:  # the file stays for the InfluxDB runs
                tmp = keep.enter_context(tempfile.TemporaryDirectory(prefix="sitload-bench-"))
                stack.callback(keep.pop_all().close)
                db = Path(tmp) / "history.db"
                sqlite_db = db
                t0 = time.perf_counter()
                writer = SqliteStore(db)
                writer.write(history.records)
                writer.close()
                size_mb = db.stat().st_size / 1e6
                print(
                    f"SQLite history written in {time.perf_counter() - t0:.1f} s ({size_mb:.0f} MB)"
                )
                sqlite_store = SqliteStore(db)
                try:
                    report_once(sqlite_store, user, first, last)  # warm the page cache
                    sq = best_report(sqlite_store, user, first, last, args.repeat)
                    t_sq_read = best(
                        lambda: load_inputs(
                            sqlite_store, user, first, last, ZoneInfo(TZ), progress=False
                        ),
                        args.repeat,
                    )
                finally:
                    sqlite_store.close()
                show(f"report from SQLite, best of {args.repeat}", sq)
                print(
                    f"baseline reading the range alone (SQLite): {t_sq_read:.2f} s "
                    f"-> report / read = {sq['total'] / t_sq_read:.1f}x; "
                    f"report / exposure_report = {sq['total'] / t_exposure:.1f}x"
                )
                cold = cold_command(db, user, first, last, TZ, args.cold_repeat, args.compare)

    influx: dict[str, float] | None = None
    sq_alt: dict[str, float] | None = None
    with stack:
        if args.influx:
            influx, sq_alt = from_influx(
                history.records, user, first, last, args.influx_repeat, store, sqlite_db
            )

    print(
        f"target <= {TARGET_S:g} s for {args.days} days (in process, in-memory store): "
        f"{'met' if mem['total'] <= TARGET_S else 'NOT met'} ({mem['total']:.2f} s)"
    )
    if sq is not None:
        print(
            f"target <= {TARGET_S:g} s (in process, SQLite): "
            f"{'met' if sq['total'] <= TARGET_S else 'NOT met'} ({sq['total']:.2f} s)"
        )
    if cold is not None:
        cold_verdict(cold)
    if influx is not None:
        print(
            f"target <= {TARGET_S:g} s (in process, InfluxDB 1.x): "
            f"{'met' if influx['total'] <= TARGET_S else 'NOT met'} ({influx['total']:.2f} s)"
        )
    if influx is not None and sq_alt is not None:
        ratio = influx["total"] / sq_alt["total"]
        print(
            f"InfluxDB 1.x / SQLite, alternating runs: report {influx['total']:.2f} s / "
            f"{sq_alt['total']:.2f} s = {ratio:.2f}x (target <= 2x: "
            f"{'met' if ratio <= 2.0 else 'NOT met'}); read {influx['load']:.2f} s / "
            f"{sq_alt['load']:.2f} s"
        )
    return 0


def cold_only(args: argparse.Namespace) -> int:
    """The history written to SQLite, then the cold command only."""
    from collector.sinks.history.sqlite_store import SqliteStore

    history = simulate_history(
        "p-bench", FIRST, args.days, TZ, seed=args.seed, plan=plan(args.days, args.seed)
    )
    with tempfile.TemporaryDirectory(prefix="sitload-bench-") as tmp:
        db = Path(tmp) / "history.db"
        writer = SqliteStore(db)
        writer.write(history.records)
        writer.close()
        size_mb = db.stat().st_size / 1e6
        print(f"input: {args.days} days of one person ({history.first_day} to "
              f"{history.last_day}, {TZ}) in SQLite ({size_mb:.0f} MB)")  # fmt: skip
        cold = cold_command(
            db,
            history.user,
            history.first_day,
            history.last_day,
            TZ,
            args.cold_repeat,
            args.compare,
        )
    cold_verdict(cold)
    return 0


def same_inputs(a: ReviewInputs, b: ReviewInputs) -> bool:
    ta, tb = a.timeline, b.timeline
    return (
        ta.t0_s == tb.t0_s
        and np.array_equal(ta.posture, tb.posture)
        and np.array_equal(ta.hip_flexion_deg, tb.hip_flexion_deg, equal_nan=True)
        and (a.alerts, a.daily, a.pain) == (b.alerts, b.daily, b.pain)
    )


def report_json(inputs: ReviewInputs) -> str:
    rev = build_review(inputs, tz_name=TZ, baseline=None)
    meta = ReportMeta(inputs.user, dt.datetime(2026, 5, 3, tzinfo=ZoneInfo(TZ)), "bench", "x")
    return render_json(rev, meta)


def from_influx(
    records: Sequence[HistoryRecord],
    user: str,
    first: dt.date,
    last: dt.date,
    repeat: int,
    reference: HistoryStore,
    sqlite_db: Path | None,
) -> tuple[dict[str, float], dict[str, float] | None]:
    """The report from InfluxDB 1.x, read now (hour blocks) and as before them (every
    second from the per-second points; same server, same data, alternating runs); the
    best runs of each."""
    from collector.sinks.history.influx_v1 import InfluxV1Store
    from tests.history_servers import influxd

    with (
        tempfile.TemporaryDirectory(prefix="sitload-bench-") as tmp,
        influxd(Path(tmp) / "influxd") as server,
    ):
        t0 = time.perf_counter()
        writer = InfluxV1Store(server.url, "bench", max_lines=50_000)
        written = writer.write(records)
        writer.close()
        print(
            f"InfluxDB 1.x history written in {time.perf_counter() - t0:.1f} s "
            f"({written.written:,} points)"
        )
        now = InfluxV1Store(server.url, "bench")
        before = InfluxV1Store(server.url, "bench")
        before._reader.blocks = False  # every second from the per-second points
        try:
            zone = ZoneInfo(TZ)
            a = load_inputs(now, user, first, last, zone, progress=False)
            b = load_inputs(before, user, first, last, zone, progress=False)
            if not same_inputs(a, b):
                raise SystemExit("the two InfluxDB reads do not give the same inputs")
            ref = load_inputs(reference, user, first, last, zone, progress=False)
            if report_json(a) != report_json(ref):
                raise SystemExit("the report JSON from InfluxDB differs from the in-memory store's")
            print("report JSON from InfluxDB (blocks) = from the in-memory store: identical")
            runs_now, runs_before, runs_sqlite = [], [], []
            sqlite = None
            if sqlite_db is not None:
                from collector.sinks.history.sqlite_store import SqliteStore

                sqlite = SqliteStore(sqlite_db)
            for _ in range(repeat):  # alternating: the machine's load hits all alike
                runs_before.append(report_once(before, user, first, last))
                runs_now.append(report_once(now, user, first, last))
                if sqlite is not None:
                    runs_sqlite.append(report_once(sqlite, user, first, last))
            if sqlite is not None:
                sqlite.close()
        finally:
            now.close()
            before.close()
    best_now = min(runs_now, key=lambda r: r["total"])
    best_before = min(runs_before, key=lambda r: r["total"])
    show(f"report from InfluxDB 1.x, before (per-second points), best of {repeat}", best_before)
    show(f"report from InfluxDB 1.x, now, best of {repeat}", best_now)
    print(
        f"InfluxDB read before / now = {best_before['load'] / best_now['load']:.2f}x; "
        f"report before / now = {best_before['total'] / best_now['total']:.2f}x "
        "(same inputs, checked)"
    )
    best_sqlite = min(runs_sqlite, key=lambda r: r["total"]) if runs_sqlite else None
    if best_sqlite is not None:
        show(f"report from SQLite, alternating with those, best of {repeat}", best_sqlite)
    return best_now, best_sqlite


if __name__ == "__main__":
    raise SystemExit(main())
