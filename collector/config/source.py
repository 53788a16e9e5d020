"""The ``[source]`` table and ``--source``: where samples come from (BLE sensors, a
recording replayed, or a simulated day)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, TypedDict, cast

from pydantic import AfterValidator, BaseModel, Field

from collector.config.errors import ConfigError
from collector.config.records import Overrides, Profile, SourceKind, SourceSettings
from collector.config.schema import TABLE, Positive, resolve

_SOURCE = SourceSettings()
SIM_MAX_H = 24.0 * 366
"""The longest simulation ``source.hours`` takes: a year. The service makes and replays
it ten minutes at a time (collector/service/plans.py), so a month's soak needs the
memory of a day."""


class SourceFields(TypedDict, total=False):
    """What a ``--source`` text sets."""

    kind: SourceKind
    file: Path
    profile: Profile


def _check_device(value: str) -> str:
    # Imported here: the BLE stack is heavy and only a BLE source needs it.
    from collector.ble.session import SetupError, parse_device

    try:
        parse_device(value)
    except SetupError as exc:
        raise ValueError(str(exc).replace("--device ", "", 1)) from None
    return value


Device = Annotated[str, AfterValidator(_check_device)]


class SourceTable(BaseModel):
    model_config = TABLE
    kind: SourceKind = _SOURCE.kind
    devices: list[Device] = Field(default_factory=list)
    file: str | None = None
    speed: Positive = _SOURCE.speed
    hours: Annotated[float, Field(ge=0.05, le=SIM_MAX_H, allow_inf_nan=False)] = _SOURCE.hours
    seed: Annotated[int, Field(ge=0)] = _SOURCE.seed
    trunk: bool = _SOURCE.trunk
    seat: bool = _SOURCE.seat
    seat_baseline: list[Annotated[float, Field(allow_inf_nan=False)]] | None = Field(
        default=None, min_length=1
    )


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


def build_source(
    s: SourceTable, profile: Profile, overrides: Overrides, base: Path | None, where: str
) -> SourceSettings:
    kind: SourceKind = s.kind
    file_key = "source.file"
    file: Path | None = None if s.file is None else resolve(s.file, base)
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
