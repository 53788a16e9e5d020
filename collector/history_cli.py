"""``sitload history``: put recordings and activPAL exports into the history.

    sitload history import day1.csv week.parquet Test_Events.csv --user p-0042
    sitload history import rides/*.fit --user p-0042
    sitload history import thigh.csv --ride ride.fit --user p-0042

Registered on the main group by collector.cli. Importing this module is cheap: the
analysis and the stores are imported when a command runs.
"""

from __future__ import annotations

import os
import sys
import time
from functools import partial
from pathlib import Path
from typing import NoReturn

import click

from collector.config_option import config_option, history_option
from collector.history_compact import compact_cmd
from collector.plural import counted

EXIT_USAGE = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"sitload: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.group(name="history")
def history_group() -> None:
    """The history store: import recordings, activPAL exports and rides; compact an
    older InfluxDB history."""


@history_group.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--user", required=True, help="Pseudonymous user id the data belongs to.")
@history_option()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "csv", "wisdm", "parquet", "activpal"]),
    default="auto",
    show_default=True,
    help="Input format of every FILE.",
)
@click.option(
    "--tz",
    metavar="ZONE",
    help="IANA time zone: calendar days of recordings, and the clock of activPAL "
    "exports [default: the config's, else this machine's].",
)
@click.option(
    "--ride",
    type=click.Path(path_type=Path),
    help="A FIT ride of the same time as the one recording FILE: its cadence joins the "
    "recording, and the ride is stored with the thigh's seated / standing figures.",
)
@config_option("TOML settings for the defaults (history, time zone, break rules).")
def import_cmd(
    files: tuple[Path, ...],
    user: str,
    history_url: str | None,
    fmt: str,
    tz: str | None,
    ride: Path | None,
    config_path: Path | None,
) -> None:
    """Analyse each FILE like `sitload analyze` and write its timeline, bouts, breaks
    and daily totals to the history of --user; a FIT ride FILE is stored as a ride
    (its riding time, and seated / standing where the file says). Importing a file
    again stores one copy; a longer copy of a file extends the history."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from collector.config import ConfigError, Overrides, find_config, load_settings
    from collector.history_import import HistoryImportError, analyse, import_analysed
    from collector.history_rides import (
        import_ride,
        is_ride,
        read_ride_record,
        ride_line,
        with_thigh,
    )
    from collector.sinks.history.factory import open_store, redact
    from collector.sinks.history.model import StoreConfigError, StoreUnavailableError
    from collector.timezone import UnknownZoneError, chosen_zone

    try:
        settings = load_settings(
            find_config(config_path).path, Overrides(history_url=history_url, user_id=user)
        )
    except ConfigError as exc:
        _fail(str(exc))
    try:
        zone = chosen_zone(tz, settings.timezone)
    except UnknownZoneError as exc:
        _fail(str(exc))
    missing = [str(f) for f in (*files, *([ride] if ride else [])) if not f.is_file()]
    if ride is not None and (len(files) != 1 or is_ride(files[0])):
        _fail("--ride joins one recording of sensor samples: give one FILE (thigh.csv)")
    if missing:
        _fail(f"no such file: {', '.join(missing)}")
    where = redact(settings.history_url)
    try:
        store = open_store(settings.history_url, os.environ)
    except (ValueError, OSError, StoreUnavailableError, StoreConfigError) as exc:
        _fail(f"cannot open the history {where}: {exc}")
    console = Console(stderr=True)
    t_start = time.perf_counter()
    total_days = 0
    total_rides = 0
    failed = 0
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f} %"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as bar:
            for path in files:
                if ride is None and is_ride(path):
                    try:
                        record, notes = read_ride_record(path, user)
                    except HistoryImportError as exc:
                        console.print(f"[red]sitload: error:[/red] {exc}; not imported")
                        failed += 1
                        continue
                    done = import_ride(store, record, path, notes)
                    for w in done.warnings:
                        console.print(f"[yellow]warning:[/yellow] {path.name}: {w}")
                    click.echo(ride_line(done))
                    total_rides += 1
                    continue
                task = bar.add_task(f"analysing {path.name}", total=None)
                try:
                    a = analyse(path, fmt=fmt, zone=zone, params=settings.exposure, ride=ride)
                    if ride is not None:
                        record, notes = read_ride_record(ride, user)
                        record = with_thigh(record, a, settings.exposure.saddle_stand_s)
                except HistoryImportError as exc:
                    bar.remove_task(task)
                    console.print(f"[red]sitload: error:[/red] {exc}; not imported", soft_wrap=True)
                    failed += 1
                    continue
                bar.update(task, description=f"writing {path.name}", total=a.timeline.n)
                try:
                    summary = import_analysed(store, a, user, advance=partial(bar.advance, task))
                except HistoryImportError as exc:
                    bar.remove_task(task)
                    console.print(f"[red]sitload: error:[/red] {exc}", soft_wrap=True)
                    failed += 1
                    continue
                bar.remove_task(task)
                for w in summary.warnings:
                    console.print(f"[yellow]warning:[/yellow] {path.name}: {w}", soft_wrap=True)
                if ride is not None:
                    click.echo(ride_line(import_ride(store, record, ride, notes)))
                    total_rides += 1
                total_days += summary.days
                rejected = (
                    f", {counted(summary.rejected, 'point')} refused" if summary.rejected else ""
                )
                click.echo(
                    f"{path}: {summary.kind}, {counted(summary.days, 'day')}, "
                    f"{summary.seconds:,} s of timeline, {counted(summary.bouts, 'bout')}, "
                    f"{counted(summary.events, 'event')}{rejected}"
                )
    except (StoreUnavailableError, StoreConfigError) as exc:
        _fail(
            f"the history {where} stopped answering: {exc}; run the same command again "
            "when it is back (what was written stays, nothing is stored twice)"
        )
    finally:
        store.close()
    elapsed = time.perf_counter() - t_start
    click.echo(
        f"imported {len(files) - failed} of {counted(len(files), 'file')} for user {user} "
        f"into {where}: {counted(total_days, 'patient-day')}"
        + (f", {counted(total_rides, 'ride')}" if total_rides else "")
        + f" in {elapsed:.1f} s"
    )
    if failed:
        sys.exit(1)


history_group.add_command(compact_cmd)
