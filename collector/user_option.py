"""``--user``: one name for the pseudonymous user id in every command.

``--user-id`` (the old name in ``run`` and ``pain``) still works, hidden from the
help, with a deprecation warning on stderr."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
OLD = "--user-id"


def user_option(
    dest: str = "user_id", help_text: str = "Pseudonymous user id."
) -> Callable[[F], F]:
    """Add ``--user`` (stored in ``dest``) and the hidden, deprecated ``--user-id``."""

    def keep_old(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        # the old name may have been processed first (it comes first on the line)
        return value if value is not None else ctx.params.get(dest)

    def old(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is None:
            return
        click.echo(f"sitload: warning: {OLD} is deprecated; use --user", err=True)
        if ctx.params.get(dest) is None:
            ctx.params[dest] = value

    def decorate(f: F) -> F:
        f = click.option(OLD, "_user_id_old", hidden=True, expose_value=False, callback=old)(f)
        return click.option("--user", dest, help=help_text, callback=keep_old)(f)

    return decorate
