"""Each optional feature without its extra: one line naming the extra, exit 2, no
traceback — run as the command line, in a subprocess where the extra's module
cannot be imported (``sys.modules[name] = None``, as if it were not installed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from collector.extras import EXTRA_OF, MissingExtraError, install_hint, is_missing, require
from collector.recordings import write_recording
from collector.sources.simulator import simulate

REPO = Path(__file__).resolve().parents[2]
FIT = REPO / "tests" / "fixtures" / "fit" / "garmin-edge-820-bike.fit"

_WITHOUT = """\
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # import name -> ModuleNotFoundError, as if not installed
sys.argv = ["sitload", *sys.argv[2:]]
from collector.cli import main
main()
"""


def sitload_without(
    modules: str, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "HOME": str(cwd),
        "XDG_CONFIG_HOME": str(cwd / "config"),
        "XDG_STATE_HOME": str(cwd / "state"),
        "XDG_DATA_HOME": str(cwd / "data"),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        **(env or {}),
    }
    environ.pop("SITLOAD_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT, modules, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=300,
        check=False,
    )


def assert_names_the_extra(done: subprocess.CompletedProcess[str], extra: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("sitload: error:")]
    assert len(errors) == 1, done.stderr
    assert errors[0].endswith(f"run pip install 'sitload[{extra}]'"), errors[0]


@pytest.fixture(scope="module")
def csv_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("day") / "day.csv"
    write_recording(simulate("desk", 0.1, 1).recording, path)
    return path


def test_parquet_recordings_name_the_parquet_extra(tmp_path: Path) -> None:
    out = tmp_path / "day.parquet"
    done = sitload_without(
        "pyarrow", "simulate", "--hours", "0.05", "--out", str(out), cwd=tmp_path
    )
    assert_names_the_extra(done, "parquet")
    assert "Parquet" in done.stderr


def test_reading_parquet_names_the_parquet_extra(tmp_path: Path) -> None:
    path = tmp_path / "day.parquet"
    write_recording(simulate("desk", 0.05, 1).recording, path)
    assert_names_the_extra(
        sitload_without("pyarrow", "analyze", str(path), cwd=tmp_path), "parquet"
    )


def test_csv_recordings_need_no_extra(tmp_path: Path, csv_day: Path) -> None:
    """Without pyarrow a CSV file is read by the core's own parser."""
    done = sitload_without(
        "pyarrow,matplotlib,bumble,fitdecode", "analyze", str(csv_day), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "total" in done.stdout


def test_the_virtual_radio_names_the_sim_extra(tmp_path: Path) -> None:
    out = tmp_path / "ble.csv"
    done = sitload_without(
        "bumble", "simulate", "--ble", "--hours", "0.05", "--out", str(out), cwd=tmp_path
    )
    assert_names_the_extra(done, "sim")
    assert "simulate --ble" in done.stderr
    assert not out.exists()


def test_the_posture_simulator_needs_no_extra(tmp_path: Path) -> None:
    out = tmp_path / "day.csv"
    done = sitload_without(
        "pyarrow,matplotlib,bumble,fitdecode,influxdb_client",
        "simulate",
        "--hours",
        "0.05",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert out.exists()


def test_the_html_report_needs_no_extra(tmp_path: Path) -> None:
    """The HTML report's charts are written straight as SVG: no matplotlib."""
    from tests.review_store import simulate_history, sqlite_history

    history = simulate_history(n_days=3)
    sqlite_history(history, tmp_path / "history.db")
    out = tmp_path / "review.html"
    done = sitload_without(
        "matplotlib",
        "report",
        "--out",
        str(out),
        "--user",
        history.user,
        "--from",
        history.first_day.isoformat(),
        "--to",
        history.last_day.isoformat(),
        "--tz",
        history.tz,
        "--history",
        f"sqlite:///{tmp_path / 'history.db'}",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").count("<svg") >= 5


def test_fit_rides_name_the_fit_extra(tmp_path: Path, csv_day: Path) -> None:
    assert_names_the_extra(sitload_without("fitdecode", "analyze", str(FIT), cwd=tmp_path), "fit")
    joined = sitload_without("fitdecode", "analyze", str(csv_day), "--ride", str(FIT), cwd=tmp_path)
    assert_names_the_extra(joined, "fit")


@pytest.mark.parametrize(
    "url",
    ["influxdb-v1://127.0.0.1:9/sitload", "influxdb://127.0.0.1:9?org=o&bucket=b"],
)
def test_an_influxdb_history_names_the_influxdb_extra(tmp_path: Path, url: str) -> None:
    config = tmp_path / "short.toml"
    config.write_text('[source]\nkind = "simulate"\nhours = 0.05\nspeed = 1e6\n')
    done = sitload_without(
        "influxdb_client",
        "run",
        "--config",
        str(config),
        "--state-dir",
        str(tmp_path / "state"),
        "--history",
        url,
        cwd=tmp_path,
        env={"SITLOAD_INFLUX_TOKEN": "t"},
    )
    assert_names_the_extra(done, "influxdb")
    assert "influxdb-client" in done.stderr


def test_require_tells_a_missing_module_from_a_broken_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "fitdecode", None)
    with pytest.raises(MissingExtraError) as caught:
        require("fitdecode", "reading FIT ride files")
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        "reading FIT ride files needs fitdecode, which is not installed; "
        "run pip install 'sitload[fit]'"
    )
    # an import error inside the module (not the module missing) is not hidden
    assert not is_missing(ModuleNotFoundError("x", name="six"), "matplotlib")
    assert is_missing(ModuleNotFoundError("x", name="matplotlib.pyplot"), "matplotlib")


def test_every_extra_is_declared_and_pulled_by_all_and_test() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    core = " ".join(project["dependencies"])
    for module, extra in EXTRA_OF.items():
        assert extra in extras, extra
        assert module.replace("_", "-") not in core, f"{module} is in the core dependencies"
        assert install_hint(module) == f"pip install 'sitload[{extra}]'"
    (everything,) = extras["all"]
    assert everything.startswith("sitload[")
    assert set(everything.removeprefix("sitload[").rstrip("]").split(",")) == set(EXTRA_OF.values())
    assert "sitload[all]" in extras["test"]
