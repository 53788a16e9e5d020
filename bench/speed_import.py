"""Speed benchmark: `sitload history import` throughput in patient-days per second.

The input is a long activPAL Events export made from PAL's example export
(``../shared/data/activpal-example/Test_Events.csv``, 1.8 days) by repeating it
end to end (times, sample counts and step counts shifted) until it covers
``--days`` days — the 0.1 s timeline, the events and the step counts of a real
device, only longer. Timed, best of N in one process:

* **analysis**: ``collector.history_import.analyse`` (what ``analyze`` does);
* **write**: ``import_analysed`` into a fresh SQLite file, and again into the same
  file (the idempotent re-import);
* with ``influxd`` installed, **write** into a real InfluxDB 1.x
  (tests/history_servers.py).

Patient-days are the calendar days the import writes a daily record for.

    python bench/speed_import.py [--days 10] [--repeat 3] [--no-influx]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from analytics.compression import ExposureParams
from collector.history_import import Analysed, analyse, import_analysed
from collector.sinks.history.sqlite_store import SqliteStore

SOURCE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "activpal-example"
ZONE = ZoneInfo("Europe/London")


def long_export(days: float, out: Path) -> Path:
    rows = list(csv.reader((SOURCE / "Test_Events.csv").open(newline="")))
    head, body = rows[0], rows[1:]
    t0 = float(body[0][0])
    last = body[-1]
    span_d = float(last[0]) + float(last[2]) / 86400.0 - t0
    count_span = int(last[1]) + round(float(last[2]) * 10)
    steps_span = int(float(last[4]))
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        k = 0
        while k * span_d < days:
            for r in body:
                w.writerow(
                    [
                        repr(float(r[0]) + k * span_d),
                        str(int(r[1]) + k * count_span),
                        *r[2:4],
                        str(int(float(r[4])) + k * steps_span),
                        *r[5:],
                    ]
                )
            k += 1
    return out


def best(repeat: int, fn: object) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-influx", action="store_true")
    args = ap.parse_args()
    if not (SOURCE / "Test_Events.csv").exists():
        raise SystemExit(f"needs {SOURCE / 'Test_Events.csv'} (../shared/data)")
    with tempfile.TemporaryDirectory(prefix="sitload-bench-import-") as tmp:
        d = Path(tmp)
        path = long_export(args.days, d / "long_Events.csv")
        t_an, a = best(args.repeat, lambda: analyse(path, fmt="auto", zone=ZONE,
                                                     params=ExposureParams()))  # fmt: skip
        assert isinstance(a, Analysed)
        n_days = len(a.report.days)
        print(f"{path.name}: {a.timeline.n:,} s, {n_days} patient-days")
        print(f"analysis            {t_an:6.2f} s")

        def sqlite_write(fresh: bool) -> float:
            db = d / "h.db"
            if fresh and db.exists():
                db.unlink()
            store = SqliteStore(db)
            t = time.perf_counter()
            import_analysed(store, a, "bench")
            store.close()
            return time.perf_counter() - t

        t_sq = min(sqlite_write(True) for _ in range(args.repeat))
        t_re = min(sqlite_write(False) for _ in range(args.repeat))
        print(f"write SQLite        {t_sq:6.2f} s   re-import {t_re:.2f} s")
        print(f"import into SQLite  {n_days / (t_an + t_sq):6.2f} patient-days/s")
        if args.no_influx:
            return
        from tests.history_servers import influxd, influxd_binary

        if influxd_binary() is None:
            print("no influxd: InfluxDB 1.x skipped")
            return
        from collector.sinks.history.influx_v1 import InfluxV1Store

        with influxd(d / "influxd") as server:
            times = []
            for i in range(args.repeat):
                store = InfluxV1Store(server.url, f"bench{i}")
                t = time.perf_counter()
                import_analysed(store, a, "bench")
                times.append(time.perf_counter() - t)
                store.close()
        t_ix = min(times)
        print(f"write InfluxDB 1.x  {t_ix:6.2f} s")
        print(f"import into InfluxDB 1.x {n_days / (t_an + t_ix):6.2f} patient-days/s")


if __name__ == "__main__":
    main()
