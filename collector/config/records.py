"""The settings records the program uses (plain frozen dataclasses), and the
command-line overrides."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from analytics.alert_params import AlertParams
from analytics.compression import ExposureParams
from collector.config.errors import redact_url
from collector.config.identity import UserIdOrigin
from collector.sinks.settings import ConsoleSettings, HapticSettings, MqttSettings

APP_NAME = "sitload"

SourceKind = Literal["ble", "replay", "simulate"]
Profile = Literal["desk", "cyclist"]

OVERRIDE_FLAGS: Mapping[str, str] = types.MappingProxyType(
    {
        "source": "--source",
        "speed": "--speed",
        "mqtt_url": "--mqtt",
        "mqtt_password_file": "--mqtt-password-file",
        "state_dir": "--state-dir",
        "history_url": "--history",
        "user_id": "--user",
    }
)
"""How error messages name each :class:`Overrides` field (the CLI's option names)."""


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """Where samples come from."""

    kind: SourceKind = "simulate"
    file: Path | None = None
    """Recording to replay (``kind = "replay"``)."""
    profile: Profile = "desk"
    """Simulated profile (``kind = "simulate"``)."""
    hours: float = 8.0
    """Simulated length in hours."""
    seed: int = 1
    """Simulation seed (the same seed gives the same day)."""
    speed: float = 60.0
    """Replay / simulation speed: 1 is real time, 60 a day in 24 minutes (a BLE source
    is always real time: 1)."""
    devices: tuple[str, ...] = ()
    """BLE devices, as ``sitload record --device``: ``KIND[:ADDRESS|NAME][/ROLE]``."""
    trunk: bool = True
    """Simulate a trunk sensor."""
    seat: bool = False
    """Simulate a seat-pressure mat."""
    seat_baseline: tuple[float, ...] | None = None
    """The seat mat's empty reading, one value per cell (``seat_p00`` first) in the
    mat's unit; None: learned from the first stretch with the seat empty and kept in
    the service state."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the live service needs, validated."""

    user_id: str
    """Pseudonymous id (``[a-zA-Z0-9_-]{1,64}``); appears in MQTT topics."""
    timezone: str | None
    """IANA time zone for local days, quiet and working hours (None: the system's)."""
    profile: Profile
    source: SourceSettings
    alerts: AlertParams
    exposure: ExposureParams
    """Exposure rules, consistent with ``alerts``: the same break length, and the bout
    milestones at the prompt and escalation times."""
    mqtt: MqttSettings | None
    """None: no broker (console only)."""
    console: ConsoleSettings
    haptic: HapticSettings
    """Vibrations on BLE sensors that have a haptic output."""
    state_dir: Path
    history_url: str
    config_path: Path | None
    user_id_origin: UserIdOrigin
    """``config`` / ``option`` (set), or ``machine`` / ``state`` (derived: see
    :mod:`collector.config.identity`)."""
    gateway_id: str
    """This machine's pseudonymous id (8 hex digits), in the default MQTT client id."""

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            text = redact_url(value) if f.name == "history_url" else value
            parts.append(f"{f.name}={text!r}")
        return f"Settings({', '.join(parts)})"


@dataclass(frozen=True, slots=True)
class Overrides:
    """Command-line values; each one that is not None wins over the file."""

    source: str | None = None
    """``replay:FILE``, ``simulate[:desk|:cyclist]`` or ``ble`` (see :func:`parse_source`)."""
    speed: float | None = None
    mqtt_url: str | None = None
    """``mqtt[s]://…`` (see :func:`parse_mqtt_url`); replaces the file's broker: its
    ``url`` (with the path and query), or ``host`` / ``port`` / ``tls``, and its
    credentials (they are never sent to a broker named on the command line). The file's
    other ``[mqtt]`` keys (``prefix``, ``protocol``, ``client_id``, ``ca_file`` with
    TLS, timings, discovery) still apply unless the URL sets them; with this option a
    switched-off ``[mqtt]`` table (``enabled = false``) is used too. It must not hold
    a password (every local user sees a process's arguments): the password comes
    from ``mqtt_password_file`` or ``$SITLOAD_MQTT_PASSWORD``."""
    mqtt_password_file: Path | None = None
    """A file holding the password of the ``mqtt_url`` user (first line)."""
    state_dir: Path | None = None
    history_url: str | None = None
    user_id: str | None = None
    profile: Profile | None = None
    """``--profile desk|cyclist``: wins over ``[user] profile`` and a simulated
    source's profile."""


def exposure_params(alerts: AlertParams) -> ExposureParams:
    """The alerts' exposure rules with the bout milestones at the prompt times."""
    return dataclasses.replace(
        alerts.exposure,
        milestones_min=(alerts.prompt_after_s / 60.0, alerts.escalate_after_s / 60.0),
        repeat_every_min=alerts.repeat_every_s / 60.0,
    )
