"""The wording catalogue: every sentence the policy raises is built there."""

from __future__ import annotations

import ast
from pathlib import Path

from analytics import alert_wording as wording
from analytics.alert_records import AlertKind, Status

ANALYTICS = Path(__file__).resolve().parents[2] / "analytics"
RULE_MODULES = ("alert_rules.py", "alert_hip_saddle.py", "alert_commands.py", "alert_state.py")


def _sentences(source: str) -> list[str]:
    """String literals and f-strings with a space in them; docstrings, ``raise``
    messages (for programmers, not the person) and ``__str__`` (a command's own text,
    in the grammar :func:`analytics.alert_commands.parse_command` reads) aside."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # attribute docstrings
        if isinstance(node, ast.Raise) or (
            isinstance(node, ast.FunctionDef) and node.name == "__str__"
        ):
            skip.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            skip.update(id(n) for n in ast.walk(node))
            parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
            if any(" " in str(p) for p in parts):
                found.append(f"line {node.lineno}: f-string")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value:
            found.append(f"line {node.lineno}: {node.value!r}")
    return found


def test_the_rules_hold_no_wording() -> None:
    found = {
        name: _sentences((ANALYTICS / name).read_text(encoding="utf-8")) for name in RULE_MODULES
    }
    assert not any(found.values()), f"move these sentences to analytics/alert_wording.py: {found}"


def test_whole_minutes() -> None:
    assert [wording.whole_minutes(s) for s in (1799, 1800, 4199.9)] == [29, 30, 69]


def test_every_status_has_a_sentence() -> None:
    assert set(wording.STATUS) == set(Status)
    assert wording.stand_prompt(AlertKind.REPEAT, 3600, 300) == (
        "Still sitting after 60 min: stand up for 5 min."
    )
