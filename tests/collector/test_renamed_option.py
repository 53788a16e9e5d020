"""Renamed options keep their old spelling, hidden and deprecated (issue 15)."""

from __future__ import annotations

import click
from click.testing import CliRunner

from collector.cli import main
from collector.renamed_option import renamed_option


@click.command()
@renamed_option("--break-s", "--break-min", "break_s", 120.0, type=float, show_default=True)
def _cmd(break_s: float) -> None:
    click.echo(f"break_s={break_s:g}")


def test_new_old_and_default_spellings() -> None:
    runner = CliRunner()
    new = runner.invoke(_cmd, ["--break-s", "5"])
    assert new.exit_code == 0
    assert "break_s=5" in new.output
    assert "deprecated" not in new.output
    old = runner.invoke(_cmd, ["--break-min", "7"])
    assert old.exit_code == 0
    assert "break_s=7" in old.output
    assert "--break-min is deprecated; use --break-s" in old.output
    none = runner.invoke(_cmd, [])
    assert none.exit_code == 0
    assert "break_s=120" in none.output


def test_help_shows_only_the_new_spelling_with_its_default() -> None:
    out = CliRunner().invoke(main, ["analyze", "--help"]).output
    assert "--break-s" in out
    assert "--valid-day-wear-h" in out
    assert "--break-min" not in out
    assert "--min-wear-h" not in out
    assert "[default: 120]" in out
