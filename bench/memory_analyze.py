"""Memory benchmark: peak RSS of ``sitload analyze`` on long 50 Hz thigh + trunk CSV
recordings, against the size of the recording's samples as float32 arrays.

    python bench/memory_analyze.py [--days 1 --days 3] [--code DIR] [--dir DIR] [--import]

Writes each recording (simulated desk days, 6 h blocks, in a temporary directory
unless ``--dir``), runs ``sitload analyze FILE --json`` in a child process and reads
that child's peak RSS (``wait4``). ``--code DIR`` runs the sitload code in DIR (for
example a checkout of an older commit) instead of this one.

``--import`` also runs ``sitload history import`` of each recording into a SQLite
file in the same run (issue 13: it read the file whole; now streamed like analyze).

Targets (issue 16): peak RSS ≤ 1.5 × the float32 sample arrays, and flat in the
file length (streaming: the per-second epochs grow, the samples are never all in
memory). A week at 50 Hz is a 2.3 GB CSV; generating it takes minutes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK_H = 6.0
FS_HZ = 50.0
COLUMNS = 7  # t_s and two 3-axis accelerometers
START_S = 1_767_225_600.0  # 2026-01-01T00:00Z


def write_days(path: Path, days: float) -> int:
    """A recording of ``days`` of simulated desk work at 50 Hz; returns its rows."""
    sys.path.insert(0, str(ROOT))
    from collector.recordings.csv_writer import write_csv_chunk
    from collector.sources.simulator import simulate

    rows = 0
    blocks = max(1, round(days * 24 / BLOCK_H))
    with open(path, "wb") as f:
        for i in range(blocks):
            sim = simulate(
                "desk", BLOCK_H, seed=100 + i, fs_hz=FS_HZ, start_t_s=START_S + i * BLOCK_H * 3600
            )
            write_csv_chunk(f, sim.recording, header=i == 0)
            rows += sim.recording.n
    return rows


def write_in_child(path: Path, days: float) -> int:
    """:func:`write_days` in a child process: this process stays small, so the peak
    RSS of the analysing child (which starts as a copy of this one) is its own."""
    out = subprocess.run(
        [sys.executable, __file__, "--write", str(path), "--days", str(days)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


def peak_rss_bytes(path: Path, code: Path, history: Path | None = None) -> tuple[int, float, int]:
    """(peak RSS of ``sitload analyze`` — or of ``sitload history import`` into the
    SQLite file ``history`` —, wall seconds, exit code)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [sys.executable, "-m", "collector.cli", "analyze", str(path), "--json", "--tz", "UTC"]
    if history is not None:
        history.unlink(missing_ok=True)
        cmd = [
            sys.executable, "-m", "collector.cli", "history", "import", str(path),
            "--user", "p-mem", "--tz", "UTC", "--history", f"sqlite:///{history}",
        ]  # fmt: skip
    t = time.perf_counter()
    proc = subprocess.Popen(  # in ``code``: ``-m`` puts the working directory first
        cmd, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if proc.stderr is not None:
        err = proc.stderr.read().decode(errors="replace").strip()
        if err:
            print(err, file=sys.stderr)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss * 1024, wall, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=float, action="append", help="recording length (repeatable)")
    ap.add_argument("--code", type=Path, default=ROOT)
    ap.add_argument("--dir", type=Path, help="keep the recordings here (reused if present)")
    ap.add_argument(
        "--import",
        dest="history_import",
        action="store_true",
        help="also `sitload history import` of each recording into SQLite (issue 13)",
    )
    ap.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.write is not None:
        print(write_days(args.write, args.days[0]))
        return 0
    sizes = args.days or [1.0, 3.0]
    with tempfile.TemporaryDirectory(prefix="sitload-mem-") as tmp:
        where = args.dir or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        print(f"code: {args.code}")
        print(f"{'days':>5} {'rows':>12} {'CSV MB':>8} {'f32 MB':>8} {'peak MB':>8} {'ratio':>6}")
        for days in sizes:
            path = where / f"desk-{days:g}d.csv"
            rows_file = path.with_suffix(".rows")
            if path.exists() and rows_file.exists():
                rows = int(rows_file.read_text())
            else:
                rows = write_in_child(path, days)
                rows_file.write_text(str(rows))
            f32 = rows * COLUMNS * 4
            peak, wall, code = peak_rss_bytes(path, args.code)
            status = "" if code == 0 else f"  (exit {code})"
            print(
                f"{days:5g} {rows:12,d} {path.stat().st_size / 1e6:8.0f} {f32 / 1e6:8.0f} "
                f"{peak / 1e6:8.0f} {peak / f32:6.2f}   {wall:.0f} s{status}"
            )
            if args.history_import:
                peak, wall, code = peak_rss_bytes(path, args.code, Path(tmp) / "history.db")
                status = "" if code == 0 else f"  (exit {code})"
                print(
                    f"{'':>5} {'history import':>12} {'':>8} {'':>8} "
                    f"{peak / 1e6:8.0f} {peak / f32:6.2f}   {wall:.0f} s{status}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
