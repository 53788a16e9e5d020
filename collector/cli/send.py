"""``sitload send``: a console command (``snooze 15``, ``ack``, ``calibrate``) to the
running service from anywhere, without its terminal (a script, a hotkey, ssh), over
the service's MQTT command topic."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from collector.cli.common import fail
from collector.user_option import user_option

EXIT_REFUSED = 1
"""The service answered and refused the command (the reason is printed)."""


@click.command(name="send")
@click.argument("words", nargs=-1, required=True, metavar="COMMAND [ARG]")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The running service's TOML settings (its broker, topic prefix and user).",
    show_default="none: the built-in defaults",
)
@click.option(
    "--mqtt",
    "mqtt_url",
    help="The service's broker, mqtt://[user@]host[:port] or mqtts://… (as for run).",
    show_default="the config's [mqtt] url",
)
@click.option(
    "--mqtt-password-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File whose first line is the password of the --mqtt user (chmod 600).",
)
@user_option(help_text="Pseudonymous user id of the service [default: the config's].")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0.1, max=120),
    default=5.0,
    help="Seconds to wait for the broker and for the service's answer.",
)
def send_cmd(
    words: tuple[str, ...],
    config_path: Path | None,
    mqtt_url: str | None,
    mqtt_password_file: Path | None,
    user_id: str | None,
    timeout_s: float,
) -> None:
    """Send a command to the running service, as if typed on its console: snooze
    [MINUTES], ack or calibrate. It goes over the service's MQTT command topic (the
    service needs a broker: [mqtt] in its config, or run --mqtt) and prints the
    service's answer; exit 2 when no service is listening."""
    from collector.config import ConfigError, Overrides, find_config, load_settings

    try:
        settings = load_settings(
            find_config(config_path).path,
            Overrides(mqtt_url=mqtt_url, mqtt_password_file=mqtt_password_file, user_id=user_id),
        )
    except ConfigError as exc:
        fail(str(exc))
        return
    if settings.mqtt is None:
        fail(
            "the service has no command channel: it has no MQTT broker configured "
            "([mqtt] url in its config, or run --mqtt); type the command in the terminal "
            "where `sitload run` runs, or give send the same --config / --mqtt"
        )
        return
    from collector.sinks.mqtt.send import SendError, send_command

    try:
        reply = send_command(settings.mqtt, " ".join(words), timeout_s=timeout_s)
    except (ValueError, SendError) as exc:  # NotListeningError included
        fail(str(exc))
        return
    for message in reply.messages:
        if message and message != reply.error:
            click.echo(message)
    if not reply.ok:
        click.echo(f"sitload: refused: {reply.error}", err=True)
        sys.exit(EXIT_REFUSED)
