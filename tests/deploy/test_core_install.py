"""The core install alone, as a new user gets it: ``pip install sitload`` (from this
checkout) into a fresh venv, its dependencies resolved from PyPI (or pip's cache),
no extra. The live service on a simulated desk day, the physio report of its history
(charts and all) and ``analyze`` of a CSV work;
a feature that needs an extra says which.

Slow (a venv and a real install, once per session): marked ``core_install``; CI runs
it (``bash .ci/run``), ``-m "not core_install"`` leaves it out. It needs PyPI or a
pip cache that has the core's dependencies: without them it fails, naming pip's
error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from collector.extras import EXTRA_OF

pytestmark = pytest.mark.core_install

REPO = Path(__file__).resolve().parents[2]
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "analytics", "collector")
OPTIONAL = {"pyarrow", "bumble", "fitdecode", "influxdb-client"}
CORE_MAX_BYTES = 200_000_000
"""The core install's site-packages, a bound for SD cards (measured: 131 MB)."""


@dataclass(frozen=True)
class CoreInstall:
    venv: Path
    home: Path

    def sitload(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SITLOAD_"))}
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_STATE_HOME=str(self.home / ".local/state"),
            XDG_DATA_HOME=str(self.home / ".local/share"),
            TZ="UTC",
        )
        return subprocess.run(
            [str(self.venv / "bin" / "sitload"), *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            timeout=300,
            check=False,
        )


def _copy_project(to: Path) -> Path:
    """The files a wheel is built from (no .venv, build/ or egg-info in the checkout)."""
    to.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, to / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, to / name)
    return to


@pytest.fixture(scope="session")
def core(tmp_path_factory: pytest.TempPathFactory) -> CoreInstall:
    root = tmp_path_factory.mktemp("core-install")
    project = _copy_project(root / "src")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(project)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, (
        "pip could not install the core (it needs PyPI or a pip cache; leave this test "
        f'out with -m "not core_install"):\n{done.stderr[-3000:]}'
    )
    home = root / "home"
    home.mkdir()
    return CoreInstall(venv, home)


def test_the_core_installs_none_of_the_extras(core: CoreInstall) -> None:
    listed = subprocess.run(
        [str(core.venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    installed = {line.partition("==")[0].lower() for line in listed.splitlines()}
    assert "sitload" in installed
    assert not installed & OPTIONAL, sorted(installed & OPTIONAL)
    assert {m.replace("_", "-") for m in EXTRA_OF} == OPTIONAL


def test_the_core_install_stays_small(core: CoreInstall) -> None:
    """131 MB on x86-64 when written (numpy 72 MB of it, pip and setuptools 21 MB);
    every extra brings it to 464 MB (pyarrow alone 170 MB)."""
    (site,) = (core.venv / "lib").glob("python3.*/site-packages")
    size_b = sum(f.stat().st_size for f in site.rglob("*") if f.is_file() and not f.is_symlink())
    assert size_b < CORE_MAX_BYTES, f"the core install is {size_b / 1e6:.0f} MB"


def test_the_live_service_runs_a_simulated_desk_day(core: CoreInstall, tmp_path: Path) -> None:
    config = tmp_path / "short.toml"
    config.write_text('[source]\nkind = "simulate"\nhours = 0.25\nspeed = 1e6\n')
    done = core.sitload(
        "run",
        "--config",
        str(config),
        "--source",
        "simulate:desk",
        "--state-dir",
        str(tmp_path / "state"),
        "--history",
        f"sqlite:///{tmp_path / 'history.db'}",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "stopped (end of data): 900 s of data" in done.stdout + done.stderr
    assert (tmp_path / "history.db").stat().st_size > 0
    # the physio report of that history, charts included, needs no extra
    report = core.sitload(
        "report", "--out", "review.html", "--history", f"sqlite:///{tmp_path / 'history.db'}",
        "--tz", "UTC", cwd=tmp_path,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "review.html").read_text()
    assert page.count("<svg") >= 4, page.count("<svg")


def test_a_csv_recording_is_simulated_and_analysed(core: CoreInstall, tmp_path: Path) -> None:
    day = tmp_path / "day.csv"
    simulated = core.sitload("simulate", "--hours", "0.5", "--out", str(day), cwd=tmp_path)
    assert simulated.returncode == 0, simulated.stderr
    done = core.sitload("analyze", str(day), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "total" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("simulate", "--ble", "--hours", "0.05", "--out", "ble.csv"), "sim"),
        (("simulate", "--hours", "0.05", "--out", "day.parquet"), "parquet"),
    ],
)
def test_a_feature_without_its_extra_names_it(
    core: CoreInstall, tmp_path: Path, args: tuple[str, ...], extra: str
) -> None:
    done = core.sitload(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().endswith(f"run pip install 'sitload[{extra}]'"), done.stderr
