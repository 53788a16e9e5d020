"""CLI conventions (issue 17): ``--version``, ``-q`` / ``-v``, and where the config
file comes from (``--config``, ``$SITLOAD_CONFIG``, the user config folder), which
``run`` says in its first log line."""

from __future__ import annotations

import importlib.metadata
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli import log_levels, main
from collector.config import ConfigError, find_config


def test_version_names_the_installed_version() -> None:
    for flag in ("--version", "-V"):
        result = CliRunner().invoke(main, [flag])
        assert result.exit_code == 0
        assert result.output == f"sitload, version {importlib.metadata.version('sitload')}\n"


def test_log_levels_quiet_default_verbose() -> None:
    assert log_levels(0, quiet=True) == (logging.WARNING, logging.WARNING)
    assert log_levels(0, quiet=False) == (logging.INFO, logging.WARNING)
    assert log_levels(1, quiet=False) == (logging.DEBUG, logging.INFO)
    assert log_levels(2, quiet=False) == (logging.DEBUG, logging.DEBUG)


def test_quiet_and_verbose_together_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["-q", "-v", "demo", "--help"])
    assert result.exit_code == 2
    assert "-q and -v contradict each other" in result.output


def test_help_lists_the_conventions() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for flag in ("--version", "-q, --quiet", "-v, --verbose"):
        assert flag in result.output


def test_config_lookup_order(tmp_path: Path) -> None:
    explicit = tmp_path / "explicit.toml"
    named = tmp_path / "named.toml"
    default = tmp_path / "dir" / "config.toml"
    for p in (explicit, named):
        p.write_text("", encoding="utf-8")
    env = {"SITLOAD_CONFIG": str(named)}
    # nothing: the built-in defaults, and the message says where it looked
    none = find_config(None, {}, default_file=default)
    assert none.path is None
    assert none.describe() == (
        f"config: none, the built-in defaults (no --config, no $SITLOAD_CONFIG, no {default})"
    )
    # the user config folder's file once it exists
    default.parent.mkdir()
    default.write_text("", encoding="utf-8")
    found = find_config(None, {}, default_file=default)
    assert found.path == default
    assert found.describe() == f"config: {default} (from the user config folder)"
    # $SITLOAD_CONFIG wins over it, --config over both
    assert find_config(None, env, default_file=default).path == named
    assert find_config(None, env, default_file=default).origin == "$SITLOAD_CONFIG"
    assert find_config(explicit, env, default_file=default).path == explicit
    assert find_config(explicit, env, default_file=default).origin == "--config"


def test_a_missing_file_named_by_the_environment_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\$SITLOAD_CONFIG=.*no such file; fix the path"):
        find_config(None, {"SITLOAD_CONFIG": str(tmp_path / "nope.toml")})


def test_the_user_config_folder_is_the_platforms(tmp_path: Path) -> None:
    code = "from collector.config.locate import user_config_file; print(user_config_file())"
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    if sys.platform.startswith("linux"):
        assert done.stdout.strip() == str(tmp_path / "sitload" / "config.toml")


@pytest.fixture(scope="module")
def short_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "short.csv"
    made = CliRunner().invoke(main, ["simulate", "--hours", "0.05", "--out", str(path)])
    assert made.exit_code == 0, made.output
    return path


def run_log(
    tmp_path: Path, recording: Path, args: list[str], env_extra: dict[str, str]
) -> list[str]:
    """What ``sitload ARGS run`` logs replaying ``recording`` to its end, with a fresh
    home (config, state and data folders)."""
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    env.pop("SITLOAD_CONFIG", None)
    env.update(env_extra)
    source = ["--source", f"replay:{recording}", "--speed", "100000"]
    done = subprocess.run(
        [sys.executable, "-m", "collector.cli", *args, "run", *source],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr.splitlines()


def test_run_says_which_config_it_read_first(tmp_path: Path, short_file: Path) -> None:
    cfg = tmp_path / "config" / "sitload" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[user]\nid = "p-7f3a"\n', encoding="utf-8")
    lines = run_log(tmp_path, short_file, [], {})
    assert lines[0] == f"INFO collector.cli.run: config: {cfg} (from the user config folder)"
    named = tmp_path / "named.toml"
    named.write_text('[user]\nid = "p-7f3a"\n', encoding="utf-8")
    lines = run_log(tmp_path, short_file, [], {"SITLOAD_CONFIG": str(named)})
    assert lines[0] == f"INFO collector.cli.run: config: {named} (from $SITLOAD_CONFIG)"
    lines = run_log(tmp_path, short_file, [], {"SITLOAD_CONFIG": ""})
    assert lines[0].startswith(f"INFO collector.cli.run: config: {cfg}")
    assert lines[1] == "INFO collector.cli.run: user id: p-7f3a (from [user] id)"
    cfg.unlink()
    lines = run_log(tmp_path, short_file, [], {})
    assert lines[0].startswith("INFO collector.cli.run: config: none, the built-in defaults")
    # no shared default user id: one derived from this machine, said once
    assert re.fullmatch(
        r"INFO collector\.cli\.run: user id: u-[0-9a-f]{8} \((derived from this machine|"
        r"random, kept in the state folder: no machine id); set \[user\] id\)",
        lines[1],
    ), lines[1]
    assert sum("user id:" in line for line in lines) == 1


def test_quiet_run_logs_no_info(tmp_path: Path, short_file: Path) -> None:
    lines = run_log(tmp_path, short_file, ["-q"], {})
    assert not [line for line in lines if line.startswith("INFO")], lines
