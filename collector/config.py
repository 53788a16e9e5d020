"""TOML config file -> validated settings (errors name the key path).

:func:`load_settings` reads one TOML file (``config/desk-worker.toml`` and
``config/cyclist.toml`` are the commented reference), validates it with pydantic
models internally and returns plain frozen dataclasses (:class:`Settings`) to the rest
of the program. Command-line :class:`Overrides` win over the file; without a file the
defaults built into the code apply (a simulated desk day at 60 × real time, console
alerts, no broker).

Every problem is a :class:`ConfigError` whose message names the file, the key path,
the problem and the fix, e.g.::

    config.toml: alerts.prompt_after_min: must be greater than 0 (got -5)
    config.toml: alerts.working_hours.mon-fri[1]: '25:00-07:00': 25:00 is not a time …

Rules worth knowing:

* Unknown keys are errors (a misspelt key would otherwise be ignored silently).
* Values have their TOML type: ``30`` not ``"30"``; ``true`` not ``"yes"``.
* Relative paths (``source.file``, ``mqtt.ca_file``, ``state.dir``) are relative to
  the config file's folder; ``~`` is expanded.
* ``${VAR}`` is replaced by the environment variable ``VAR`` in the secret-ish strings
  only: ``mqtt.url``, ``mqtt.username`` and ``mqtt.password`` (``$$`` is a literal
  ``$``). An unset variable is an error naming the key and the variable. Nowhere else
  is the environment read, except ``SITLOAD_MQTT_PASSWORD``, which supplies the
  password when a user name is given without one.
* Passwords never appear in error messages or in ``repr``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import tomllib
import types
import typing
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict, cast, get_args, get_origin
from urllib.parse import parse_qsl, unquote, urlsplit

import platformdirs
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as _PydanticValidationError

from analytics.alerts import DAY_S, AlertParams, Windows
from analytics.compression import ExposureParams
from collector.sinks.settings import ConsoleSettings, MqttProtocol, MqttSettings

__all__ = [
    "OVERRIDE_FLAGS",
    "ConfigError",
    "MqttUrlFields",
    "Overrides",
    "Settings",
    "SourceFields",
    "SourceSettings",
    "format_window",
    "load_settings",
    "parse_mqtt_url",
    "parse_source",
    "parse_window",
    "sqlite_path",
]

APP_NAME = "sitload"
PASSWORD_ENV = "SITLOAD_MQTT_PASSWORD"
"""Supplies the MQTT password when a user name is given without one."""

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

HISTORY_SCHEMES = ("sqlite", "influxdb-v1", "influxdb")


class ConfigError(ValueError):
    """The configuration is wrong. The message names the file (or the command-line
    option), the key path, the problem and the fix; the CLI exits 2 with it."""


# --- the records the program uses ------------------------------------------------------


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
    state_dir: Path
    history_url: str
    config_path: Path | None

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            text = _redact_url(value) if f.name == "history_url" else value
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


class SourceFields(TypedDict, total=False):
    """What a ``--source`` text sets."""

    kind: SourceKind
    file: Path
    profile: Profile


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


_SOURCE = SourceSettings()
_ALERTS = AlertParams()
_MQTT = MqttSettings(host="localhost")
_CONSOLE = ConsoleSettings()
_SECRET_KEYS = frozenset({"password", "url", "username"})
"""Keys whose values are never echoed in an error message."""


# --- small parsers -------------------------------------------------------------------

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_WINDOW_HINT = "write HH:MM-HH:MM (24-hour clock, 00:00 to 23:59; 24:00 only as an end)"


def _parse_clock(text: str, whole: str, *, end: bool) -> float:
    m = _CLOCK.match(text)
    if m is None:
        raise ValueError(f"{whole!r}: {text.strip()!r} is not a time of day; {_WINDOW_HINT}")
    hh, mm = int(m.group(1)), int(m.group(2))
    if end and (hh, mm) == (24, 0):
        return DAY_S
    if hh > 23 or mm > 59:
        raise ValueError(f"{whole!r}: {text.strip()} is not a time of day; {_WINDOW_HINT}")
    return float(hh * 3600 + mm * 60)


def parse_window(text: str, *, wrap: bool) -> tuple[float, float]:
    """``"HH:MM-HH:MM"`` -> ``(start_s, end_s)`` in local seconds of the day.

    ``wrap``: the window may pass midnight (quiet hours, ``"22:00-07:00"``); otherwise
    it must start before it ends (working hours). ``24:00`` is allowed as an end.
    """
    start, sep, end = text.replace("–", "-").partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a window; {_WINDOW_HINT}, e.g. '09:00-17:30'")
    a = _parse_clock(start, text, end=False)
    b = _parse_clock(end, text, end=True)
    if wrap and (a == b or (a == 0.0 and b == DAY_S)):
        raise ValueError(f"{text!r} is empty or the whole day; start and end must differ")
    if not wrap and a >= b:
        raise ValueError(
            f"{text!r} must start before it ends; working hours cannot pass midnight: "
            "split the window over two days (…-24:00 and 00:00-…)"
        )
    return a, b


def format_window(window: tuple[float, float]) -> str:
    """``(start_s, end_s)`` -> ``"HH:MM-HH:MM"`` (inverse of :func:`parse_window`)."""

    def clock(s: float) -> str:
        minutes = round(s / 60.0)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return f"{clock(window[0])}-{clock(window[1])}"


_USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _check_user_id(value: str) -> str:
    if not _USER_ID.match(value):
        raise ValueError(
            f"{value!r} is not a valid id; use 1 to 64 of the characters a-z A-Z 0-9 _ - "
            "(a pseudonym such as 'p-7f3a', never a name: it appears in MQTT topics)"
        )
    return value


def _check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as 'Europe/London' or "
            "'America/New_York' (leave it out for the system's zone)"
        ) from None
    return value


def _check_device(value: str) -> str:
    # Imported here: the BLE stack is heavy and only a BLE source needs it.
    from collector.ble.session import SetupError, parse_device

    try:
        parse_device(value)
    except SetupError as exc:
        raise ValueError(str(exc).replace("--device ", "", 1)) from None
    return value


def _check_topic_prefix(value: str) -> str:
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


def _expand_env(value: str, key: str, environ: Mapping[str, str], where: str) -> str:
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


def _redact_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (for messages and repr)."""
    return re.sub(r"(//[^/@:]*:)[^/]*@", r"\1***@", url)


# --- the file's schema (pydantic, internal) ----------------------------------------------

_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True)

PositiveMin = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def _check_quiet_window(value: str) -> str:
    parse_window(value, wrap=True)
    return value


def _check_work_window(value: str) -> str:
    parse_window(value, wrap=False)
    return value


QuietWindow = Annotated[str, AfterValidator(_check_quiet_window)]
WorkWindow = Annotated[str, AfterValidator(_check_work_window)]
UserId = Annotated[str, AfterValidator(_check_user_id)]
Device = Annotated[str, AfterValidator(_check_device)]
TopicPrefix = Annotated[str, AfterValidator(_check_topic_prefix)]


class _User(BaseModel):
    model_config = _CONFIG
    id: UserId | None = None
    timezone: Annotated[str, AfterValidator(_check_timezone)] | None = None
    profile: Profile | None = None


class _Source(BaseModel):
    model_config = _CONFIG
    kind: SourceKind = _SOURCE.kind
    devices: list[Device] = Field(default_factory=list)
    file: str | None = None
    speed: PositiveMin = _SOURCE.speed
    hours: Annotated[float, Field(ge=0.05, le=24 * 14, allow_inf_nan=False)] = _SOURCE.hours
    seed: Annotated[int, Field(ge=0)] = _SOURCE.seed
    trunk: bool = _SOURCE.trunk
    seat: bool = _SOURCE.seat
    seat_baseline: list[Annotated[float, Field(allow_inf_nan=False)]] | None = Field(
        default=None, min_length=1
    )


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _WorkingHours(BaseModel):
    model_config = _CONFIG
    mon_fri: list[WorkWindow] | None = Field(default=None, alias="mon-fri")
    mon: list[WorkWindow] | None = None
    tue: list[WorkWindow] | None = None
    wed: list[WorkWindow] | None = None
    thu: list[WorkWindow] | None = None
    fri: list[WorkWindow] | None = None
    sat: list[WorkWindow] | None = None
    sun: list[WorkWindow] | None = None

    def week(self) -> tuple[Windows, ...]:
        out: list[Windows] = []
        for d, name in enumerate(_DAYS):
            own = cast("list[str] | None", getattr(self, name))
            texts = own if own is not None else (self.mon_fri if d < 5 else None) or []
            out.append(tuple(parse_window(t, wrap=False) for t in texts))
        return tuple(out)


class _Alerts(BaseModel):
    model_config = _CONFIG
    prompt_after_min: PositiveMin = _ALERTS.prompt_after_s / 60.0
    escalate_after_min: PositiveMin = _ALERTS.escalate_after_s / 60.0
    repeat_every_min: NonNegative = _ALERTS.repeat_every_s / 60.0
    stand_for_min: Annotated[float, Field(ge=2, le=5, allow_inf_nan=False)] = (
        _ALERTS.stand_for_s / 60.0
    )
    break_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = _ALERTS.break_s
    taken_within_min: PositiveMin = _ALERTS.taken_within_s / 60.0
    snooze_default_min: PositiveMin = _ALERTS.snooze_default_s / 60.0
    snooze_max_min: PositiveMin = _ALERTS.snooze_max_s / 60.0
    snooze_daily_limit: Annotated[int, Field(ge=0)] = _ALERTS.snooze_daily_limit
    hip_prompt_after_min: PositiveMin = _ALERTS.hip_prompt_after_s / 60.0
    saddle_prompt_after_min: PositiveMin = _ALERTS.saddle_prompt_after_s / 60.0
    saddle_stand_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = _ALERTS.saddle_stand_s
    status_after_s: NonNegative = _ALERTS.status_after_s
    quiet_hours: list[QuietWindow] = Field(default_factory=list)
    working_hours: _WorkingHours | None = None


class _Mqtt(BaseModel):
    model_config = _CONFIG
    enabled: bool = True
    url: str | None = None
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
    alert_ttl_min: PositiveMin = _MQTT.alert_ttl_s / 60.0
    late_after_s: NonNegative = _MQTT.late_after_s
    outbox_max: Annotated[int, Field(ge=1)] = _MQTT.outbox_max
    reconnect_min_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = _MQTT.reconnect_min_s
    reconnect_max_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = _MQTT.reconnect_max_s
    discovery: bool = _MQTT.discovery
    discovery_prefix: TopicPrefix = _MQTT.discovery_prefix
    expire_after_s: Annotated[int, Field(ge=0)] = _MQTT.expire_after_s


class _Console(BaseModel):
    model_config = _CONFIG
    enabled: bool = _CONSOLE.enabled
    desktop: bool = _CONSOLE.desktop
    status_every_s: NonNegative = _CONSOLE.status_every_s


class _State(BaseModel):
    model_config = _CONFIG
    dir: Annotated[str, Field(min_length=1)] | None = None


class _History(BaseModel):
    model_config = _CONFIG
    url: Annotated[str, Field(min_length=1)] | None = None


class _File(BaseModel):
    model_config = _CONFIG
    user: _User = Field(default_factory=_User)
    source: _Source = Field(default_factory=_Source)
    alerts: _Alerts = Field(default_factory=_Alerts)
    mqtt: _Mqtt | None = None
    console: _Console = Field(default_factory=_Console)
    state: _State = Field(default_factory=_State)
    history: _History = Field(default_factory=_History)


# --- pydantic errors -> messages naming the key path -------------------------------------


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _unwrap(annotation: Any) -> Any:
    """The model class (or list item type) inside Optional / Annotated / list."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            annotation = args[0]
        elif origin is list:
            annotation = get_args(annotation)[0]
        else:
            return annotation


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    model: Any = _File
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        by_key = {(f.alias or name): f for name, f in model.model_fields.items()}
        if part not in by_key:
            return None
        model = _unwrap(by_key[part].annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [(f.alias or name) for name, f in model.model_fields.items()]


_TYPE_WORDS = {
    "int_type": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be a string in double quotes",
    "list_type": 'must be a list in square brackets, e.g. ["…"]',
    "model_type": "must be a table",
    "dict_type": "must be a table",
    "finite_number": "must be a finite number",
}


def _describe(error: Mapping[str, Any], where: str) -> str:
    loc = tuple(error["loc"])
    path = _key_path(loc)
    kind = error["type"]
    value = error.get("input")
    last = loc[-1] if loc else ""
    secret = isinstance(last, str) and last in _SECRET_KEYS
    got = "" if secret else f" (got {value!r})"
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        known = _keys_of(parent) if parent is not None else []
        what = "table" if isinstance(value, dict) else "key"
        close = difflib.get_close_matches(str(last), known, n=1)
        fix = f"did you mean {close[0]!r}? " if close else ""
        return (
            f"{where}: {path}: unknown {what}; {fix}known keys here: {', '.join(known)} "
            "(see config/desk-worker.toml)"
        )
    if kind == "missing":
        return f"{where}: {path}: required; add it"
    if kind == "value_error":
        ctx = error.get("ctx") or {}
        return f"{where}: {path}: {ctx.get('error', error['msg'])}"
    if kind in _TYPE_WORDS:
        hint = ""
        if isinstance(value, str) and kind in ("int_type", "float_type", "bool_type"):
            hint = "; write it without quotes"
        return f"{where}: {path}: {_TYPE_WORDS[kind]}{got}{hint}"
    msg = str(error["msg"])
    msg = msg.replace("Input should be", "must be").replace("String should", "must")
    return f"{where}: {path}: {msg}{got}"


# --- public parsers ----------------------------------------------------------------------


def parse_source(text: str) -> SourceFields:
    """``--source`` text: ``replay:FILE``, ``simulate`` (a day of the person's profile:
    ``[user] profile``, desk by default), ``simulate:desk``, ``simulate:cyclist`` or
    ``ble`` (the devices come from ``[source] devices``).

    ``FILE`` is taken as written (relative to the working directory); whether it exists
    is checked by :func:`load_settings`.
    """
    kind, sep, rest = text.strip().partition(":")
    usage = "use replay:FILE, simulate, simulate:desk, simulate:cyclist or ble"
    if kind == "replay":
        if not rest:
            raise ConfigError(f"--source {text!r}: replay needs a file: replay:FILE")
        return {"kind": "replay", "file": Path(rest).expanduser()}
    if kind == "simulate":
        if not sep:
            return {"kind": "simulate"}
        if rest not in ("desk", "cyclist"):
            raise ConfigError(
                f"--source {text!r}: unknown profile {rest!r}; use simulate:desk or "
                "simulate:cyclist"
            )
        return {"kind": "simulate", "profile": cast("Profile", rest)}
    if kind == "ble":
        if sep:
            raise ConfigError(
                f"--source {text!r}: the BLE devices come from [source] devices of the "
                "config file; use just ble"
            )
        return {"kind": "ble"}
    raise ConfigError(f"--source {text!r}: unknown source {kind!r}; {usage}")


_URL_QUERY = ("user_id", "protocol", "ca", "client_id")


def _url_has_password(url: str) -> bool:
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
    shown = _redact_url(url)
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
            out["prefix"] = _check_topic_prefix(unquote(prefix))
        except ValueError as exc:
            raise ConfigError(f"{prefix_msg}: path (topic prefix): {exc}") from None
    try:
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ConfigError(f"{prefix_msg}: the query is not name=value&…") from None
    for name, value in query:
        if name == "user_id":
            try:
                out["user_id"] = _check_user_id(value)
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


def sqlite_path(url: str) -> Path:
    """The database file of a ``sqlite:///ABSOLUTE/PATH`` history URL."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a sqlite:/// URL: {_redact_url(url)!r}")
    return Path("/" + url[len("sqlite:///") :].lstrip("/"))


def _check_history_url(url: str, where: str) -> str:
    shown = _redact_url(url)
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in HISTORY_SCHEMES:
        raise ConfigError(
            f"{where}: {shown!r}: unknown history store; use sqlite:///PATH/history.db, "
            "influxdb://HOST:PORT/… (2.x/3.x) or influxdb-v1://HOST:PORT/…"
        )
    if scheme == "sqlite":
        if not rest.startswith("/") or rest.strip("/") == "":
            raise ConfigError(
                f"{where}: {shown!r}: give an absolute file path after sqlite:// , e.g. "
                "sqlite:///var/lib/sitload/history.db"
            )
        # one canonical form: sqlite:/// + the absolute path
        return "sqlite:///" + rest.lstrip("/")
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not host:
        raise ConfigError(f"{where}: {shown!r}: no host; e.g. {scheme}://localhost:8086/…")
    return url


def _default_history_url() -> str:
    return _check_history_url(
        f"sqlite:///{platformdirs.user_data_path(APP_NAME)}/history.db", "default"
    )


# --- loading -----------------------------------------------------------------------------


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


def _resolve(path_text: str, base: Path | None) -> Path:
    p = Path(path_text).expanduser()
    return p if p.is_absolute() or base is None else base / p


def _minutes(v: float) -> float:
    return v * 60.0


def _alert_params(a: _Alerts, profile: Profile, where: str) -> AlertParams:
    try:
        return AlertParams(
            prompt_after_s=_minutes(a.prompt_after_min),
            escalate_after_s=_minutes(a.escalate_after_min),
            repeat_every_s=_minutes(a.repeat_every_min),
            stand_for_s=_minutes(a.stand_for_min),
            break_s=a.break_s,
            taken_within_s=_minutes(a.taken_within_min),
            snooze_daily_limit=a.snooze_daily_limit,
            snooze_default_s=_minutes(a.snooze_default_min),
            snooze_max_s=_minutes(a.snooze_max_min),
            hip_prompt_after_s=_minutes(a.hip_prompt_after_min),
            cyclist=profile == "cyclist",
            saddle_prompt_after_s=_minutes(a.saddle_prompt_after_min),
            saddle_stand_s=a.saddle_stand_s,
            status_after_s=a.status_after_s,
            quiet_hours_s=tuple(parse_window(w, wrap=True) for w in a.quiet_hours),
            working_hours_s=None if a.working_hours is None else a.working_hours.week(),
        )
    except ValueError as exc:
        message = str(exc)
        # AlertParams speaks in seconds; name the keys of the file, in its units
        named = [
            f"{key} = {getattr(a, key)!r}"
            for param, key in _ALERT_KEYS.items()
            if re.search(rf"\b{param}\b", message)
        ]
        keys = f"; in [alerts]: {', '.join(named)}" if named else ""
        raise ConfigError(
            f"{where}: alerts: {message} (AlertParams, in seconds{keys}); change the "
            "[alerts] values so they agree"
        ) from None


_ALERT_KEYS = {
    "prompt_after_s": "prompt_after_min",
    "escalate_after_s": "escalate_after_min",
    "repeat_every_s": "repeat_every_min",
    "stand_for_s": "stand_for_min",
    "break_s": "break_s",
    "taken_within_s": "taken_within_min",
    "snooze_daily_limit": "snooze_daily_limit",
    "snooze_default_s": "snooze_default_min",
    "snooze_max_s": "snooze_max_min",
    "hip_prompt_after_s": "hip_prompt_after_min",
    "saddle_prompt_after_s": "saddle_prompt_after_min",
    "saddle_stand_s": "saddle_stand_s",
    "status_after_s": "status_after_s",
}
"""AlertParams field -> [alerts] key."""


def _exposure(alerts: AlertParams) -> ExposureParams:
    return ExposureParams(
        break_s=alerts.break_s,
        milestones_min=(alerts.prompt_after_s / 60.0, alerts.escalate_after_s / 60.0),
        repeat_every_min=alerts.repeat_every_s / 60.0,
    )


def _source(
    s: _Source, profile: Profile, overrides: Overrides, base: Path | None, where: str
) -> SourceSettings:
    kind: SourceKind = s.kind
    file_key = "source.file"
    file: Path | None = None if s.file is None else _resolve(s.file, base)
    speed = s.speed
    if overrides.source is not None:
        fields = parse_source(overrides.source)
        kind = fields["kind"]
        file = fields.get("file", file if kind == "replay" else None)
        profile = fields.get("profile", profile)
        file_key = "--source"
    if overrides.speed is not None:
        if not (math.isfinite(overrides.speed) and overrides.speed > 0):
            raise ConfigError(
                f"--speed {overrides.speed!r}: must be a number greater than 0 (1: real time)"
            )
        if kind == "ble" and overrides.speed != 1.0:
            raise ConfigError(
                f"--speed {overrides.speed:g}: a BLE source runs in real time; leave --speed "
                "out (it is for replay and simulate sources)"
            )
        speed = overrides.speed
    devices = tuple(s.devices)
    if kind == "ble":
        speed = 1.0  # source.speed is a replay / simulate setting
        if not devices:
            ble_where = "--source ble" if overrides.source is not None else where
            raise ConfigError(
                f"{ble_where}: source.devices: a BLE source needs at least one device; add "
                'e.g. devices = ["sitload-imu/thigh"] to [source] (the syntax of '
                "sitload record --device)"
            )
    if kind == "replay":
        if file is None:
            raise ConfigError(
                f"{where}: source.file: a replay source needs a recording; add "
                'file = "day.csv" to [source]'
            )
        if not file.is_file():
            place = "--source" if file_key == "--source" else f"{where}: source.file"
            raise ConfigError(
                f"{place}: the recording {str(file)!r} does not exist or is not a file; "
                "check the path (relative paths in the config file are relative to its "
                "folder)"
            )
    return SourceSettings(
        kind=kind,
        file=file if kind == "replay" else None,
        profile=profile,
        hours=s.hours,
        seed=s.seed,
        speed=speed,
        devices=devices,
        trunk=s.trunk,
        seat=s.seat,
        seat_baseline=None if s.seat_baseline is None else tuple(s.seat_baseline),
    )


def _mqtt(
    m: _Mqtt | None,
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
        m = _Mqtt()
    fields: MqttUrlFields = {}
    if overrides.mqtt_url is not None:
        if _url_has_password(overrides.mqtt_url):
            raise ConfigError(
                f"--mqtt {_redact_url(overrides.mqtt_url)!r}: a password on the command line "
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
            fields["ca_file"] = _resolve(m.ca_file, base)
    else:
        username = (
            None if m.username is None else _expand_env(m.username, "mqtt.username", environ, where)
        )
        password = (
            None if m.password is None else _expand_env(m.password, "mqtt.password", environ, where)
        )
        if m.password_file is not None:
            if password is not None:
                raise ConfigError(
                    f"{where}: mqtt.password_file: mqtt.password is given too; keep one"
                )
            password = _read_password_file(
                _resolve(m.password_file, base), f"{where}: mqtt.password_file"
            )
        if m.url is not None:
            conflicts = [k for k in ("host", "port", "tls") if getattr(m, k) is not None]
            if conflicts:
                raise ConfigError(
                    f"{where}: mqtt.{conflicts[0]}: give the broker either as url or as "
                    "host / port / tls, not both; remove one"
                )
            url = _expand_env(m.url, "mqtt.url", environ, where)
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
            if m.url is not None and _url_has_password(url):
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
            fields["ca_file"] = _resolve(m.ca_file, base)
    if not url_user_id or (user_id_overridden and overrides.mqtt_url is None):
        fields["user_id"] = user_id
    if m.reconnect_max_s < m.reconnect_min_s:
        raise ConfigError(
            f"{where}: mqtt.reconnect_max_s: must be at least reconnect_min_s "
            f"({m.reconnect_min_s:g}) (got {m.reconnect_max_s:g})"
        )
    ca_file = fields.get("ca_file")
    if ca_file is not None and not ca_file.is_file():
        raise ConfigError(
            f"{where}: mqtt.ca_file: {str(ca_file)!r} does not exist or is not a file; "
            "give the CA bundle's path (or leave it out for the system's CAs)"
        )
    return MqttSettings(
        **fields,
        tls_insecure=m.tls_insecure,
        keepalive_s=m.keepalive_s,
        qos=m.qos,
        alert_ttl_s=_minutes(m.alert_ttl_min),
        late_after_s=m.late_after_s,
        outbox_max=m.outbox_max,
        reconnect_min_s=m.reconnect_min_s,
        reconnect_max_s=m.reconnect_max_s,
        discovery=m.discovery,
        discovery_prefix=m.discovery_prefix,
        expire_after_s=m.expire_after_s,
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
    m: _Mqtt,
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
    _mqtt(on, user_id, user_id_overridden, Overrides(), _Placeholders(environ), base, where)


def _check_state_dir(path: Path, where: str) -> Path:
    """``path`` unless it (or the first of its parents that exists) is not a folder."""
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                what = "it" if p == path else f"{str(p)!r}"
                raise ConfigError(
                    f"{where}: {str(path)!r}: {what} is not a directory; give a folder "
                    "for the service's state (e.g. /var/lib/sitload or ~/.local/state/sitload)"
                )
            break
    return path


def load_settings(
    path: Path | None,
    overrides: Overrides = Overrides(),
    *,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read and validate the config file (None: the built-in defaults), then apply the
    command-line ``overrides``. Raises :class:`ConfigError`.

    ``environ`` (default ``os.environ``) supplies ``${VAR}`` values and
    ``SITLOAD_MQTT_PASSWORD``.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    where = "config" if path is None else str(path)
    data: dict[str, Any] = {} if path is None else _read(path)
    try:
        cfg = _File.model_validate(data)
    except _PydanticValidationError as exc:
        lines = [_describe(e, where) for e in exc.errors(include_url=False)]
        raise ConfigError("\n".join(lines)) from None
    base = None if path is None else path.parent

    user_id = cfg.user.id or "user"
    if overrides.user_id is not None:
        try:
            user_id = _check_user_id(overrides.user_id)
        except ValueError as exc:
            raise ConfigError(f"--user: {exc}") from None

    source_profile: Profile | None = None
    if overrides.source is not None:
        source_profile = parse_source(overrides.source).get("profile")
    # the person's profile: --profile; [user] profile; else a simulated cyclist makes
    # it cyclist
    profile: Profile = overrides.profile or cfg.user.profile or source_profile or "desk"
    source = _source(cfg.source, profile, overrides, base, where)

    alerts = _alert_params(cfg.alerts, profile, where)
    mqtt = _mqtt(cfg.mqtt, user_id, overrides.user_id is not None, overrides, env, base, where)
    console = ConsoleSettings(
        enabled=cfg.console.enabled,
        desktop=cfg.console.desktop,
        status_every_s=cfg.console.status_every_s,
    )
    if overrides.state_dir is not None:
        state_dir = _check_state_dir(overrides.state_dir.expanduser(), "--state-dir")
    elif cfg.state.dir is not None:
        state_dir = _check_state_dir(_resolve(cfg.state.dir, base), f"{where}: state.dir")
    else:
        state_dir = platformdirs.user_state_path(APP_NAME)
    if overrides.history_url is not None:
        history_url = _check_history_url(overrides.history_url, "--history")
    elif cfg.history.url is not None:
        history_url = _check_history_url(cfg.history.url, f"{where}: history.url")
    else:
        history_url = _default_history_url()
    return Settings(
        user_id=user_id,
        timezone=cfg.user.timezone,
        profile=profile,
        source=source,
        alerts=alerts,
        exposure=_exposure(alerts),
        mqtt=mqtt,
        console=console,
        state_dir=state_dir,
        history_url=history_url,
        config_path=path,
    )
