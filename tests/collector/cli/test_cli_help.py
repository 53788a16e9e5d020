"""``--help`` of every command shows the options' defaults, and piped output uses the
whole line (issue 18)."""

from __future__ import annotations

import io
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rich.table import Table

from collector.cli import COMMANDS, main
from collector.cli import run as run_module
from collector.cli.common import PIPED_WIDTH, output_console
from collector.config.load import Overrides, load_settings
from collector.config.records import SourceSettings
from collector.recordings import write_recording
from collector.sources.simulator import simulate


def _entry(help_text: str, opt: str) -> str:
    """The help entry of option ``opt`` (its line and the lines wrapped under it)."""
    lines = help_text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith(opt))
    entry = [lines[start]]
    for ln in lines[start + 1 :]:
        if ln.lstrip().startswith("-") or not ln.strip():
            break
        entry.append(ln.strip())
    return " ".join(entry)


def _options_with_defaults(command: click.Command) -> list[click.Option]:
    out = []
    for p in command.params:
        if not isinstance(p, click.Option) or p.hidden or p.name == "help":
            continue
        if p.default is None or p.default is False or p.default == ():
            continue
        if isinstance(p.default, bool | int | float | str):
            out.append(p)
    return out


@pytest.mark.parametrize("lazy", COMMANDS, ids=[c.name for c in COMMANDS])
def test_every_default_is_in_the_help(lazy: object) -> None:
    name = lazy.name  # type: ignore[attr-defined]
    result = CliRunner().invoke(main, [name, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    command = lazy.load()  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        return
    help_text = result.output
    for option in _options_with_defaults(command):
        entry = _entry(help_text, option.opts[0])
        assert "[default:" in entry, (name, entry)


def test_run_help_says_where_each_default_comes_from() -> None:
    result = CliRunner().invoke(main, ["run", "--help"], terminal_width=100)
    assert result.exit_code == 0
    for option in ("--config", "--source", "--speed", "--mqtt ", "--user", "--state-dir",
                   "--history", "--profile"):  # fmt: skip
        entry = _entry(result.output, option)
        assert "default:" in entry, entry


def test_run_help_defaults_are_the_configs() -> None:
    settings = load_settings(None, Overrides())
    assert run_module.DEFAULT_SOURCE_KIND == SourceSettings().kind == settings.source.kind
    assert run_module.DEFAULT_SPEED == SourceSettings().speed == settings.source.speed
    assert settings.user_id_origin in ("machine", "state")  # no shared default id (issue 17)


# --- piped output ------------------------------------------------------------------------


def test_piped_output_uses_the_whole_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    console = output_console(file=io.StringIO())
    assert not console.is_terminal
    assert console.width == PIPED_WIDTH
    table = Table("a", "b")
    table.add_row("x" * 70, "y" * 70)
    console.print(table)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "x" * 70 in out
    assert "y" * 70 in out
    assert "…" not in out
    monkeypatch.setenv("COLUMNS", "90")
    assert output_console(file=io.StringIO()).width == 90


def test_piped_analyze_lines_are_not_wrapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    rec = tmp_path / "desk.csv"
    write_recording(simulate("desk", 1.0, seed=21, fs_hz=10.0).recording, rec)
    result = CliRunner().invoke(main, ["analyze", str(rec), "--tz", "UTC"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    calibration = next(ln for ln in lines if ln.startswith("calibration:"))
    assert calibration.rstrip().endswith("trunk sensor used for hip angle")
    assert "…" not in result.output
