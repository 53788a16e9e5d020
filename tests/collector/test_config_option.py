"""``--config``: one declaration (collector/config_option.py) for every command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click

from collector.cli import main
from collector.config_option import config_option


def commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, name
        if isinstance(cmd, click.Group):
            yield from commands(cmd, f"{prefix}{name} ")
        else:
            yield prefix + name, cmd


def test_every_config_option_is_a_file_path_in_config_path() -> None:
    seen = []
    for name, cmd in commands(main):
        for param in cmd.params:
            if "--config" in getattr(param, "opts", ()):
                seen.append(name)
                assert param.name == "config_path", name
                assert isinstance(param.type, click.Path), name
                assert not param.type.dir_okay, name
    assert {"history import", "pain", "report", "run"} <= set(seen)


def test_config_option_keeps_the_commands_help() -> None:
    @click.command()
    @config_option("TOML settings for the defaults.")
    def cmd(config_path: Path | None) -> None:
        click.echo(repr(config_path))

    from click.testing import CliRunner

    r = CliRunner().invoke(cmd, ["--help"])
    assert "TOML settings for the defaults." in r.stdout
    r = CliRunner().invoke(cmd, ["--config", "a.toml"])
    assert r.stdout.strip() == repr(Path("a.toml"))
