"""``sitload run``: the live service (sensors -> posture -> exposure -> break prompts on
the console, MQTT and Home Assistant), configured by the config file and its options."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from collector.cli.common import fail, output_console
from collector.config_option import history_option
from collector.plural import counted
from collector.user_option import user_option

log = logging.getLogger(__name__)

# the defaults of collector.config.records, written out so that --help needs no config
# import (a test checks them against the records)
DEFAULT_SOURCE_KIND = "simulate"
DEFAULT_SPEED = 60.0


@click.command(name="run")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML settings (see config/desk-worker.toml).",
    show_default="$SITLOAD_CONFIG, else config.toml in the user config folder "
    "(~/.config/sitload/ on Linux) if present, else the built-in defaults",
)
@click.option(
    "--source",
    help="replay:FILE, simulate:desk, simulate:cyclist or ble (overrides [source]).",
    show_default=f"the config's [source] kind, else {DEFAULT_SOURCE_KIND}",
)
@click.option(
    "--speed",
    type=float,
    help="Replay / simulation speed: 1 = real time, 60 = a day in 24 minutes.",
    show_default=f"the config's, else {DEFAULT_SPEED:g}",
)
@click.option(
    "--mqtt",
    "mqtt_url",
    help="mqtt://[user@]host[:port] or mqtts://… (no password here: every local user "
    "can read a command line; use $SITLOAD_MQTT_PASSWORD or --mqtt-password-file).",
    show_default="the config's [mqtt] url, else none: no MQTT",
)
@click.option(
    "--mqtt-password-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File whose first line is the password of the --mqtt user (chmod 600).",
)
@user_option(
    help_text="Pseudonymous user id used in MQTT topics and the state file "
    "[default: the config's [user] id, else derived from this machine]."
)
@click.option(
    "--state-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the service keeps its state (bout clock, alerts, calibration).",
    show_default="the config's [state] dir, else this user's state folder",
)
@history_option(
    show_default="the config's [history] url, else history.db in this user's data folder"
)
@click.option(
    "--profile",
    type=click.Choice(["desk", "cyclist"]),
    help="The alert policy: desk (stand-up prompts) or cyclist (saddle prompts while "
    "riding) [default: the config's [user] profile, else simulate:cyclist's, else desk].",
)
def run_cmd(
    config_path: Path | None,
    source: str | None,
    speed: float | None,
    mqtt_url: str | None,
    mqtt_password_file: Path | None,
    user_id: str | None,
    state_dir: Path | None,
    history_url: str | None,
    profile: str | None,
) -> None:
    """Run the live service: sensors → posture → exposure → standing-break prompts on
    the console (and MQTT / Home Assistant when a broker is configured). Stop with
    Ctrl-C: the state is saved and a restart resumes the sitting clock."""
    import asyncio

    from collector.config import ConfigError, Overrides, find_config, load_settings
    from collector.config.identity import describe_user_id
    from collector.recordings.errors import RecordingError
    from collector.service.app import run_service
    from collector.service.instance_lock import InstanceLockedError
    from collector.sinks.history.spool import SpoolLockedError

    try:
        chosen = find_config(config_path)
        settings = load_settings(
            chosen.path,
            Overrides(
                source=source,
                speed=speed,
                mqtt_url=mqtt_url,
                mqtt_password_file=mqtt_password_file,
                state_dir=state_dir,
                history_url=history_url,
                user_id=user_id,
                profile=profile,  # type: ignore[arg-type]
            ),
        )
    except ConfigError as exc:
        fail(str(exc))
        return
    log.info("%s", chosen.describe())
    log.info("%s", describe_user_id(settings.user_id, settings.user_id_origin))
    console = output_console()
    try:
        summary = asyncio.run(run_service(settings, console))
    except (RecordingError, ValueError, OSError, InstanceLockedError, SpoolLockedError) as exc:
        fail(str(exc))
        return
    except ExceptionGroup as group:  # a source failed inside the task group
        known, _rest = group.split((RecordingError, ValueError, OSError))
        if known is None:
            raise
        fail("; ".join(str(e) for e in known.exceptions))
        return
    console.print(
        f"stopped ({summary.stopped_by}): {summary.seconds:,} s of data, "
        f"{counted(len(summary.days), 'day summary', 'day summaries')}, "
        f"{counted(summary.prompts, 'prompt')}, {counted(summary.commands, 'command')}"
        + (f" ({summary.rejected_commands} refused)" if summary.rejected_commands else "")
        + (
            f", {summary.dropped_commands} dropped over the rate limit"
            if summary.dropped_commands
            else ""
        )
    )
