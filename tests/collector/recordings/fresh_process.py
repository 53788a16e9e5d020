"""A measurement taken in a fresh Python process, for tests whose figure a test
process would blur (what earlier tests left in its heap or in pyarrow's pool)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def last_line_of(script: str, *args: str) -> str:
    """Run ``script`` with this checkout's code and ``args``; its last line of output."""
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return out.stdout.strip().splitlines()[-1]
