"""``sitload pain``: a pain score into the history, now or for a past moment."""

from __future__ import annotations

from pathlib import Path

import click

from collector.cli.common import fail
from collector.config_option import history_option
from collector.pain_cli import PainCommand
from collector.user_option import user_option


@click.command(name="pain", cls=PainCommand)
@click.argument("score", type=click.IntRange(0, 10))
@click.option(
    "--when",
    type=click.Choice(["morning", "evening", "now"]),
    help="morning: the 24-hour response to yesterday's sitting [default: now; with "
    "--at from its clock time: morning before 12:00, evening from 18:00].",
)
@click.option(
    "--at",
    "at_text",
    metavar='"YYYY-MM-DD HH:MM"',
    help="When the pain was felt, local time (--tz) [default: now].",
)
@click.option("--tz", metavar="ZONE", help="IANA zone of --at [default: the config's].")
@click.option("--note", default="", help="A short note (what hurt, what you did).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@user_option(help_text="Pseudonymous user id [default: the config's].")
@history_option()
def pain_cmd(
    score: int,
    when: str | None,
    at_text: str | None,
    tz: str | None,
    note: str,
    config_path: Path | None,
    user_id: str | None,
    history_url: str | None,
) -> None:
    """Log a pain score, 0 (none) to 10 (worst imaginable), with the history, now or
    for a past moment (--at). When the store cannot be reached the report waits in
    the spool and is sent later."""
    import time as _time

    from collector.config import ConfigError, Overrides, find_config, load_settings
    from collector.pain_diary import parse_time, when_of
    from collector.service.app import open_history
    from collector.sinks.history.model import PainReport
    from collector.timezone import chosen_zone

    try:
        settings = load_settings(
            find_config(config_path).path, Overrides(user_id=user_id, history_url=history_url)
        )
        now = _time.time()
        t_s = now
        if at_text is not None:
            zone = chosen_zone(tz, settings.timezone)
            t_s = parse_time(at_text, zone, now_s=now)
            when = when or when_of(t_s, zone)
        when = when or "now"
        report = PainReport(settings.user_id, t_s, score, when, note)  # type: ignore[arg-type]
        # its own spool: the service may be running with its writer on the main one;
        # a report kept here is sent by the next `sitload pain`
        writer = open_history(settings, spool="history-spool-cli")
    except (ConfigError, ValueError, OSError) as exc:
        fail(str(exc))
        return
    writer.submit([report])
    stats = writer.close(10.0)
    if stats.rejected:
        fail(f"the history store refused the pain report: {stats.last_error}")
    where = "saved" if stats.pending == 0 else "kept in the spool: the store is unreachable"
    at = "" if at_text is None else f", {at_text.strip()}"
    click.echo(f"pain {score}/10 ({when}{at}) {where}")
