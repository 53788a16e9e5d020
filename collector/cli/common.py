"""What every command shares: a usage error is one line on stderr and exit 2; output
consoles that use the whole line when piped."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from rich.console import Console

EXIT_USAGE = 2

PIPED_WIDTH = 1000
"""Columns of an output console that is not a terminal (a pipe, a file): wide enough
that no table is cut or wrapped at rich's default of 80 columns."""


def fail(message: str) -> NoReturn:
    """``sitload: error: MESSAGE`` on stderr, and exit 2."""
    click.echo(f"sitload: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def output_console(*, stderr: bool = False, **kwargs: Any) -> Console:
    """A rich console for a command's output: the terminal's width on a terminal,
    :data:`PIPED_WIDTH` when piped or redirected (``$COLUMNS`` still wins)."""
    from rich.console import Console

    console = Console(stderr=stderr, **kwargs)
    if not console.is_terminal and "width" not in kwargs and not os.environ.get("COLUMNS"):
        console.width = PIPED_WIDTH
    return console
