"""The packages' front doors (issue 15): ``analytics`` and ``collector`` export their
entry points, import them on first use, and the README's Python snippet runs."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from collector.recordings import write_recording
from collector.sources.simulator import simulate

REPO = Path(__file__).resolve().parents[1]


def _snippet() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use from Python", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "README: no python block under 'Use from Python'"
    return found.group(1)


@pytest.mark.parametrize("package", ["analytics", "collector"])
def test_every_exported_name_is_the_object_of_its_home_module(package: str) -> None:
    front = importlib.import_module(package)
    assert front.__all__ == sorted(front.__all__)
    for name in front.__all__:
        home = importlib.import_module(front._HOMES[name])
        assert getattr(front, name) is getattr(home, name), name
        assert name in dir(front)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = front.nope


@pytest.mark.parametrize("package", ["analytics", "collector"])
def test_importing_a_front_door_imports_none_of_its_names(package: str) -> None:
    script = (
        f"import sys, json, {package}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    assert package in loaded
    assert not loaded & {"numpy", "pydantic", "click", "rich"}, sorted(loaded)


def test_the_readme_python_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = _snippet()
    assert len([line for line in code.splitlines() if line.strip()]) == 3
    write_recording(simulate("desk", 2.0, 3).recording, tmp_path / "day.csv")
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), scope)
    report = scope["report"]
    from analytics.exposure import ExposureReport

    assert isinstance(report, ExposureReport)
    assert report.total.compression_s > 0
    assert report.bouts
