"""The real recordings beside the project (``../shared/data``, see its README): their
folder, and a folder's files, the test skipped where they are absent (CI has them)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()


def shared_paths(folder: Path, pattern: str) -> list[Path]:
    """The files of ``folder`` matching ``pattern``, sorted; skips the test when none."""
    paths = sorted(folder.glob(pattern))
    if not paths:
        pytest.skip(f"{folder} is absent (../shared/data not beside the project)")
    return paths
