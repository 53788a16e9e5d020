"""collector.cli.lazy_group: the commands load when used, and ``sitload --help`` lists
them exactly as click would with every command loaded."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from collector.cli import COMMANDS, main
from collector.cli.lazy_group import LazyCommand, LazyGroup


@pytest.mark.parametrize("lazy", COMMANDS, ids=[c.name for c in COMMANDS])
def test_every_command_loads_under_its_name_with_its_summary(lazy: LazyCommand) -> None:
    command = lazy.load()
    assert command.name == lazy.name
    # the summary is the first sentence of the command's help, whatever the width
    for width in (20, 45, 80, 10_000):
        listed = click.Command(lazy.name, help=lazy.summary).get_short_help_str(width)
        assert listed == command.get_short_help_str(width), (lazy.name, width)


def test_the_listing_before_loading_is_the_listing_after() -> None:
    def fresh() -> click.Group:
        return LazyGroup(
            name="sitload",
            callback=main.callback,
            params=main.params,
            help=main.help,
            context_settings=main.context_settings,
            lazy_commands=COMMANDS,
        )

    lazy_group = fresh()
    for width in (60, 80, 120):
        lazy = CliRunner().invoke(lazy_group, ["--help"], terminal_width=width)
        assert lazy.exit_code == 0
        assert lazy_group.commands == {}  # nothing was imported for the listing
        eager_group = fresh()
        for c in COMMANDS:
            eager_group.add_command(c.load(), c.name)
        eager = CliRunner().invoke(eager_group, ["--help"], terminal_width=width)
        assert eager.exit_code == 0
        assert lazy.output == eager.output
        for c in COMMANDS:
            assert f"\n  {c.name} " in lazy.output


def test_a_command_runs_without_the_others_loaded() -> None:
    loaded: list[str] = []

    class Probe(LazyCommand):
        def load(self) -> click.Command:
            loaded.append(self.name)
            return super().load()

    @click.group(cls=LazyGroup, lazy_commands=[Probe("scan", "collector.cli.ble:scan", "x")])
    def group() -> None:
        pass

    result = CliRunner().invoke(group, ["--help"])
    assert result.exit_code == 0
    assert "scan  x" in result.output
    assert loaded == []
    result = CliRunner().invoke(group, ["scan", "--help"])
    assert result.exit_code == 0
    assert "--seconds" in result.output
    assert loaded == ["scan"]


def test_a_target_that_is_not_a_command_is_refused() -> None:
    with pytest.raises(TypeError, match="is not a click command"):
        LazyCommand("x", "collector.cli.common:fail", "x").load()
