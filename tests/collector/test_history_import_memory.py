"""`sitload history import` of a long recording in bounded memory (issue 13: a
simulated fortnight took 2.9 GB): the samples are read in blocks and reduced to
per-second epochs as they go (as `sitload analyze` reads them), never all in memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from collector.cli import main

REPO = Path(__file__).resolve().parents[2]
GROWTH_MB_MAX = 150.0
"""Peak RSS growth allowed for importing 8 h of 50 Hz thigh + trunk samples (1.44 M
samples: 69 MB as float64 arrays; the whole-file read peaked ~280 MB above the
start)."""

CHILD = """
import sys
from pathlib import Path
from zoneinfo import ZoneInfo
import pyarrow.csv  # noqa: F401  (imports are not the import's memory)
from analytics.compression import ExposureParams
from collector.history_import import analyse, import_analysed
from collector.sinks.history.sqlite_store import SqliteStore
import collector.recording_analysis, collector.recordings.chunked  # noqa: F401

def status_mb(key):  # VmHWM: this process image's peak (ru_maxrss keeps the parent's)
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no " + key)

start = status_mb("VmRSS")
a = analyse(Path(sys.argv[1]), fmt="auto", zone=ZoneInfo("UTC"), params=ExposureParams())
store = SqliteStore(Path(sys.argv[2]))
import_analysed(store, a, "p-0042")
store.close()
print(status_mb("VmHWM") - start, a.timeline.n)
"""


def test_importing_a_long_recording_keeps_memory_bounded(tmp_path: Path) -> None:
    rec = tmp_path / "8h.csv"
    made = CliRunner().invoke(main, ["simulate", "--hours", "8", "--fs", "50", "--out", str(rec)])
    assert made.exit_code == 0, made.output
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(rec), str(tmp_path / "h.db")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    growth_mb, seconds = done.stdout.split()
    assert int(seconds) == 8 * 3600
    assert float(growth_mb) < GROWTH_MB_MAX, growth_mb
