"""House rules a reader relies on (issue 15): clinical values have one owner, names
say their units, and no module grows past 400 lines."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("analytics", "collector", "bench")
MAX_LINES = 400

# Where 90 (or 10, 120, 45) is not a clinical rule but geometry or a simulated body.
NOT_CLINICAL = {
    "analytics/hip_angle.py": "a thigh past level (90° from upright) is a geometric fact",
    "analytics/geometry.py": "angles between axes",
}
NOT_CLINICAL_PREFIXES = ("collector/sources/", "bench/")


def _sources(*packages: str) -> Iterator[tuple[str, str]]:
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def _clinical_literals(source: str) -> list[int]:
    """Lines comparing with, or passing, the hip limit as a literal number."""
    lines = []
    limit = RULES.hip_flexion_limit_deg
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.Call):
            operands = [*node.args, *(k.value for k in node.keywords)]
        elif isinstance(node, ast.Tuple):
            operands = list(node.elts)
        else:
            continue
        for op in operands:
            is_number = isinstance(op, ast.Constant) and type(op.value) in (int, float)
            if is_number and float(op.value) == limit:  # type: ignore[attr-defined]
                lines.append(op.lineno)
    return lines


def test_the_hip_limit_has_one_owner() -> None:
    found = []
    for rel, source in _sources("analytics", "collector"):
        if rel == "analytics/rules.py" or rel in NOT_CLINICAL:
            continue
        if rel.startswith(NOT_CLINICAL_PREFIXES):
            continue
        found += [f"{rel}:{line}" for line in _clinical_literals(source)]
    assert not found, f"the hip limit as a literal (read RULES.hip_flexion_limit_deg): {found}"


# A field or constant named for a clinical rule takes its value from analytics.rules.
_RULE_NAMES = re.compile(
    r"(^|_)(break_s|posture_hold_s|saddle_stand_s|sit_threshold_deg|hip_flexion)", re.I
)


def test_rule_fields_read_their_owner() -> None:
    found = []
    for rel, source in _sources("analytics", "collector"):
        if rel == "analytics/rules.py":
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                name, value = node.target.id, node.value
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                name, value = node.targets[0].id, node.value
            else:
                continue
            literal = isinstance(value, ast.Constant) and type(value.value) in (int, float)
            if literal and _RULE_NAMES.search(name):
                found.append(f"{rel}:{node.lineno} {name}")
    assert not found, f"clinical values written again (read analytics.rules.RULES): {found}"


_ARCHITECTURE_PATH = re.compile(r"\b((?:analytics|collector|config|deploy)/[\w./-]*\w)")


def test_the_readmes_architecture_names_only_what_exists() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    missing = sorted({m for m in _ARCHITECTURE_PATH.findall(section) if not (ROOT / m).exists()})
    assert not missing, f"the README's architecture names what the tree lacks: {missing}"


_MINIMUM = re.compile(r"(^|_)min_|^min[A-Z]|(^|_)MIN_")


def _defined_names(source: str) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name, node.lineno
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for a in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                yield a.arg, a.lineno
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.target.id, node.lineno
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    yield t.id, t.lineno
                elif isinstance(t, ast.Attribute):
                    yield t.attr, t.lineno


def test_min_means_minutes_never_minimum() -> None:
    """``_min`` is minutes; a lower bound is a ``floor`` (issue 15's naming rule)."""
    found = []
    for rel, source in _sources(*PACKAGES):
        for name, line in _defined_names(source):
            minutes = name.endswith("_min") or name.startswith("format_")  # "3 min 20 s"
            if _MINIMUM.search(name) and not minutes:
                found.append(f"{rel}:{line} {name}")
    assert not found, f"'min' meaning minimum: {sorted(set(found))}"


@pytest.mark.parametrize("package", [*PACKAGES, "tests"])
def test_no_module_over_400_lines(package: str) -> None:
    long = [
        f"{rel} ({source.count(chr(10))} lines)"
        for rel, source in _sources(package)
        if source.count("\n") > MAX_LINES
    ]
    assert not long, f"split these along their seams: {long}"
