"""Speed benchmark: ``sitload analyze`` of 24 h of a 25 Hz thigh CSV, against reading
the same file with pyarrow alone and against acti-motus, in the same run (issue 14).

    python bench/speed_analyze.py [--hours 24] [--fs-hz 25] [--repeat 3]
                                  [--code DIR ...] [--acti-python PATH] [--dir DIR]

Writes the recording (a simulated desk day, thigh accelerometer only, sitload's CSV
format, in a temporary directory unless ``--dir``), then times, median of
``--repeat``:

* **(a) pyarrow alone**: ``pyarrow.csv.read_csv`` of the file with typed float64
  columns, in this process (the floor: reading the file, nothing else);
* **(b) sitload analyze**: the whole ``python -m collector.cli analyze FILE --json``
  command as a child process (interpreter start, imports, reading, checks, analysis,
  JSON), with the code in each ``--code`` (default: this checkout; give an older
  checkout too for a before / after in the same run, interleaved);
* **(c) acti-motus**: ``Features().compute`` + ``Activities().compute`` on the same
  file read with pandas, in a child process of the Python named by ``--acti-python``
  or ``$SITLOAD_ACTI_PYTHON`` (a separate venv with ``pip install acti-motus``);
  the time is measured inside the child (read + features + activities, not its
  interpreter start or imports, which favours acti-motus). "skipped" when absent.

Wall and CPU seconds are both printed: on a shared machine the CPU time is the
steadier (pyarrow's read uses several threads, so its CPU time is the larger).

Targets: (b) ≤ 2 × (a), and (c) ≥ 10 × (b).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_S = 1_767_225_600.0  # 2026-01-01T00:00Z

ACTI_SCRIPT = r"""
import json, sys, time
import pandas as pd
from actimotus import Activities, Features

path, skip = sys.argv[1], int(sys.argv[2])
t, c = time.perf_counter(), time.process_time()
df = pd.read_csv(path, skiprows=skip, usecols=["t_s", "thigh_ax_g", "thigh_ay_g", "thigh_az_g"])
df.index = pd.to_datetime(df.pop("t_s"), unit="s", utc=True).rename("datetime")
df.columns = ["acc_x", "acc_y", "acc_z"]
t_read = time.perf_counter() - t
features = Features().compute(df)
activities, _ = Activities().compute(features)
total, cpu = time.perf_counter() - t, time.process_time() - c
out = {"read_s": t_read, "total_s": total, "total_cpu_s": cpu, "epochs": len(activities)}
print(json.dumps(out))
"""


def write_recording(path: Path, hours: float, fs_hz: float) -> int:
    """A simulated desk day, thigh only, as a sitload CSV; returns its data rows."""
    sys.path.insert(0, str(ROOT))
    from collector.recordings.csv_writer import write_csv
    from collector.sources.simulator import simulate

    sim = simulate("desk", hours, seed=14, fs_hz=fs_hz, start_t_s=START_S, trunk=False)
    write_csv(sim.recording, path)
    return sim.recording.n


def write_in_child(path: Path, hours: float, fs_hz: float) -> int:
    """:func:`write_recording` in a child process (this one stays small and cold)."""
    cmd = [sys.executable, __file__, "--write", str(path)]
    out = subprocess.run(
        [*cmd, "--hours", str(hours), "--fs-hz", str(fs_hz)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


def comment_lines(path: Path) -> int:
    """The lines before the header row (comments), for readers that skip them."""
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                return n
            n += 1
    return n


Timing = tuple[float, float]
"""(wall seconds, CPU seconds): on a shared machine the CPU time is the steadier."""


def pyarrow_alone(path: Path, skip: int) -> tuple[Timing, int]:
    """((wall, CPU) seconds, rows) of pyarrow's typed read of the whole file."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = ["t_s", "thigh_ax_g", "thigh_ay_g", "thigh_az_g"]
    t, c = time.perf_counter(), time.process_time()
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(skip_rows=skip),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.float64() for n in names}),
    )
    return (time.perf_counter() - t, time.process_time() - c), table.num_rows


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sitload_analyze(path: Path, code: Path) -> Timing:
    """(wall, CPU) seconds of the whole ``analyze --json`` command in a child process,
    with compiled bytecode like an installed sitload (PYTHONDONTWRITEBYTECODE is
    dropped; :func:`main` runs the command once before timing it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(code)
    cmd = [sys.executable, "-m", "collector.cli", "analyze", str(path), "--json", "--tz", "UTC"]
    t, c = time.perf_counter(), _children_cpu_s()
    proc = subprocess.run(cmd, cwd=code, env=env, capture_output=True, text=True)
    timing = (time.perf_counter() - t, _children_cpu_s() - c)
    if proc.returncode != 0:
        raise SystemExit(f"sitload analyze failed ({proc.returncode}): {proc.stderr.strip()}")
    json.loads(proc.stdout)  # the whole document was written
    return timing


def acti_motus(path: Path, skip: int, python: str) -> dict[str, float]:
    """acti-motus's own (wall, CPU) seconds for read + features + activities, measured
    inside its process, and its pandas read alone."""
    proc = subprocess.run(
        [python, "-c", ACTI_SCRIPT, str(path), str(skip)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"acti-motus failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def median(timings: Sequence[Timing]) -> Timing:
    return (
        statistics.median(w for w, _ in timings),
        statistics.median(c for _, c in timings),
    )


def show(label: str, timing: Timing, *versus: tuple[str, Timing]) -> None:
    wall, cpu = timing
    ratios = "".join(
        f"   {wall / other[0]:5.2f} x {name} (CPU {cpu / other[1]:5.2f} x)"
        for name, other in versus
    )
    print(f"{label:<44} {wall:6.2f} s wall {cpu:6.2f} s CPU{ratios}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--fs-hz", type=float, default=25.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--code",
        type=Path,
        action="append",
        help="a sitload checkout to time (repeatable, runs interleaved; default: this one)",
    )
    ap.add_argument(
        "--acti-python",
        default=os.environ.get("SITLOAD_ACTI_PYTHON"),
        help="python of a venv with acti-motus (default: $SITLOAD_ACTI_PYTHON)",
    )
    ap.add_argument("--dir", type=Path, help="keep the recording here (reused if present)")
    ap.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.write is not None:
        print(write_recording(args.write, args.hours, args.fs_hz))
        return 0
    codes: list[Path] = args.code or [ROOT]
    with tempfile.TemporaryDirectory(prefix="sitload-speed-") as tmp:
        where = args.dir or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        path = where / f"thigh-{args.hours:g}h-{args.fs_hz:g}hz.csv"
        if not path.exists():
            write_in_child(path, args.hours, args.fs_hz)
        skip = comment_lines(path)
        rows = pyarrow_alone(path, skip)[1]
        print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB, {rows:,d} rows)")
        for code in codes:
            sitload_analyze(path, code)  # warm: bytecode written, file in the page cache
        floor_runs: list[Timing] = []
        ours_runs: dict[Path, list[Timing]] = {code: [] for code in codes}
        for _ in range(args.repeat):  # interleaved, so that a busy moment hits all alike
            floor_runs.append(pyarrow_alone(path, skip)[0])
            for code in codes:
                ours_runs[code].append(sitload_analyze(path, code))
        floor = median(floor_runs)
        show("(a) pyarrow typed read alone", floor)
        ours = {code: median(runs) for code, runs in ours_runs.items()}
        for code, timing in ours.items():
            show(f"(b) analyze --json, {code.name}", timing, ("(a)", floor))
        if not args.acti_python or not Path(args.acti_python).exists():
            print("(c) acti-motus: skipped (give --acti-python or $SITLOAD_ACTI_PYTHON)")
            return 0
        acti = [acti_motus(path, skip, args.acti_python) for _ in range(args.repeat)]
        theirs = median([(r["total_s"], r["total_cpu_s"]) for r in acti])
        read = statistics.median(r["read_s"] for r in acti)
        show(f"(c) acti-motus (pandas read {read:.2f} s)", theirs)
        for code, timing in ours.items():
            wall, cpu = theirs[0] / timing[0], theirs[1] / timing[1]
            print(f"    (c) / (b) {code.name}: {wall:5.1f} x wall, {cpu:5.1f} x CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
