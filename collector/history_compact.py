"""``sitload history compact``: write the hour blocks of an InfluxDB history written
by a sitload older than them, so that its reports read 24 points a day instead of
86,400 (docs/influxdb.md, "timeline_hour"). Reports of such a history are right
without it, only slower. Importing this module is cheap (click only)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from collector.config_option import config_option, history_option

EXIT_USAGE = 2


@click.command(name="compact")
@click.option("--user", required=True, help="Pseudonymous user id whose timeline to compact.")
@history_option(urls="influxdb-v1://…, influxdb://…")
@config_option("TOML settings for the defaults (history).")
def compact_cmd(user: str, history_url: str | None, config_path: Path | None) -> None:
    """Write the hour blocks of --user's InfluxDB timeline from its per-second points
    (every hour before the one in progress). Safe to run again, and while the live
    service writes."""
    from collector.config import ConfigError, Overrides, find_config, load_settings
    from collector.sinks.history.factory import open_store, redact
    from collector.sinks.history.influx_v1 import InfluxStoreBase
    from collector.sinks.history.model import StoreConfigError, StoreUnavailableError

    def fail(message: str) -> None:
        click.echo(f"sitload: error: {message}", err=True)
        sys.exit(EXIT_USAGE)

    try:
        settings = load_settings(
            find_config(config_path).path, Overrides(history_url=history_url, user_id=user)
        )
    except ConfigError as exc:
        fail(str(exc))
        return
    where = redact(settings.history_url)
    try:
        store = open_store(settings.history_url, os.environ)
    except (ValueError, OSError, StoreUnavailableError, StoreConfigError) as exc:
        fail(f"cannot open the history {where}: {exc}")
        return
    t0 = time.perf_counter()
    try:
        if not isinstance(store, InfluxStoreBase):
            fail(f"{where} is not an InfluxDB history: only InfluxDB keeps hour blocks")
            return
        blocks = store.compact(user, time.time())
    except (StoreUnavailableError, StoreConfigError) as exc:
        fail(f"the history {where} stopped answering: {exc}; run the same command again")
        return
    finally:
        store.close()
    if not blocks:
        click.echo(f"no timeline of user {user} in {where} before this hour: nothing to compact")
        return
    click.echo(
        f"wrote {blocks:,} hour blocks of user {user}'s timeline in {where} "
        f"in {time.perf_counter() - t0:.1f} s"
    )
