"""Speed benchmark: ``sitload analyze`` of 24 h of a 25 Hz thigh CSV, against reading
the same file with pyarrow alone and against acti-motus, in the same run (issue 14).

    python bench/speed_analyze.py [--hours 24] [--fs-hz 25] [--repeat 3]
                                  [--code DIR ...] [--acti-python PATH] [--dir DIR]

Writes the recording (a simulated desk day, thigh accelerometer only, sitload's CSV
format, in a temporary directory unless ``--dir``), then times, median of
``--repeat``, **each side as a whole child process** (interpreter start, imports,
reading, work; wall seconds from outside, CPU seconds of the child), so that the
three are compared alike:

* **(a) pyarrow alone**: ``python -c`` that imports pyarrow and reads the file with
  ``pyarrow.csv.read_csv``, typed float64 columns (the floor: a process that reads
  the file and does nothing else);
* **(b) sitload analyze**: the whole ``python -m collector.cli analyze FILE --json``
  command, with the code in each ``--code`` (default: this checkout; give an older
  checkout too for a before / after in the same run, interleaved);
* **(c) acti-motus**: a Python script that imports pandas and acti-motus, reads the
  file with pandas and runs ``Features().compute`` + ``Activities().compute``, with
  the Python named by ``--acti-python`` or ``$SITLOAD_ACTI_PYTHON`` (a separate venv
  with ``pip install acti-motus``). "skipped" when absent.

Each child also reports what it spent inside (imports, read, compute), printed
beside, with the in-process comparison (the read alone against acti-motus's read +
compute without its imports). Wall and CPU seconds are both printed: on a shared
machine the CPU time is the steadier (pyarrow's read uses several threads).

Targets: (b) ≤ 2 × (a), and (c) ≥ 10 × (b), whole process against whole process. The
last line prints the floor for the second: (a), a process that only reads the file,
against a tenth of (c).
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
import time
t0, c0 = time.perf_counter(), time.process_time()
import json, sys
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
out = {"import_s": t - t0, "import_cpu_s": c - c0, "read_s": t_read, "work_s": total,
       "work_cpu_s": cpu, "epochs": len(activities)}
print(json.dumps(out))
"""

PYARROW_SCRIPT = r"""
import time
t0, c0 = time.perf_counter(), time.process_time()
import json, sys
import pyarrow as pa
import pyarrow.csv as pacsv

path, skip = sys.argv[1], int(sys.argv[2])
names = ["t_s", "thigh_ax_g", "thigh_ay_g", "thigh_az_g"]
t, c = time.perf_counter(), time.process_time()
table = pacsv.read_csv(
    path,
    read_options=pacsv.ReadOptions(skip_rows=skip),
    convert_options=pacsv.ConvertOptions(column_types={n: pa.float64() for n in names}),
)
total, cpu = time.perf_counter() - t, time.process_time() - c
out = {"import_s": t - t0, "import_cpu_s": c - c0, "read_s": total, "work_s": total,
       "work_cpu_s": cpu, "rows": table.num_rows}
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


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def whole_process(
    cmd: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[Timing, str]:
    """(wall, CPU) seconds of a child process from start to exit, and its stdout."""
    t, c = time.perf_counter(), _children_cpu_s()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    timing = (time.perf_counter() - t, _children_cpu_s() - c)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return timing, proc.stdout


Inside = dict[str, float]
"""What a child measured inside itself: import_s, import_cpu_s, read_s, work_s,
work_cpu_s (work: the read and the computing after the imports)."""


def pyarrow_alone(path: Path, skip: int) -> tuple[Timing, Inside]:
    """A whole process that imports pyarrow and reads the file, typed, and nothing else."""
    timing, out = whole_process([sys.executable, "-c", PYARROW_SCRIPT, str(path), str(skip)])
    inside: Inside = json.loads(out.strip().splitlines()[-1])
    return timing, inside


def sitload_analyze(path: Path, code: Path) -> Timing:
    """(wall, CPU) seconds of the whole ``analyze --json`` command in a child process,
    with compiled bytecode like an installed sitload (PYTHONDONTWRITEBYTECODE is
    dropped; :func:`main` runs the command once before timing it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(code)
    cmd = [sys.executable, "-m", "collector.cli", "analyze", str(path), "--json", "--tz", "UTC"]
    timing, out = whole_process(cmd, cwd=code, env=env)
    json.loads(out)  # the whole document was written
    return timing


def acti_motus(path: Path, skip: int, python: str) -> tuple[Timing, Inside]:
    """A whole process of acti-motus: imports, pandas read, features, activities."""
    timing, out = whole_process([python, "-c", ACTI_SCRIPT, str(path), str(skip)])
    inside: Inside = json.loads(out.strip().splitlines()[-1])
    return timing, inside


def interpreter_start(python: str) -> Timing:
    """(wall, CPU) seconds of ``python -c pass``: the part of every side alike."""
    return whole_process([python, "-c", "pass"])[0]


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


def inside_median(runs: Sequence[Inside], key: str) -> float:
    return statistics.median(r[key] for r in runs)


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
    acti_python: str | None = args.acti_python
    if acti_python and not Path(acti_python).exists():
        acti_python = None
    with tempfile.TemporaryDirectory(prefix="sitload-speed-") as tmp:
        where = args.dir or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        path = where / f"thigh-{args.hours:g}h-{args.fs_hz:g}hz.csv"
        if not path.exists():
            write_in_child(path, args.hours, args.fs_hz)
        skip = comment_lines(path)
        rows = int(pyarrow_alone(path, skip)[1]["rows"])
        print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB, {rows:,d} rows)")
        for code in codes:
            sitload_analyze(path, code)  # warm: bytecode written, file in the page cache
        if acti_python:
            acti_motus(path, skip, acti_python)  # warm its bytecode too
        start_runs: list[Timing] = []
        floor_runs: list[tuple[Timing, Inside]] = []
        ours_runs: dict[Path, list[Timing]] = {code: [] for code in codes}
        acti_runs: list[tuple[Timing, Inside]] = []
        for _ in range(args.repeat):  # interleaved, so that a busy moment hits all alike
            start_runs.append(interpreter_start(sys.executable))
            floor_runs.append(pyarrow_alone(path, skip))
            for code in codes:
                ours_runs[code].append(sitload_analyze(path, code))
            if acti_python:
                acti_runs.append(acti_motus(path, skip, acti_python))
        print("whole processes (interpreter start, imports, read, work), median:")
        start = median(start_runs)
        show("    python -c pass (interpreter start)", start)
        floor = median([t for t, _ in floor_runs])
        inside = [i for _, i in floor_runs]
        show("(a) pyarrow: import + typed read", floor)
        print(
            f"    of which inside: imports {inside_median(inside, 'import_s'):.2f} s wall "
            f"{inside_median(inside, 'import_cpu_s'):.2f} s CPU, read "
            f"{inside_median(inside, 'read_s'):.2f} s wall "
            f"{inside_median(inside, 'work_cpu_s'):.2f} s CPU"
        )
        ours = {code: median(runs) for code, runs in ours_runs.items()}
        for code, timing in ours.items():
            show(f"(b) analyze --json, {code.name}", timing, ("(a)", floor))
        if not acti_python:
            print("(c) acti-motus: skipped (give --acti-python or $SITLOAD_ACTI_PYTHON)")
            return 0
        theirs = median([t for t, _ in acti_runs])
        inside = [i for _, i in acti_runs]
        show("(c) acti-motus: imports + pandas read + work", theirs)
        work = (inside_median(inside, "work_s"), inside_median(inside, "work_cpu_s"))
        print(
            f"    of which inside: imports {inside_median(inside, 'import_s'):.2f} s wall "
            f"{inside_median(inside, 'import_cpu_s'):.2f} s CPU, pandas read "
            f"{inside_median(inside, 'read_s'):.2f} s wall, read + work {work[0]:.2f} s "
            f"wall {work[1]:.2f} s CPU"
        )
        for code, timing in ours.items():
            wall, cpu = theirs[0] / timing[0], theirs[1] / timing[1]
            print(f"    (c) / (b) {code.name}: {wall:5.1f} x wall, {cpu:5.1f} x CPU (target 10)")
        print(
            f"floor for (c) / (b) = 10: (b) at most (c) / 10 = {theirs[0] / 10:.2f} s wall "
            f"{theirs[1] / 10:.2f} s CPU, against (a), a process that only reads the file: "
            f"{floor[0]:.2f} s wall {floor[1]:.2f} s CPU (the best (c) / (b) possible: "
            f"{theirs[0] / floor[0]:.1f} x wall, {theirs[1] / floor[1]:.1f} x CPU)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
