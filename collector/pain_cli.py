"""``sitload pain import DIARY.csv``, and the ``pain`` command class that sends
``sitload pain import …`` there while ``sitload pain SCORE …`` logs one score.

The diary's columns are in collector.pain_diary."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import click

from collector.config_option import config_option, history_option
from collector.pain_diary import DiaryError
from collector.timezone import UnknownZoneError, chosen_zone
from collector.user_option import user_option

EXIT_USAGE = 2
SKIPPED_SHOWN = 10
"""Skipped diary rows named one per line; the rest are counted."""


def _fail(message: str) -> NoReturn:
    click.echo(f"sitload: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.command(name="import")
@click.argument("diary", type=click.Path(path_type=Path, dir_okay=False))
@user_option(help_text="Pseudonymous user id [default: the config's].")
@click.option("--tz", metavar="ZONE", help="IANA zone of the diary's local times.")
@history_option()
@config_option()
def pain_import_cmd(
    diary: Path,
    user_id: str | None,
    tz: str | None,
    history_url: str | None,
    config_path: Path | None,
) -> None:
    """Import a pain diary (CSV with a header: time,score and optionally date, when,
    note; see docs/pain.md). Importing it again stores each score once."""
    from collector.config import ConfigError, Overrides, load_settings
    from collector.pain_diary import read_diary
    from collector.sinks.history.factory import open_store, redact
    from collector.sinks.history.model import StoreConfigError, StoreUnavailableError

    try:
        settings = load_settings(config_path, Overrides(user_id=user_id, history_url=history_url))
        zone = chosen_zone(tz, settings.timezone)
        read = read_diary(diary, settings.user_id, zone, now_s=time.time())
    except (ConfigError, DiaryError, UnknownZoneError) as exc:
        _fail(str(exc))
    for line in read.skipped[:SKIPPED_SHOWN]:
        click.echo(f"sitload: warning: {diary.name} {line}; skipped", err=True)
    if len(read.skipped) > SKIPPED_SHOWN:
        click.echo(f"sitload: warning: … and {len(read.skipped) - SKIPPED_SHOWN} more", err=True)
    where = redact(settings.history_url)
    try:
        store = open_store(settings.history_url, os.environ)
    except (ValueError, OSError, StoreUnavailableError, StoreConfigError) as exc:
        _fail(f"cannot open the history {where}: {exc}")
    try:
        result = store.write(list(read.reports)) if read.reports else None
    except (StoreUnavailableError, StoreConfigError) as exc:
        _fail(f"the history {where} cannot be written ({exc}); nothing was lost: run the "
              "same command again when it is back")  # fmt: skip
    finally:
        store.close()
    if result is not None and result.rejected:
        _fail(f"the history refused {result.rejected} pain report(s): {result.reason}")
    mornings = sum(r.when == "morning" for r in read.reports)
    click.echo(
        f"imported {len(read.reports)} pain score(s) ({mornings} morning) for user "
        f"{settings.user_id} into {where}; {len(read.skipped)} row(s) skipped"
    )
    if read.skipped:
        sys.exit(1)


class PainCommand(click.Command):
    """``sitload pain SCORE …`` logs a score; ``sitload pain import DIARY …`` imports
    a diary (a click group cannot take a number where its subcommand goes)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] == "import":
            ctx.meta["sitload.pain_import"] = args[1:]
            return []
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        rest = ctx.meta.get("sitload.pain_import")
        if rest is None:
            return super().invoke(ctx)
        with pain_import_cmd.make_context("sitload pain import", list(rest), parent=ctx) as sub:
            return pain_import_cmd.invoke(sub)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        with formatter.section("A pain diary"):
            formatter.write_text(
                "sitload pain import DIARY.csv [--user ID] [--tz ZONE]: import scores "
                "from a CSV with a header row time,score[,when,note] (see "
                "`sitload pain import --help`)."
            )
