"""The pre-commit hooks run the checks ``.ci/run`` runs (issue 15), so they cannot
drift apart: the same ruff check, ruff format --check and mypy, on the same paths."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_the_hooks_are_the_ci_checks() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    (paths,) = re.findall(r"^LINT_PATHS=\(([^)]*)\)", ci, re.M)
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    assert entries == [
        f".venv/bin/ruff check {paths}",
        f".venv/bin/ruff format --check {paths}",
        ".venv/bin/mypy",
    ]
    for check in ('"$VENV/bin/ruff" check', '"$VENV/bin/ruff" format --check', '"$VENV/bin/mypy"'):
        assert check in ci
