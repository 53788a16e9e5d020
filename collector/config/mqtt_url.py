"""MQTT broker URLs (``mqtt[s]://[user@]host[:port][/prefix][?query]``), as given to
``--mqtt`` or as ``mqtt.url``, and the ``${VAR}`` expansion of the secret-ish strings."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TypedDict, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from collector.config.errors import ConfigError, redact_url
from collector.config.identity import check_user_id
from collector.sinks.settings import MqttProtocol

PASSWORD_ENV = "SITLOAD_MQTT_PASSWORD"
"""Supplies the MQTT password when a user name is given without one."""


class MqttUrlFields(TypedDict, total=False):
    """What an MQTT URL sets (keys of :class:`collector.sinks.settings.MqttSettings`)."""

    host: str
    port: int
    tls: bool
    username: str
    password: str
    prefix: str
    user_id: str
    protocol: MqttProtocol
    ca_file: Path
    client_id: str


def check_topic_prefix(value: str) -> str:
    """The sink's own rule (one owner): no wildcard, empty level, leading ``$`` …"""
    from collector.sinks.mqtt_payloads import validate_topic_prefix

    try:
        return validate_topic_prefix(value)
    except ValueError as exc:
        # "mqtt prefix '…' is not …": the caller names the key
        hint = ""
        if "${" in value:
            hint = "; ${VAR} is only replaced in mqtt.url, mqtt.username and mqtt.password"
        raise ValueError(str(exc).split(" ", 2)[2] + hint) from None


def _protocol_from_number(value: object) -> object:
    """``protocol = 5`` (a TOML number) means ``"5"``."""
    return "5" if type(value) is int and value == 5 else value


def expand_env(value: str, key: str, environ: Mapping[str, str], where: str) -> str:
    """``${VAR}`` -> the environment variable; ``$$`` -> ``$``."""

    def replace(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        if name is None or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ConfigError(
                f"{where}: {key}: '${{' starts an environment variable; write "
                "${NAME} with a valid variable name, or $$ for a literal $"
            )
        if name not in environ:
            raise ConfigError(
                f"{where}: {key}: the environment variable {name} is not set; "
                f"set it (export {name}=…) or remove ${{{name}}} from {key}"
            )
        return environ[name]

    return re.sub(r"\$\$|\$\{([^}]*)\}|\$\{", replace, value)


_URL_QUERY = ("user_id", "protocol", "ca", "client_id")


def url_has_password(url: str) -> bool:
    try:
        return urlsplit(url.strip()).password is not None
    except ValueError:
        return False


def parse_mqtt_url(
    url: str, environ: Mapping[str, str] | None = None, *, where: str = "--mqtt"
) -> MqttUrlFields:
    """``mqtt://[user[:password]@]host[:port][/prefix][?query]`` or ``mqtts://…`` (TLS).

    The port defaults to 1883 (``mqtt``) or 8883 (``mqtts``). User and password are
    percent-decoded; when a user is given without a password the password comes from
    ``$SITLOAD_MQTT_PASSWORD`` (if set). Query parameters: ``user_id=…``,
    ``protocol=5|3.1.1|auto``, ``ca=/path/to/ca.pem``, ``client_id=…``.
    ``where`` prefixes error messages (the option or the file and key).
    """
    env = os.environ if environ is None else environ
    shown = redact_url(url)
    prefix_msg = f"{where} {shown!r}"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{prefix_msg}: not a valid URL ({exc}); e.g. mqtt://host:1883") from None
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ConfigError(
            f"{prefix_msg}: unknown scheme {parts.scheme!r}; use mqtt://host[:port] or "
            "mqtts://host[:port] (TLS)"
        )
    if not parts.hostname:
        raise ConfigError(f"{prefix_msg}: no host; e.g. {parts.scheme}://broker.local")
    if parts.fragment:
        raise ConfigError(f"{prefix_msg}: a '#' fragment has no meaning here; remove it")
    tls = parts.scheme == "mqtts"
    out: MqttUrlFields = {
        "host": parts.hostname,
        "port": port if port is not None else (8883 if tls else 1883),
        "tls": tls,
    }
    if parts.username is not None and parts.username != "":
        out["username"] = unquote(parts.username)
        if parts.password is not None:
            out["password"] = unquote(parts.password)
        elif PASSWORD_ENV in env:
            out["password"] = env[PASSWORD_ENV]
    elif parts.password:
        raise ConfigError(f"{prefix_msg}: a password without a user name; write user:pass@")
    prefix = parts.path.strip("/")
    if prefix:
        try:
            out["prefix"] = check_topic_prefix(unquote(prefix))
        except ValueError as exc:
            raise ConfigError(f"{prefix_msg}: path (topic prefix): {exc}") from None
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ConfigError(f"{prefix_msg}: the query is not name=value&…") from None
    for name, value in query:
        if name == "user_id":
            try:
                out["user_id"] = check_user_id(value)
            except ValueError as exc:
                raise ConfigError(f"{prefix_msg}: user_id: {exc}") from None
        elif name == "protocol":
            if value not in ("auto", "5", "3.1.1"):
                raise ConfigError(
                    f"{prefix_msg}: protocol={value!r}; use protocol=5, 3.1.1 or auto"
                )
            out["protocol"] = cast("MqttProtocol", value)
        elif name == "ca":
            if not value:
                raise ConfigError(f"{prefix_msg}: ca= needs the path of a CA bundle")
            out["ca_file"] = Path(value).expanduser()
        elif name == "client_id":
            if not value:
                raise ConfigError(f"{prefix_msg}: client_id= is empty")
            out["client_id"] = value
        else:
            raise ConfigError(
                f"{prefix_msg}: unknown query parameter {name!r}; allowed: " + ", ".join(_URL_QUERY)
            )
    return out


def parse_cluster_urls(
    urls: list[str], environ: Mapping[str, str], where: str
) -> tuple[str, tuple[tuple[str, int], ...]]:
    """``mqtt.urls``: the nodes of one broker cluster. Returns the first URL as written
    (it is then read as ``mqtt.url`` is) and the other nodes' ``(host, port)``, tried in
    turn when a connection fails or drops. Every URL must say the same but for the
    host and port (the nodes share TLS, credentials, prefix and query)."""
    if not urls:
        raise ConfigError(f'{where}: mqtt.urls is empty; give at least one, e.g. ["mqtt://b1"]')
    parsed: list[MqttUrlFields] = []
    for i, raw in enumerate(urls):
        key = f"mqtt.urls[{i}]"
        parsed.append(parse_mqtt_url(expand_env(raw, key, environ, where), environ, where=key))
    first = parsed[0]
    seen = {(first["host"], first["port"])}
    for i, fields in enumerate(parsed[1:], start=1):
        node = (fields["host"], fields["port"])
        if node in seen:
            raise ConfigError(
                f"{where}: mqtt.urls[{i}]: {node[0]}:{node[1]} is given twice; list each node once"
            )
        seen.add(node)
        rest = {k: v for k, v in fields.items() if k not in ("host", "port")}
        first_rest = {k: v for k, v in first.items() if k not in ("host", "port")}
        if rest != first_rest:
            differ = sorted(
                k for k in rest.keys() | first_rest.keys() if rest.get(k) != first_rest.get(k)
            )
            what = "scheme (TLS)" if differ == ["tls"] else ", ".join(differ)
            raise ConfigError(
                f"{where}: mqtt.urls[{i}]: differs from mqtt.urls[0] in {what}; the nodes "
                "of one cluster share TLS, credentials, prefix and query: only the host "
                "and port may differ"
            )
    return urls[0], tuple((f["host"], f["port"]) for f in parsed[1:])
