"""A click group whose commands are imported when they are used.

``sitload --help`` lists every command with its one-line summary without importing
any of them (each command's module imports the analysis, numpy, the BLE stack,
pydantic …); ``sitload CMD …`` imports only CMD's module.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True, slots=True)
class LazyCommand:
    name: str
    target: str
    """``package.module:attribute`` of the click command."""
    summary: str
    """The first sentence of the command's help, as ``sitload --help`` lists it
    (a test checks it against the command's own help)."""

    def load(self) -> click.Command:
        module_name, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class LazyGroup(click.Group):
    """A group of :class:`LazyCommand` (and any command added the usual way)."""

    def __init__(self, *args: Any, lazy_commands: Sequence[LazyCommand] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands = {c.name: c for c in lazy_commands}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.add_command(self.lazy_commands[cmd_name].load(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, with the summaries of the commands not imported yet."""
        rows: list[tuple[str, click.Command]] = []
        for name in self.list_commands(ctx):
            lazy = self.lazy_commands.get(name)
            if name in self.commands or lazy is None:
                command = super().get_command(ctx, name)
            else:
                command = click.Command(name, help=lazy.summary)
            if command is not None and not command.hidden:
                rows.append((name, command))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in rows])
