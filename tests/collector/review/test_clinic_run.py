"""The clinic's worker processes (collector/review/clinic_run.py): forked after the
report's modules are imported, so no worker imports them again. Run in a fresh
interpreter (a process running other threads spawns its workers instead)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from collector.review.clinic_run import worker_pool

REPO = Path(__file__).resolve().parents[3]

SCRIPT = """
import json, os, sys
from collector.review.clinic_run import worker_pool

def loaded(module):
    return os.getpid(), module in sys.modules

if __name__ == "__main__":
    before = "matplotlib" in sys.modules
    with worker_pool(2, ("html", "json")) as pool:
        pid, charts = pool.submit(loaded, "collector.review.charts").result()
    print(json.dumps({"before": before, "other": pid != os.getpid(), "charts": charts}))
"""


def test_workers_start_with_the_report_modules_imported(tmp_path: Path) -> None:
    script = tmp_path / "pool.py"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    got = json.loads(done.stdout.splitlines()[-1])
    assert got == {"before": False, "other": True, "charts": True}  # imported before the fork


def test_one_worker_is_this_process() -> None:
    with worker_pool(1, ("html",)) as pool:
        assert pool is None
