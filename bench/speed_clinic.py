"""Speed benchmark: the clinic overview (`sitload clinic`) of 50 patients × 90 days.

The history is tests/review_store.py's simulation, as bench/speed_report.py builds
it: 90 local days (Europe/London, across the March DST change) of a 24 h/day
per-second timeline per patient, with alerts, the live service's daily records and
morning pain scores. ``--distinct`` different histories are simulated and shared out
to the patients under their own user ids (the store holds every patient's records).

Timed, in the same run:

* **baseline**: one patient's report in this process (the same code as every row:
  :func:`collector.review.clinic_run.patient_row` — range, read, review, the HTML page
  with its charts and the JSON), best of ``--repeat``;
* **clinic**: ``sitload clinic`` as a new process (interpreter start, imports, every
  patient's report and the index), with ``--jobs`` workers (default: the machine's
  cores), and the same with ``--format json`` (the figures without the pages).

Printed against ``patients × baseline`` (what the overview would take one report
after the other in one process), in wall-clock time and in CPU seconds (the command
and its workers against the baseline's own): on a shared machine the CPU ratio is the
steadier one.

From InfluxDB 1.x (``--influx``: an ``influxd`` started here as the tests start it):
the overview reads only the last 28 days of each patient (and the 7 days after the
last daily record), so only those days' timeline is written to ``influxd`` (the alerts,
daily records and pain of all 90 days are); ``influxd`` ingests ~0.1–0.2 M points/s
here, so ``--influx-patients`` (default 10) patients are written and the time for 50 is
projected from them, and printed as a projection.

    python bench/speed_clinic.py [--patients 50] [--days 90] [--jobs N] [--influx]
        [--compare DIR]

Targets: 50 patients × 90 days from SQLite ≤ 10 s, from InfluxDB ≤ 30 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analytics.compression import ExposureParams  # noqa: E402
from analytics.review import TAKEN_WITHIN_S  # noqa: E402
from bench.speed_report import FIRST, TZ, plan  # noqa: E402
from collector.review.building import store_scheme  # noqa: E402
from collector.review.clinic_run import PatientJob, patient_row  # noqa: E402
from collector.review.meta import sitload_version  # noqa: E402
from collector.review.range import describe_store  # noqa: E402
from collector.sinks.history.factory import open_store  # noqa: E402
from collector.sinks.history.model import HistoryRecord, TimelineChunk  # noqa: E402
from tests.review_store import simulate_history  # noqa: E402

SQLITE_TARGET_S = 10.0
INFLUX_TARGET_S = 30.0
TIMELINE_DAYS_READ = 28 + 1
"""The days of timeline the overview reads of a patient (the range and the day before)."""


def clinic_records(
    n_patients: int, n_days: int, distinct: int, *, timeline_from_s: float | None = None
) -> list[HistoryRecord]:
    """Every patient's records; with ``timeline_from_s`` only the timeline from then."""
    histories = [
        simulate_history("p", FIRST, n_days, TZ, seed=s, plan=plan(n_days, s))
        for s in range(distinct)
    ]
    out: list[HistoryRecord] = []
    for i in range(n_patients):
        user = f"p-{i:03d}"
        for r in histories[i % distinct].records:
            if (
                timeline_from_s is not None
                and isinstance(r, TimelineChunk)
                and r.t0_s + r.n <= timeline_from_s
            ):
                continue
            out.append(dataclasses.replace(r, user=user))
    return out


def write(url: str, records: list[HistoryRecord]) -> float:
    t0 = time.perf_counter()
    store = open_store(url, os.environ)
    try:
        result = store.write(records)
        if result.rejected:
            raise SystemExit(f"the store refused {result.rejected} points: {result.reason}")
    finally:
        store.close()
    return time.perf_counter() - t0


def one_report(url: str, out: Path, repeat: int) -> tuple[float, float]:
    """Best of ``repeat``: one patient's report as the overview makes it (wall clock
    and CPU seconds of this process)."""
    zone = ZoneInfo(TZ)
    out.mkdir(parents=True, exist_ok=True)
    job = PatientJob(
        url=url,
        user="p-000",
        tz_name=TZ,
        first_given=None,
        last_given=None,
        now_s=time.time(),
        params=ExposureParams(),
        taken_within_s=TAKEN_WITHIN_S,
        out_dir=out,
        stem="baseline",
        generated_at=dt.datetime.now(zone),
        version=sitload_version(),
        store_kind=store_scheme(url),
        where=describe_store(url),
    )
    store = open_store(url, os.environ)
    try:
        patient_row(store, job)  # warm-up: matplotlib, fonts, the page cache
        best, best_cpu = float("inf"), float("inf")
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            row = patient_row(store, job)
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        assert row.report == "baseline.html"
        assert row.has_data
    finally:
        store.close()
    return best, best_cpu


def clinic_command(
    url: str, out: Path, jobs: int | None, fmt: str, code: Path = REPO
) -> tuple[float, float]:
    """Wall clock and CPU seconds (the command and its workers) of ``sitload clinic``
    (of the sitload checkout ``code``)."""
    args = [sys.executable, "-m", "collector.cli", "-q", "clinic", "--history", url,
            "--tz", TZ, "--out", str(out), "--format", fmt]  # fmt: skip
    if jobs:
        args += ["--jobs", str(jobs)]
    env = {**os.environ, "PYTHONPATH": str(code)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    run = subprocess.run(args, capture_output=True, text=True, cwd=code, env=env, check=False)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if run.returncode != 0:
        raise SystemExit(f"sitload clinic failed: {run.stderr.strip()[-500:]}")
    print(f"  {run.stdout.strip()}")
    return elapsed, cpu


def measure(name: str, url: str, tmp: Path, patients: int, args: argparse.Namespace) -> float:
    base, base_cpu = one_report(url, tmp / f"{name}-baseline", args.repeat)
    print(f"baseline, one patient's report (page + JSON) in process, best of {args.repeat}: "
          f"{base:.2f} s ({base_cpu:.2f} s CPU) -> {patients} one after the other: "
          f"{patients * base:.1f} s")  # fmt: skip
    t_html = 0.0
    for fmt, what in (("json", "figures only"), ("html", "index + every page and JSON")):
        t, cpu = clinic_command(url, tmp / f"{name}-{fmt}", args.jobs, fmt)
        print(f"clinic --format {fmt} ({what}, new process): {t:.1f} s = "
              f"{t / (patients * base):.2f}x the one-by-one time; CPU {cpu:.1f} s = "
              f"{cpu / patients:.2f} s a patient = {cpu / (patients * base_cpu):.2f}x the "
              f"baseline's CPU")  # fmt: skip
        if args.compare is not None:
            t_old, cpu_old = clinic_command(url, tmp / f"{name}-{fmt}-old", args.jobs, fmt,
                                            args.compare)  # fmt: skip
            print(f"  the same with the code in {args.compare}: {t_old:.1f} s, CPU "
                  f"{cpu_old:.1f} s -> this code takes {t / t_old:.2f}x the wall clock, "
                  f"{cpu / cpu_old:.2f}x the CPU")  # fmt: skip
        t_html = t
    return t_html


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--patients", type=int, default=50)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--distinct", type=int, default=5, help="different simulated histories")
    ap.add_argument("--jobs", type=int, default=None, help="clinic --jobs [default: cores]")
    ap.add_argument("--repeat", type=int, default=3, help="best of N (baseline)")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--influx", action="store_true", help="also from InfluxDB 1.x (influxd)")
    ap.add_argument("--influx-patients", type=int, default=10)
    ap.add_argument(
        "--compare",
        type=Path,
        metavar="DIR",
        help="also run each clinic command with the sitload code in DIR (e.g. a checkout "
        "of an older commit), right after this code's, and print the ratios",
    )
    args = ap.parse_args()
    print(f"{os.cpu_count()} cores; clinic --jobs {args.jobs or 'default'}")

    with tempfile.TemporaryDirectory(prefix="sitload-clinic-") as tmp_text:
        tmp = Path(tmp_text)
        if not args.no_sqlite:
            t0 = time.perf_counter()
            records = clinic_records(args.patients, args.days, args.distinct)
            n_s = sum(r.n for r in records if isinstance(r, TimelineChunk))
            print(f"input: {args.patients} patients × {args.days} days ({FIRST}, {TZ}), "
                  f"{n_s / 1e6:.0f} M seconds, {len(records):,} records; built in "
                  f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
            url = f"sqlite:///{tmp / 'clinic.db'}"
            print(f"SQLite written in {write(url, records):.1f} s")
            del records
            t = measure("sqlite", url, tmp, args.patients, args)
            verdict = "met" if t <= SQLITE_TARGET_S else "NOT met"
            print(f"target <= {SQLITE_TARGET_S:g} s from SQLite: {verdict} ({t:.1f} s)")
        if args.influx:
            from tests.history_servers import influxd

            n = args.influx_patients
            last = FIRST + dt.timedelta(days=args.days - 1)
            start = last - dt.timedelta(days=TIMELINE_DAYS_READ)
            from_s = dt.datetime.combine(start, dt.time(0), ZoneInfo(TZ)).timestamp()
            records = clinic_records(n, args.days, args.distinct, timeline_from_s=from_s)
            n_s = sum(r.n for r in records if isinstance(r, TimelineChunk))
            with influxd(tmp / "influxd") as server:
                url = f"influxdb-v1://127.0.0.1:{server.port}/clinic"
                t_w = write(url, records)
                print(f"InfluxDB 1.x: {n} patients, timeline from {start} ({n_s / 1e6:.1f} M "
                      f"points) written in {t_w:.0f} s")  # fmt: skip
                del records
                t = measure("influx", url, tmp, n, args)
            projected = t * args.patients / n
            verdict = "met" if projected <= INFLUX_TARGET_S else "NOT met"
            print(f"target <= {INFLUX_TARGET_S:g} s for {args.patients} patients from InfluxDB "
                  f"1.x: {verdict} (measured {t:.1f} s for {n}; projected "
                  f"{projected:.0f} s for {args.patients})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
