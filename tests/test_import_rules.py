"""Architecture rules from design.md, enforced on the source tree with ``ast``.

* ``analytics`` is the pure core: it imports only numpy, the standard library
  and itself, and never ``collector``;
* only files under ``collector/ble/`` import the BLE stack (bleak);
* only files under ``collector/sinks/`` import the MQTT and InfluxDB clients;
* ``config/`` is data only: no ``__init__.py``, no Python files.

Every ``import`` / ``from ... import`` is collected, wherever it sits (module
level, inside functions, under ``if TYPE_CHECKING:``), relative imports are
resolved against the file's package, and ``importlib.import_module("x")`` /
``__import__("x")`` calls with a literal name are counted too.

The checker is itself tested on a synthetic tree (``tmp_path``) so a rule that
can never fail would be noticed.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

CHECKED_PACKAGES = ("analytics", "collector")

ANALYTICS_ALLOWED_THIRD_PARTY = frozenset({"numpy"})

# Third-party top-level modules, and the only package folder allowed to import them.
RESTRICTED_IMPORTS: dict[str, tuple[str, ...]] = {
    # BLE stack: collector/ble/ only (bumble is a test-only virtual controller).
    "bleak": ("collector", "ble"),
    "bleak_retry_connector": ("collector", "ble"),
    "bumble": ("collector", "ble"),
    # MQTT and history clients: collector/sinks/ only.
    "paho": ("collector", "sinks"),
    "aiomqtt": ("collector", "sinks"),
    "influxdb_client": ("collector", "sinks"),
    "influxdb_client_3": ("collector", "sinks"),
}


@dataclass(frozen=True, slots=True)
class ImportRef:
    """One imported module name, resolved to an absolute dotted name."""

    path: Path
    lineno: int
    module: str

    @property
    def top(self) -> str:
        return self.module.split(".", 1)[0]

    def describe(self, root: Path) -> str:
        return f"{self.path.relative_to(root).as_posix()}:{self.lineno}: imports {self.module}"


def python_files(root: Path, package: str) -> Iterator[Path]:
    """Every .py file under ``root/package``, sorted, skipping hidden and cache folders."""
    base = root / package
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*.py")):
        rel_parts = path.relative_to(root).parts
        if any(part.startswith(".") or part == "__pycache__" for part in rel_parts):
            continue
        yield path


def module_name(root: Path, path: Path) -> tuple[str, bool]:
    """Dotted module name of ``path`` and whether it is a package ``__init__``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def resolve_relative(
    module: str, is_package: bool, level: int, target: str | None, path: Path, lineno: int
) -> str:
    """Absolute name for ``from <level dots><target> import ...`` written in ``module``."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    if level - 1 >= len(package):
        raise ValueError(
            f"{path}:{lineno}: relative import goes above the top-level package {package[0]!r}"
        )
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, target] if target else base)


def collect_imports(root: Path, path: Path) -> list[ImportRef]:
    """All imports in one file (any nesting depth), relative ones resolved."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    module, is_package = module_name(root, path)
    refs: list[ImportRef] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            refs.extend(ImportRef(path, node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert node.module is not None
                refs.append(ImportRef(path, node.lineno, node.module))
                continue
            base = resolve_relative(module, is_package, node.level, node.module, path, node.lineno)
            if node.module:
                refs.append(ImportRef(path, node.lineno, base))
            else:
                # ``from . import x``: x may be a submodule, so count base.x.
                refs.extend(
                    ImportRef(path, node.lineno, f"{base}.{alias.name}") for alias in node.names
                )
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                refs.append(ImportRef(path, node.lineno, first.value))
    return sorted(refs, key=lambda ref: (ref.lineno, ref.module))


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in {"__import__", "import_module"}
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "import_module"
        and isinstance(func.value, ast.Name)
        and func.value.id == "importlib"
    )


def all_imports(root: Path, package: str) -> list[ImportRef]:
    return [ref for path in python_files(root, package) for ref in collect_imports(root, path)]


# --- the rules: each returns human-readable violations, empty when clean -------------


def analytics_imports_collector(root: Path) -> list[str]:
    return [ref.describe(root) for ref in all_imports(root, "analytics") if ref.top == "collector"]


def analytics_foreign_imports(root: Path) -> list[str]:
    allowed = set(sys.stdlib_module_names) | ANALYTICS_ALLOWED_THIRD_PARTY | {"analytics"}
    return [
        ref.describe(root)
        + " (analytics may import only numpy, the standard library and analytics)"
        for ref in all_imports(root, "analytics")
        if ref.top not in allowed and ref.top != "collector"  # collector: its own rule
    ]


def restricted_import_violations(root: Path, tops: frozenset[str]) -> list[str]:
    violations: list[str] = []
    for package in CHECKED_PACKAGES:
        for ref in all_imports(root, package):
            if ref.top not in tops:
                continue
            allowed_dir = RESTRICTED_IMPORTS[ref.top]
            rel_parts = ref.path.relative_to(root).parts
            if rel_parts[: len(allowed_dir)] != allowed_dir:
                where = "/".join(allowed_dir) + "/"
                violations.append(f"{ref.describe(root)} (only files under {where} may)")
    return violations


BLE_MODULES = frozenset(k for k, v in RESTRICTED_IMPORTS.items() if v == ("collector", "ble"))
SINK_MODULES = frozenset(k for k, v in RESTRICTED_IMPORTS.items() if v == ("collector", "sinks"))


def config_violations(root: Path) -> list[str]:
    config = root / "config"
    if not config.is_dir():
        return []
    found = sorted(
        p for p in config.rglob("*") if p.is_file() and p.suffix in {".py", ".pyc", ".pyi"}
    )
    return [
        f"{p.relative_to(root).as_posix()}: config/ is data only (no __init__.py, no Python)"
        for p in found
    ]


def _fail_message(rule: str, violations: list[str]) -> str:
    return rule + ":\n  " + "\n  ".join(violations)


# --- the rules on this repository --------------------------------------------------


def test_checker_sees_the_packages() -> None:
    """Guard against a vacuous pass: the walk must find the real source files."""
    for package in CHECKED_PACKAGES:
        files = list(python_files(REPO_ROOT, package))
        assert files, f"no .py files found under {package}/"
        assert REPO_ROOT / package / "__init__.py" in files
    assert any(ref.top == "numpy" for ref in all_imports(REPO_ROOT, "analytics"))


def test_analytics_never_imports_collector() -> None:
    violations = analytics_imports_collector(REPO_ROOT)
    assert not violations, _fail_message("analytics must not import collector", violations)


def test_analytics_imports_only_numpy_and_stdlib() -> None:
    violations = analytics_foreign_imports(REPO_ROOT)
    assert not violations, _fail_message("analytics is numpy + stdlib only", violations)


def test_only_collector_ble_imports_bleak() -> None:
    violations = restricted_import_violations(REPO_ROOT, BLE_MODULES)
    assert not violations, _fail_message("bleak belongs to collector/ble/", violations)


def test_only_collector_sinks_import_mqtt_and_influxdb() -> None:
    violations = restricted_import_violations(REPO_ROOT, SINK_MODULES)
    assert not violations, _fail_message(
        "paho / influxdb_client belong to collector/sinks/", violations
    )


def test_config_is_data_only() -> None:
    violations = config_violations(REPO_ROOT)
    assert not violations, _fail_message("config/ holds data only", violations)


# --- the checker on a synthetic tree ------------------------------------------------


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def synthetic_tree(tmp_path: Path) -> Path:
    _write(tmp_path, "analytics/__init__.py", "from . import core\n")
    _write(
        tmp_path,
        "analytics/core.py",
        "from __future__ import annotations\n"
        "import json\n"
        "import numpy as np\n"
        "from .records import Posture\n"
        "\n"
        "def leak():\n"
        "    import collector.cli\n"  # line 7: inside a function
        "    from scipy import signal\n"  # line 8: third party
        "    return collector, signal\n",
    )
    _write(tmp_path, "analytics/records.py", "import enum\nclass Posture(enum.IntEnum): ...\n")
    _write(tmp_path, "analytics/sub/__init__.py", "from .. import records\nfrom . import deep\n")
    _write(tmp_path, "analytics/sub/deep.py", "import importlib\nimportlib.import_module('paho')\n")
    _write(tmp_path, "collector/__init__.py", "")
    _write(tmp_path, "collector/ble/__init__.py", "")
    _write(tmp_path, "collector/ble/scan.py", "from bleak import BleakScanner\nimport bumble\n")
    _write(
        tmp_path,
        "collector/sources/replay.py",
        "from ..ble import scan\nimport bleak.backends\n",  # line 2: bleak outside ble/
    )
    _write(tmp_path, "collector/sinks/mqtt.py", "import paho.mqtt.client as mqtt\n")
    _write(
        tmp_path,
        "collector/cli.py",
        "def main():\n    from influxdb_client import InfluxDBClient\n",  # line 2
    )
    _write(tmp_path, "config/__init__.py", "")
    _write(tmp_path, "config/desk.toml", "[posture]\nmin_bout_s = 10\n")
    return tmp_path


def test_checker_resolves_relative_imports(synthetic_tree: Path) -> None:
    root = synthetic_tree
    modules = {ref.module for ref in all_imports(root, "analytics")}
    assert {
        "analytics.core",
        "analytics.records",
        "analytics.sub.deep",
        "collector.cli",
        "paho",
    } <= modules
    replay = collect_imports(root, root / "collector/sources/replay.py")
    assert [ref.module for ref in replay] == ["collector.ble", "bleak.backends"]


def test_checker_flags_a_violating_tree(synthetic_tree: Path) -> None:
    root = synthetic_tree
    assert analytics_imports_collector(root) == ["analytics/core.py:7: imports collector.cli"]
    assert [v.split(" (")[0] for v in analytics_foreign_imports(root)] == [
        "analytics/core.py:8: imports scipy",
        "analytics/sub/deep.py:2: imports paho",
    ]
    assert restricted_import_violations(root, BLE_MODULES) == [
        "collector/sources/replay.py:2: imports bleak.backends"
        " (only files under collector/ble/ may)"
    ]
    assert [v.split(" (")[0] for v in restricted_import_violations(root, SINK_MODULES)] == [
        "analytics/sub/deep.py:2: imports paho",
        "collector/cli.py:2: imports influxdb_client",
    ]
    assert [v.split(":")[0] for v in config_violations(root)] == ["config/__init__.py"]


def test_checker_passes_a_clean_tree(tmp_path: Path) -> None:
    _write(tmp_path, "analytics/__init__.py", "import math\nimport numpy.typing as npt\n")
    _write(tmp_path, "collector/__init__.py", "import analytics\n")
    _write(tmp_path, "collector/ble/source.py", "import bleak\n")
    _write(tmp_path, "collector/sinks/history.py", "from influxdb_client import Point\n")
    _write(tmp_path, "config/cyclist.toml", "")
    assert analytics_imports_collector(tmp_path) == []
    assert analytics_foreign_imports(tmp_path) == []
    assert restricted_import_violations(tmp_path, BLE_MODULES | SINK_MODULES) == []
    assert config_violations(tmp_path) == []


def test_checker_rejects_relative_import_above_top_level(tmp_path: Path) -> None:
    _write(tmp_path, "analytics/core.py", "from .. import collector\n")
    with pytest.raises(ValueError, match="above the top-level package"):
        all_imports(tmp_path, "analytics")
