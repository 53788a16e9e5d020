"""``--config FILE``: the TOML settings file, declared the same way in every command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def config_option(help_text: str | None = None) -> Callable[[F], F]:
    """Add ``--config`` (an existing-or-not file path, stored in ``config_path``);
    ``help_text`` says what the command takes from it."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help=help_text,
    )
