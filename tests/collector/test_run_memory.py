"""``sitload run``'s memory over several simulated days (issue 14): the whole service
path — simulator, replay, live engine, console and SQLite history — holds a few
minutes of samples, never a whole simulated day (a piece), and the same from one
piece to the next.

The run is a child process (its peak RSS is its own, not the test session's), thigh
only and with pieces of four hours instead of days, so that it takes seconds: the
same code path as a week, with less data. No wall-clock assertion.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIECE_H = 4.0
PIECES = 3
PIECE_SAMPLES_B = PIECE_H * 3600 * 50.0 * 4 * 8
"""One piece's samples as float64: t_s and a 3-axis thigh accelerometer (23 MB)."""

CHILD = r"""
import asyncio, dataclasses, json, os, sys, threading
from pathlib import Path

from rich.console import Console

from collector.config import Overrides, SourceSettings, load_settings
from collector.service.app import build_sinks, open_history
from collector.service.plans import SimulationPlan
from collector.service.runner import Service

T0 = 1_795_420_800.0
piece_h, pieces, tmp = float(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
source = SourceSettings(
    kind="simulate", profile="desk", hours=piece_h * pieces, seed=4, speed=1e6, trunk=False
)
settings = load_settings(
    None, Overrides(state_dir=tmp / "state", history_url=f"sqlite:///{tmp / 'h.db'}")
)
settings = dataclasses.replace(settings, timezone="UTC", mqtt=None, source=source)
service = Service(
    settings,
    SimulationPlan(source, lambda: T0, chunk_h=piece_h),
    build_sinks(settings, Console(file=open(os.devnull, "w"))),
    history=open_history(settings),
    extra_state={"sim_start_t_s": T0},
)


def status_b(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/self/status")


peaks = [0] * pieces
done = threading.Event()


def watch():
    while not done.wait(0.05):
        last = service.summary.last_t_s
        k = 0 if last is None else min(int((last - T0) // (piece_h * 3600.0)), pieces - 1)
        peaks[k] = max(peaks[k], status_b("VmRSS"))


base = status_b("VmRSS")
watcher = threading.Thread(target=watch, daemon=True)
watcher.start()
summary = asyncio.run(service.run(handle_signals=False))
done.set()
watcher.join()
print(json.dumps(
    {"base_b": base, "hwm_b": status_b("VmHWM"), "peaks_b": peaks, "seconds": summary.seconds}
))
"""


def test_a_run_of_several_pieces_holds_minutes_not_a_piece(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(PIECE_H), str(PIECES), str(tmp_path)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    run = json.loads(out.stdout.strip().splitlines()[-1])
    assert run["seconds"] >= PIECES * PIECE_H * 3600 - 60  # every piece went through
    grown = (run["hwm_b"] - run["base_b"]) / PIECE_SAMPLES_B
    # the old service made each piece whole (4.4x its samples at the peak: the
    # simulator's whole-piece temporaries, then the piece kept while replayed); now
    # the engine's, the store's and the imports' own memory and a few minutes of
    # samples (2.1x)
    assert grown < 3.0, f"peak RSS over the start: {grown:.2f}x a piece's samples"
    peaks = run["peaks_b"]
    growth_mb = (max(peaks[1:]) - peaks[1]) / 1e6
    assert growth_mb < 10.0, f"RSS grew by {growth_mb:.1f} MB after the first piece: {peaks}"
