"""The options every command declares the same way: ``--config FILE`` (the TOML
settings file) and ``--history URL`` (the history store)."""

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


HISTORY_URLS = "sqlite:///FILE, influxdb-v1://…, influxdb://…"


def history_option(
    urls: str = HISTORY_URLS, show_default: str = "the config's"
) -> Callable[[F], F]:
    """Add ``--history`` (a history store URL, stored in ``history_url``); ``urls``
    names the kinds the command takes."""
    return click.option(
        "--history",
        "history_url",
        metavar="URL",
        help=f"History store URL ({urls}).",
        show_default=show_default,
    )
