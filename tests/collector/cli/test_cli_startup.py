"""Cold start (issue 14): the command line imports the heavy libraries only on the
paths that need them. Each check runs in a fresh interpreter (``sys.modules``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli import main

REPO = Path(__file__).resolve().parents[3]

NEVER_AT_START = ("matplotlib", "pyarrow", "bumble", "bleak", "influxdb_client", "paho")
"""Libraries no command imports before it needs them."""
NOT_FOR_HELP = (*NEVER_AT_START, "pydantic", "numpy", "rich", "analytics")
"""``sitload --help`` needs click only."""


def fresh_interpreter(code: str, env: dict[str, str] | None = None) -> str:
    """The last line ``code`` printed, run in a fresh interpreter from the checkout."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.splitlines()[-1]


def modules_after(code: str) -> set[str]:
    """Every module imported once ``code`` ran in a fresh interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    return set(json.loads(fresh_interpreter(script)))


def loaded_after(code: str) -> set[str]:
    """The top-level packages imported once ``code`` ran in a fresh interpreter."""
    return {m.split(".")[0] for m in modules_after(code)}


def run_main(*args: str) -> str:
    return (
        "from collector.cli import main\n"
        f"try:\n    main({list(args)!r})\nexcept SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
    )


def test_importing_the_cli_imports_no_heavy_library() -> None:
    loaded = loaded_after("import collector.cli")
    assert "collector" in loaded
    assert not loaded & set(NOT_FOR_HELP), sorted(loaded & set(NOT_FOR_HELP))


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_heavy_library(flag: str) -> None:
    loaded = loaded_after(run_main(flag))
    assert "click" in loaded
    assert not loaded & set(NOT_FOR_HELP), sorted(loaded & set(NOT_FOR_HELP))


@pytest.mark.parametrize(
    "command", ["analyze", "simulate", "demo", "run", "pain", "record", "send"]
)
def test_a_commands_help_imports_only_what_it_needs(command: str) -> None:
    loaded = loaded_after(run_main(command, "--help"))
    assert not loaded & set(NEVER_AT_START), sorted(loaded & set(NEVER_AT_START))
    # the config (pydantic) loads when a command runs
    assert "pydantic" not in loaded
    if command in ("run", "record", "send"):
        # and so do the analysis and the BLE stack
        assert not loaded & {"numpy", "analytics"}, sorted(loaded & {"numpy", "analytics"})


def test_analyze_of_a_small_recording_imports_no_chart_ble_config_or_store_library(
    tmp_path: Path,
) -> None:
    rec = tmp_path / "small.csv"
    made = CliRunner().invoke(main, ["simulate", "--hours", "0.1", "--out", str(rec)])
    assert made.exit_code == 0, made.output
    loaded = loaded_after(run_main("analyze", str(rec), "--json", "--tz", "UTC"))
    assert "analytics" in loaded
    unwanted = {"matplotlib", "bumble", "bleak", "influxdb_client", "paho", "pydantic"}
    assert not loaded & unwanted, sorted(loaded & unwanted)


def test_analyze_json_of_a_desk_recording_imports_no_tables_and_no_ride_modules(
    tmp_path: Path,
) -> None:
    """``analyze --json`` of a thigh recording without riding prints no table (rich),
    reads no ride and no other format (issue 14: the whole command against reading
    the file)."""
    rec = tmp_path / "desk.csv"
    made = CliRunner().invoke(main, ["simulate", "--hours", "0.2", "--no-trunk", "--out", str(rec)])
    assert made.exit_code == 0, made.output
    loaded = modules_after(run_main("analyze", str(rec), "--json", "--tz", "UTC"))
    assert "collector.recordings.chunked" in loaded  # it did analyse the file
    unwanted = {"rich", "collector.ride_analyze", "collector.ride_weeks", "analytics.review_rides"}
    # nor the readers of the other formats (the file's first bytes tell it is none of them)
    unwanted |= {f"collector.recordings.{m}" for m in ("wisdm", "activpal", "fit")}
    assert not loaded & unwanted, sorted(loaded & unwanted)


def test_numpy_under_the_command_line_starts_no_blas_threads() -> None:
    """OpenBLAS's worker threads cost 0.1 s of CPU at every start (issue 14: a tenth
    of ``analyze`` of a day); the command line runs it on one thread unless
    ``OPENBLAS_NUM_THREADS`` says otherwise."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    threads = "import collector.cli, numpy, os\nprint(len(os.listdir('/proc/self/task')))"
    assert int(fresh_interpreter(threads, env)) == 1  # the threads, from Linux's /proc
    chosen = "import collector.cli, os\nprint(os.environ['OPENBLAS_NUM_THREADS'])\n"
    assert fresh_interpreter(chosen, {**env, "OPENBLAS_NUM_THREADS": "2"}).split() == ["2"]
