"""Speed benchmark: ``sitload analyze`` of 24 h of a 25 Hz thigh CSV, against reading
the same file with pyarrow alone and against acti-motus, in the same run (issue 14).

    python bench/speed_analyze.py [--hours 24] [--fs-hz 25] [--repeat 3] [--code DIR]
                                  [--acti-python PATH] [--dir DIR]

Writes the recording (a simulated desk day, thigh accelerometer only, sitload's CSV
format, in a temporary directory unless ``--dir``), then times, median of
``--repeat``:

* **(a) pyarrow alone**: ``pyarrow.csv.read_csv`` of the file with typed float64
  columns, in this process (the floor: reading the file, nothing else);
* **(b) sitload analyze**: the whole ``python -m collector.cli analyze FILE --json``
  command as a child process (interpreter start, imports, reading, checks, analysis,
  JSON), with the code in ``--code`` (default: this checkout);
* **(c) acti-motus**: ``Features().compute`` + ``Activities().compute`` on the same
  file read with pandas, in a child process of the Python named by ``--acti-python``
  or ``$SITLOAD_ACTI_PYTHON`` (a separate venv with ``pip install acti-motus``);
  the time is measured inside the child (read + features + activities, not its
  interpreter start or imports, which favours acti-motus). "skipped" when absent.

Targets: (b) ≤ 2 × (a), and (c) ≥ 10 × (b).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_S = 1_767_225_600.0  # 2026-01-01T00:00Z

ACTI_SCRIPT = r"""
import json, sys, time
import pandas as pd
from actimotus import Activities, Features

path, skip = sys.argv[1], int(sys.argv[2])
t = time.perf_counter()
df = pd.read_csv(path, skiprows=skip, usecols=["t_s", "thigh_ax_g", "thigh_ay_g", "thigh_az_g"])
df.index = pd.to_datetime(df.pop("t_s"), unit="s", utc=True).rename("datetime")
df.columns = ["acc_x", "acc_y", "acc_z"]
t_read = time.perf_counter() - t
features = Features().compute(df)
activities, _ = Activities().compute(features)
total = time.perf_counter() - t
print(json.dumps({"read_s": t_read, "total_s": total, "epochs": len(activities)}))
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


def pyarrow_alone(path: Path, skip: int) -> tuple[float, int]:
    """(seconds, rows) of pyarrow's typed read of the whole file."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = ["t_s", "thigh_ax_g", "thigh_ay_g", "thigh_az_g"]
    t = time.perf_counter()
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(skip_rows=skip),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.float64() for n in names}),
    )
    return time.perf_counter() - t, table.num_rows


def sitload_analyze(path: Path, code: Path) -> float:
    """Wall seconds of the whole ``analyze --json`` command in a child process, with
    compiled bytecode like an installed sitload (PYTHONDONTWRITEBYTECODE is dropped;
    :func:`main` runs the command once before timing it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(code)
    cmd = [sys.executable, "-m", "collector.cli", "analyze", str(path), "--json", "--tz", "UTC"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=code, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"sitload analyze failed ({proc.returncode}): {proc.stderr.strip()}")
    json.loads(proc.stdout)  # the whole document was written
    return wall


def acti_motus(path: Path, skip: int, python: str) -> dict[str, float]:
    proc = subprocess.run(
        [python, "-c", ACTI_SCRIPT, str(path), str(skip)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"acti-motus failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def median_of(repeat: int, fn: object) -> float:
    assert callable(fn)
    return statistics.median(fn() for _ in range(repeat))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--fs-hz", type=float, default=25.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--code", type=Path, default=ROOT, help="the sitload checkout to time")
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
    with tempfile.TemporaryDirectory(prefix="sitload-speed-") as tmp:
        where = args.dir or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        path = where / f"thigh-{args.hours:g}h-{args.fs_hz:g}hz.csv"
        if not path.exists():
            write_in_child(path, args.hours, args.fs_hz)
        skip = comment_lines(path)
        rows = pyarrow_alone(path, skip)[1]
        print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB, {rows:,d} rows)")
        print(f"code: {args.code}")
        floor = median_of(args.repeat, lambda: pyarrow_alone(path, skip)[0])
        print(f"(a) pyarrow typed read alone:       {floor:7.2f} s")
        sitload_analyze(path, args.code)  # warm: bytecode written, file in the page cache
        ours = median_of(args.repeat, lambda: sitload_analyze(path, args.code))
        print(f"(b) sitload analyze --json (whole): {ours:7.2f} s   = {ours / floor:.2f} x (a)")
        if not args.acti_python or not Path(args.acti_python).exists():
            print("(c) acti-motus: skipped (give --acti-python or $SITLOAD_ACTI_PYTHON)")
            return 0
        runs = [acti_motus(path, skip, args.acti_python) for _ in range(args.repeat)]
        theirs = statistics.median(r["total_s"] for r in runs)
        read = statistics.median(r["read_s"] for r in runs)
        print(
            f"(c) acti-motus read + features + activities: {theirs:7.2f} s "
            f"(pandas read {read:.2f} s) = {theirs / ours:.1f} x (b)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
