"""Reading the file: TOML -> the schema of all tables -> :class:`Settings`, with the
command-line :class:`Overrides` applied."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import BaseModel, Field
from pydantic import ValidationError as _PydanticValidationError

from collector.config.alerts import AlertsTable, alert_params
from collector.config.errors import ConfigError, describe
from collector.config.history import check_history_url, default_history_url
from collector.config.identity import MACHINE_ID_FILE, chosen_identity
from collector.config.mqtt import MqttTable, build_mqtt
from collector.config.records import APP_NAME, Overrides, Profile, Settings
from collector.config.renamed_keys import rename_keys
from collector.config.schema import TABLE, resolve
from collector.config.source import SourceTable, build_source, parse_source
from collector.config.state import (
    ConsoleTable,
    HapticTable,
    StateTable,
    check_state_dir,
    console_settings,
    haptic_settings,
)
from collector.config.user import UserTable


class HistoryTable(BaseModel):
    model_config = TABLE
    url: Annotated[str, Field(min_length=1)] | None = None


class ConfigFile(BaseModel):
    """The whole file: one model per table."""

    model_config = TABLE
    user: UserTable = Field(default_factory=UserTable)
    source: SourceTable = Field(default_factory=SourceTable)
    alerts: AlertsTable = Field(default_factory=AlertsTable)
    mqtt: MqttTable | None = None
    console: ConsoleTable = Field(default_factory=ConsoleTable)
    haptic: HapticTable = Field(default_factory=HapticTable)
    state: StateTable = Field(default_factory=StateTable)
    history: HistoryTable = Field(default_factory=HistoryTable)


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"{path}: cannot read the config file ({reason}); check the path and its "
            "permissions, or run without a config file for the defaults"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: TOML syntax error: {exc}; fix that line (strings need double "
            'quotes, e.g. key = "value"; tables are [name])'
        ) from None


_NO_OVERRIDES = Overrides()


def load_settings(
    path: Path | None,
    overrides: Overrides = _NO_OVERRIDES,
    *,
    environ: Mapping[str, str] | None = None,
    machine_id_file: Path = MACHINE_ID_FILE,
) -> Settings:
    """Read and validate the config file (None: the built-in defaults), then apply the
    command-line ``overrides``. Raises :class:`ConfigError`.

    ``environ`` (default ``os.environ``) supplies ``${VAR}`` values and
    ``SITLOAD_MQTT_PASSWORD``. Without a user id (``[user] id``, ``--user``) one is
    derived from ``machine_id_file`` (see :mod:`collector.config.identity`).
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    where = "config" if path is None else str(path)
    data: dict[str, Any] = {} if path is None else _read(path)
    data, written = rename_keys(data, where)
    try:
        cfg = ConfigFile.model_validate(data)
    except _PydanticValidationError as exc:
        errors = exc.errors(include_url=False)
        lines = [describe(e, where, ConfigFile, written) for e in errors]
        raise ConfigError("\n".join(lines)) from None
    base = None if path is None else path.parent

    if overrides.state_dir is not None:
        state_dir = check_state_dir(overrides.state_dir.expanduser(), "--state-dir")
    elif cfg.state.dir is not None:
        state_dir = check_state_dir(resolve(cfg.state.dir, base), f"{where}: state.dir")
    else:
        state_dir = platformdirs.user_state_path(APP_NAME)
    who = chosen_identity(overrides.user_id, cfg.user.id, state_dir, machine_id_file)
    user_id = who.user_id

    source_profile: Profile | None = None
    if overrides.source is not None:
        source_profile = parse_source(overrides.source).get("profile")
    # the person's profile: --profile; [user] profile; else a simulated cyclist makes
    # it cyclist
    profile: Profile = overrides.profile or cfg.user.profile or source_profile or "desk"
    source = build_source(cfg.source, profile, overrides, base, where)

    alerts = alert_params(cfg.alerts, profile, where)
    mqtt = build_mqtt(cfg.mqtt, user_id, overrides.user_id is not None, overrides, env, base, where)
    if mqtt is not None and mqtt.client_id is None:
        # unique on a shared broker, even for one user's two gateways
        mqtt = dataclasses.replace(mqtt, client_id=f"sitload-{mqtt.user_id}-{who.gateway_id}")
    if mqtt is not None:  # the cyclist's Home Assistant entities
        mqtt = dataclasses.replace(mqtt, saddle=profile == "cyclist")
    console = console_settings(cfg.console)
    if overrides.history_url is not None:
        history_url = check_history_url(overrides.history_url, "--history")
    elif cfg.history.url is not None:
        history_url = check_history_url(cfg.history.url, f"{where}: history.url")
    else:
        history_url = default_history_url()
    return Settings(
        user_id=user_id,
        timezone=cfg.user.timezone,
        profile=profile,
        source=source,
        alerts=alerts,
        exposure=alerts.exposure,
        mqtt=mqtt,
        console=console,
        haptic=haptic_settings(cfg.haptic),
        state_dir=state_dir,
        history_url=history_url,
        config_path=path,
        user_id_origin=who.user_id_origin,
        gateway_id=who.gateway_id,
    )
