"""Options renamed for their units (``--break-s``, not ``--break-min`` for seconds):
the old spelling still works, hidden from the help, with a deprecation warning."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def renamed_option(new: str, old: str, dest: str, default: Any, **kwargs: Any) -> Callable[[F], F]:
    """``new`` (stored in ``dest``, ``default`` when neither spelling is given) and the
    hidden, deprecated ``old`` with the same type."""
    old_key = f"_{dest}_old"

    def resolve(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value is not None:
            return value
        given = ctx.meta.get(old_key)
        return default if given is None else given

    def remember_old(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        # an option given on the line is processed before those left to their default
        if value is not None:
            click.echo(f"sitload: warning: {old} is deprecated; use {new}", err=True)
            ctx.meta[old_key] = value

    def decorate(f: F) -> F:
        kind = kwargs.get("type")
        f = click.option(
            old, old_key, hidden=True, expose_value=False, callback=remember_old, type=kind
        )(f)
        shown = dict(kwargs)
        if shown.pop("show_default", False):
            shown["help"] = f"{shown.get('help', '')}  [default: {default:g}]"
        return click.option(new, dest, default=None, callback=resolve, **shown)(f)

    return decorate
