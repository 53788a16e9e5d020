"""The ``[mqtt]`` table and ``--mqtt``: the broker, its credentials (from the file, a
password file or ``$SITLOAD_MQTT_PASSWORD``, never from the command line) and the
sink's timings, turned into :class:`MqttSettings`."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, cast

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from collector.config.errors import ConfigError, redact_url
from collector.config.mqtt_url import (
    PASSWORD_ENV,
    MqttUrlFields,
    check_topic_prefix,
    expand_env,
    parse_cluster_urls,
    parse_mqtt_url,
    url_has_password,
)
from collector.config.records import Overrides
from collector.config.schema import TABLE, NonNegative, Positive, PositiveMinutes, minutes, resolve
from collector.sinks.settings import MqttProtocol, MqttSettings

_MQTT = MqttSettings(host="localhost")

TopicPrefix = Annotated[str, AfterValidator(check_topic_prefix)]


def _protocol_from_number(value: object) -> object:
    """``protocol = 5`` (a TOML number) means ``"5"``."""
    return "5" if type(value) is int and value == 5 else value


def _read_password_file(path: Path, where: str) -> str:
    """The first line of a password file (the trailing newline is not part of it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(
            f"{where}: cannot read the password file {str(path)!r} ({reason}); check the "
            "path and that the service's user may read it (chmod 600, owned by that user)"
        ) from None
    lines = text.splitlines()
    password = lines[0] if lines else ""
    if not password:
        raise ConfigError(
            f"{where}: the password file {str(path)!r} is empty; write the password on "
            "its first line"
        )
    return password


class MqttTable(BaseModel):
    model_config = TABLE
    enabled: bool = True
    url: str | None = None
    urls: Annotated[list[str], Field(min_length=1, max_length=32)] | None = None
    """Several nodes of one broker cluster, tried in turn (instead of ``url``)."""
    host: Annotated[str, Field(min_length=1)] | None = None
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    tls: bool | None = None
    ca_file: str | None = None
    tls_insecure: bool = _MQTT.tls_insecure
    username: str | None = None
    password: str | None = None
    password_file: str | None = None
    prefix: TopicPrefix | None = None
    client_id: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    protocol: Annotated[MqttProtocol, BeforeValidator(_protocol_from_number)] | None = None
    keepalive_s: Annotated[int, Field(ge=5, le=65535)] = _MQTT.keepalive_s
    qos: Literal[0, 1, 2] = cast("Literal[0, 1, 2]", _MQTT.qos)
    alert_ttl_min: PositiveMinutes = _MQTT.alert_ttl_s / 60.0
    late_after_s: NonNegative = _MQTT.late_after_s
    outbox_max: Annotated[int, Field(ge=1)] = _MQTT.outbox_max
    reconnect_first_s: Positive = _MQTT.reconnect_first_s
    """The first reconnect delay; it doubles up to ``reconnect_max_s``."""
    reconnect_max_s: Positive = _MQTT.reconnect_max_s
    discovery: bool = _MQTT.discovery
    discovery_prefix: TopicPrefix = _MQTT.discovery_prefix
    expire_after_s: Annotated[int, Field(ge=0)] = _MQTT.expire_after_s
    support_url: Annotated[str, Field(pattern=r"^https?://[^\s/]+\S*$")] | None = None
    """Home Assistant's ``origin.support_url``: where this gateway's users get help
    (default: the package's issue tracker or home page, if its metadata names one)."""


def build_mqtt(
    m: MqttTable | None,
    user_id: str,
    user_id_overridden: bool,
    overrides: Overrides,
    environ: Mapping[str, str],
    base: Path | None,
    where: str,
) -> MqttSettings | None:
    if overrides.mqtt_url is None and m is not None and not m.enabled:
        _check_switched_off(m, user_id, user_id_overridden, environ, base, where)
        return None
    if overrides.mqtt_url is None and m is None:
        return None
    if m is None:
        m = MqttTable()
    fields: MqttUrlFields = {}
    failover: tuple[tuple[str, int], ...] = ()
    if m.urls is not None and overrides.mqtt_url is None:
        if m.url is not None:
            raise ConfigError(
                f"{where}: mqtt.urls: mqtt.url is given too; keep one (urls for several "
                "nodes of a cluster)"
            )
        first, failover = parse_cluster_urls(m.urls, environ, where)
        m = m.model_copy(update={"url": first, "urls": None})
    if overrides.mqtt_url is not None:
        if url_has_password(overrides.mqtt_url):
            raise ConfigError(
                f"--mqtt {redact_url(overrides.mqtt_url)!r}: a password on the command line "
                "is visible to every user of this machine (ps, /proc/PID/cmdline); remove "
                f"it (user@host) and give it in ${PASSWORD_ENV}, with "
                "--mqtt-password-file FILE, or in the config file (mqtt.password_file)"
            )
        conn = parse_mqtt_url(overrides.mqtt_url, environ, where="--mqtt")
        if overrides.mqtt_password_file is not None:
            if "username" not in conn:
                raise ConfigError(
                    "--mqtt-password-file: the --mqtt URL has no user name; write user@host"
                )
            conn["password"] = _read_password_file(
                overrides.mqtt_password_file.expanduser(), "--mqtt-password-file"
            )
        # the file's credentials are never sent to a broker named on the command line
        fields = conn
        url_user_id = "user_id" in conn
        if "prefix" not in fields and m.prefix is not None:
            fields["prefix"] = m.prefix
        if "protocol" not in fields and m.protocol is not None:
            fields["protocol"] = m.protocol
        if "client_id" not in fields and m.client_id is not None:
            fields["client_id"] = m.client_id
        if "ca_file" not in fields and m.ca_file is not None and fields["tls"]:
            fields["ca_file"] = resolve(m.ca_file, base)
    else:
        username = (
            None if m.username is None else expand_env(m.username, "mqtt.username", environ, where)
        )
        password = (
            None if m.password is None else expand_env(m.password, "mqtt.password", environ, where)
        )
        if m.password_file is not None:
            if password is not None:
                raise ConfigError(
                    f"{where}: mqtt.password_file: mqtt.password is given too; keep one"
                )
            password = _read_password_file(
                resolve(m.password_file, base), f"{where}: mqtt.password_file"
            )
        if m.url is not None:
            conflicts = [k for k in ("host", "port", "tls") if getattr(m, k) is not None]
            if conflicts:
                raise ConfigError(
                    f"{where}: mqtt.{conflicts[0]}: give the broker either as url or as "
                    "host / port / tls, not both; remove one"
                )
            url = expand_env(m.url, "mqtt.url", environ, where)
            fields = parse_mqtt_url(url, environ, where=f"{where}: mqtt.url")
            if username is not None:
                if "username" in fields:
                    raise ConfigError(
                        f"{where}: mqtt.username: the url already has a user name; "
                        "remove one of them"
                    )
                fields["username"] = username
                fields.pop("password", None)
            if m.prefix is not None:
                if "prefix" in fields:
                    raise ConfigError(
                        f"{where}: mqtt.prefix: the url's path already sets it; remove one"
                    )
                fields["prefix"] = m.prefix
            if m.protocol is not None:
                if "protocol" in fields:
                    raise ConfigError(
                        f"{where}: mqtt.protocol: the url already sets it; remove one"
                    )
                fields["protocol"] = m.protocol
        else:
            if m.host is None:
                raise ConfigError(
                    f'{where}: mqtt: no broker; add url = "mqtt://HOST:1883" (or host = '
                    '"HOST") to [mqtt], or enabled = false to keep the table but not connect'
                )
            tls = bool(m.tls)
            fields = {
                "host": m.host,
                "port": m.port if m.port is not None else (8883 if tls else 1883),
                "tls": tls,
            }
            if username is not None:
                fields["username"] = username
            if m.prefix is not None:
                fields["prefix"] = m.prefix
            if m.protocol is not None:
                fields["protocol"] = m.protocol
        if password is not None:
            if m.url is not None and url_has_password(url):
                raise ConfigError(
                    f"{where}: mqtt.password: the url already has a password; remove one"
                )
            if "username" not in fields:
                raise ConfigError(
                    f"{where}: mqtt.password: a password needs a user name; add username"
                )
            fields["password"] = password
        elif "username" in fields and "password" not in fields and PASSWORD_ENV in environ:
            fields["password"] = environ[PASSWORD_ENV]
        url_user_id = "user_id" in fields
        if m.client_id is not None:
            if "client_id" in fields:
                raise ConfigError(f"{where}: mqtt.client_id: the url already sets it; remove one")
            fields["client_id"] = m.client_id
        if m.ca_file is not None:
            if "ca_file" in fields:
                raise ConfigError(f"{where}: mqtt.ca_file: the url already sets ca; remove one")
            fields["ca_file"] = resolve(m.ca_file, base)
    if not url_user_id or (user_id_overridden and overrides.mqtt_url is None):
        fields["user_id"] = user_id
    if m.reconnect_max_s < m.reconnect_first_s:
        raise ConfigError(
            f"{where}: mqtt.reconnect_max_s: must be at least reconnect_first_s "
            f"({m.reconnect_first_s:g}) (got {m.reconnect_max_s:g})"
        )
    ca_file = fields.get("ca_file")
    if ca_file is not None and not ca_file.is_file():
        raise ConfigError(
            f"{where}: mqtt.ca_file: {str(ca_file)!r} does not exist or is not a file; "
            "give the CA bundle's path (or leave it out for the system's CAs)"
        )
    return MqttSettings(
        **fields,
        failover=failover,
        tls_insecure=m.tls_insecure,
        keepalive_s=m.keepalive_s,
        qos=m.qos,
        alert_ttl_s=minutes(m.alert_ttl_min),
        late_after_s=m.late_after_s,
        outbox_max=m.outbox_max,
        reconnect_first_s=m.reconnect_first_s,
        reconnect_max_s=m.reconnect_max_s,
        discovery=m.discovery,
        discovery_prefix=m.discovery_prefix,
        expire_after_s=m.expire_after_s,
        support_url=m.support_url,
    )


class _Placeholders(Mapping[str, str]):
    """The environment, with a stand-in value for every unset variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __getitem__(self, key: str) -> str:
        return self._environ.get(key, "placeholder")

    def __contains__(self, key: object) -> bool:
        # SITLOAD_MQTT_PASSWORD is optional: only there when it is really set
        return key != PASSWORD_ENV or key in self._environ

    def __iter__(self) -> typing.Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)


def _check_switched_off(
    m: MqttTable,
    user_id: str,
    user_id_overridden: bool,
    environ: Mapping[str, str],
    base: Path | None,
    where: str,
) -> None:
    """``enabled = false``: the table is still checked (a mistake shows now, not on
    the day it is switched on), without needing its environment variables, its
    password file or a broker (a table with neither ``url`` nor ``host`` is fine)."""
    on = m.model_copy(update={"enabled": True})
    if m.password_file is not None and m.password is None:
        # like a variable, the file may exist only where the table is switched on
        on = on.model_copy(update={"password_file": None, "password": "placeholder"})
    if m.url is None and m.host is None:
        on = on.model_copy(update={"host": "localhost"})
    build_mqtt(on, user_id, user_id_overridden, Overrides(), _Placeholders(environ), base, where)
