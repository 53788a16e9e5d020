"""What every command shares: a usage error is one line on stderr and exit 2."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

EXIT_USAGE = 2


def fail(message: str) -> NoReturn:
    """``sitload: error: MESSAGE`` on stderr, and exit 2."""
    click.echo(f"sitload: error: {message}", err=True)
    sys.exit(EXIT_USAGE)
