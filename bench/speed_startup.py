"""Cold start benchmark (issue 14): how long ``sitload`` takes to start, against a bare
``python -c pass`` measured in the same run.

    python bench/speed_startup.py [--runs 15] [--code DIR]

Times, each in a fresh interpreter, taking the median of ``--runs`` interleaved runs
(so a machine that slows down mid-run slows every command alike):

* ``python -c pass``: the baseline, the interpreter alone;
* ``python -m collector.cli --help``: the command listing;
* ``python -m collector.cli analyze --help``: one command's help (loads its module);
* ``python -m collector.cli analyze SMALL.csv --json``: 15 simulated minutes at
  50 Hz (written first, not timed).

Prints each median (wall and CPU seconds of the child) and its ratio to the baseline.
Targets: ``--help`` within 0.3 s; ``analyze`` of a small file dominated by the
analysis libraries it needs (numpy), not by the other commands' (matplotlib, pyarrow
for Parquet, bumble, influxdb-client, pydantic). ``--code DIR`` runs the sitload code
in DIR (for example a checkout of an older commit) instead of this one.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run of ``cmd`` in a child (run in
    ``cwd``: ``python -m`` imports from the working directory first)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def write_small(path: Path, code: Path) -> None:
    sys.path.insert(0, str(code))
    from collector.recordings import write_recording
    from collector.sources.simulator import simulate

    write_recording(simulate("desk", 0.25, seed=1).recording, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--code", type=Path, default=ROOT, help="sitload checkout to time")
    args = ap.parse_args()
    code = args.code.resolve()
    env = {**os.environ, "PYTHONPATH": str(code)}
    with tempfile.TemporaryDirectory(prefix="sitload-startup-") as tmp:
        small = Path(tmp) / "small.csv"
        write_small(small, code)
        py = [sys.executable]
        commands = {
            "python -c pass": [*py, "-c", "pass"],
            "sitload --help": [*py, "-m", "collector.cli", "--help"],
            "sitload analyze --help": [*py, "-m", "collector.cli", "analyze", "--help"],
            "sitload analyze small.csv": [
                *py,
                *("-m", "collector.cli", "analyze", str(small), "--json", "--tz", "UTC"),
            ],
        }
        for cmd in commands.values():  # warm-up: file caches, bytecode
            timed(cmd, env, code)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                wall, cpu = timed(cmd, env, code)
                walls[name].append(wall)
                cpus[name].append(cpu)
    base_wall = statistics.median(walls["python -c pass"])
    base_cpu = statistics.median(cpus["python -c pass"])
    print(f"code: {code}; {args.runs} interleaved runs each, medians")
    print(f"{'command':<28}{'wall s':>9}{'cpu s':>9}{'wall / pass':>13}{'cpu / pass':>12}")
    for name in commands:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"{name:<28}{wall:9.3f}{cpu:9.3f}{wall / base_wall:13.1f}{cpu / base_cpu:12.1f}")


if __name__ == "__main__":
    main()
