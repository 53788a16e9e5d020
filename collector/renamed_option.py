"""Options renamed for their units (``--break-s``, not ``--break-min`` for seconds):
the old spelling still works, hidden from the help, with a deprecation warning; both
spellings at once are a usage error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def renamed_option(new: str, old: str, dest: str, default: Any, **kwargs: Any) -> Callable[[F], F]:
    """``new`` (stored in ``dest``, ``default`` when neither spelling is given) and the
    hidden, deprecated ``old`` with the same type."""
    old_key = f"_{dest}_old"

    both = f"{old} is the old spelling of {new}; give only {new}"

    def resolve(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        given = ctx.meta.get(old_key)
        if value is not None:
            if given is not None:
                raise click.UsageError(both, ctx)
            return value
        return default if given is None else given

    def remember_old(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        # options given on the line are processed in their order, before those left
        # to their default
        if value is not None:
            if ctx.params.get(dest) is not None:
                raise click.UsageError(both, ctx)
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
