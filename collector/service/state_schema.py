"""The schema of the service's state file: types, ranges and finiteness.

A state file that is valid JSON can still be damaged (a disk error, an editor, a
newer or older sitload): a string where a number belongs, ``NaN``, ``1e308``, a
negative counter. Everything the file holds is checked here before the engine
sees it, so a damaged file is moved aside with one warning instead of raising deep
inside the engine (see :mod:`collector.service.state_store`).

The parts written from the analytics' state records (``StreamState``,
``AlertState``, ``DayTotals``) are checked against models built from those records'
own fields, so a field added there is checked without a second list to keep in
step. The rules by field name and type:

* times (``…t_s``, ``t0_s``): finite, within ±``MAX_TIME_S``;
* other numbers: finite, not negative, at most ``MAX_VALUE`` (counters, durations,
  indices), except a field whose default is negative (``-1`` as "none") and the
  few in ``_SIGNED`` (a UTC offset);
* bools are bools, strings are strings, and no key the record does not know.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
)

from analytics.alert_state import AlertState
from analytics.calibration_evidence import Evidence
from analytics.live_state import DayTotals
from analytics.rules import RULES
from analytics.stream_state import StreamState

MAX_TIME_S = 1e11
"""Any time in the file: ±3,000 years around 1970 (rejects 1e308, keeps every real
clock, device uptime included)."""
MAX_VALUE = 2.0**53
"""Counters, durations and indices: exact in a double."""

_SIGNED: dict[str, tuple[float, float]] = {
    "span_cls": (-1, 16),
    "local_offset_s": (-50_400.0, 50_400.0),
    "seat_peak": (-MAX_VALUE, MAX_VALUE),
}
"""Fields that may be negative, with their bounds."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


def _Float(lo: float, hi: float) -> Any:  # noqa: N802 - a type
    return Annotated[float, Field(strict=True, allow_inf_nan=False, ge=lo, le=hi)]


def _bounds(name: str, default: Any = None) -> tuple[float, float]:
    if name in _SIGNED:
        return _SIGNED[name]
    if isinstance(default, int | float) and not isinstance(default, bool) and default < 0:
        return float(default), MAX_VALUE  # e.g. -1: "none"
    if name.endswith("t_s") or name == "t0_s":
        return -MAX_TIME_S, MAX_TIME_S
    return 0.0, MAX_VALUE


def _number(name: str, kind: type, default: Any = None) -> Any:
    lo, hi = _bounds(name, default)
    if kind is int:
        return Annotated[StrictInt, Field(ge=lo, le=hi)]
    # strict: an int is a float (``0`` for ``0.0``), a bool or a string is not
    return _Float(lo, hi)


def _field_type(name: str, hint: Any, default: Any = None) -> Any:
    """The checked type of one dataclass field from its type hint."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = _field_type(name, args[0], default) if len(args) == 1 else Any
        return inner | None if len(args) < len(typing.get_args(hint)) else inner
    if hint is bool:
        return StrictBool
    if hint in (int, float):
        return _number(name, hint, default)
    if hint is str:
        return StrictStr
    if origin is list:
        return list[_Finite]
    if origin is dict:
        return _Finite
    return Any


class _Finite(BaseModel):
    """A nested plain record (a break, a held bout): any keys, finite numbers only."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False, frozen=True)

    def model_post_init(self, _context: Any) -> None:
        _check_finite(self.model_extra or {}, "")


def _check_finite(value: Any, where: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) > MAX_TIME_S:
            raise ValueError(f"{where or 'a value'} is {value!r}: not a finite, plausible number")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, f"{where}.{key}" if where else str(key))
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_finite(item, f"{where}[{i}]")
        return
    raise ValueError(f"{where or 'a value'} has an unexpected type {type(value).__name__}")


def _model_of(record: type, *, versioned: bool) -> type[BaseModel]:
    """A strict model of a state record's ``to_dict`` (its fields, plus ``version``)."""
    hints = typing.get_type_hints(record)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        default: Any = ...
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        fields[f.name] = (_field_type(f.name, hints[f.name], default), default)
    if versioned:
        fields["version"] = (Literal[1], ...)
    model: type[BaseModel] = create_model(f"{record.__name__}File", __base__=_Strict, **fields)
    return model


StreamModel = _model_of(StreamState, versioned=True)
AlertModel = _model_of(AlertState, versioned=True)
TotalsModel = _model_of(DayTotals, versioned=False)

_Component = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-1.5, le=1.5)]
_Share = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0.0, le=1.0)]
_Degrees = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0.0, le=180.0)]
_TimeF = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-MAX_TIME_S, le=MAX_TIME_S)]
_Vector = Annotated[list[_Component], Field(min_length=3, max_length=3)]


class _Thigh(_Strict):
    up: _Vector
    forward: _Vector
    source: StrictStr = "auto"
    confidence: _Share = 1.0
    upright_refs: list[_Vector] | None = None
    sit_threshold_deg: _Degrees = RULES.sit_threshold_deg


class _Trunk(_Strict):
    up: _Vector
    forward: _Vector
    source: StrictStr = "auto"


class _Calibration(_Strict):
    thigh: _Thigh | None = None
    trunk: _Trunk | None = None


_Time = Annotated[StrictInt, Field(ge=-MAX_TIME_S, le=MAX_TIME_S)]
_AnyNumber = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-MAX_VALUE, le=MAX_VALUE)]


_Count = Annotated[StrictInt, Field(ge=0, le=int(MAX_TIME_S))]
_Sum = Annotated[list[_AnyNumber], Field(min_length=3, max_length=3)]


def _evidence_model() -> type[BaseModel]:
    """The live calibration evidence: sums of unit directions (3 components each) and
    counts of seconds, from the record's own fields (a new field is checked too)."""
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(Evidence):
        fields[f.name] = (_Count, ...) if f.type in ("int", int) else (_Sum, ...)
    model: type[BaseModel] = create_model("EvidenceFile", __base__=_Strict, **fields)
    return model


EvidenceModel = _evidence_model()


class _Engine(_Strict):
    version: Literal[1]
    emitted_to: _Time | None = None
    origin_s: _Time | None = None
    """Where the live windows' 60 s off-body blocks start (the batch's blocks)."""
    calibration_evidence: EvidenceModel | None = None  # type: ignore[valid-type]
    stream: StreamModel | None = None  # type: ignore[valid-type]
    alerts: AlertModel  # type: ignore[valid-type]
    totals: TotalsModel | None = None  # type: ignore[valid-type]
    calibration: _Calibration | None = None
    seat_baseline: list[_AnyNumber] | None = None
    """The seat mat's empty-seat level per cell, as tracked (any unit the mat has)."""

    def model_post_init(self, _context: Any) -> None:
        """The exposure engine's clock and the engine's are one clock: a file where
        they disagree was edited or damaged (resuming it would walk the difference)."""
        stream = self.stream
        if stream is None or self.emitted_to is None:
            return
        at = stream.t0_s + stream.index * stream.dt_s
        if abs(at - self.emitted_to) > 1e-3:
            raise ValueError(
                f"emitted_to ({self.emitted_to}) is not where the exposure engine "
                f"stopped ({at:.0f})"
            )


class _Extra(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False, frozen=True)
    sim_start_t_s: _TimeF | None = None

    def model_post_init(self, _context: Any) -> None:
        _check_finite(self.model_extra or {}, "extra")


class _StateFile(_Strict):
    version: Literal[1]
    source: StrictStr
    finished: StrictBool = False
    extra: _Extra = _Extra()
    engine: _Engine | None = None


def problem(state: Any) -> str | None:
    """Why ``state`` (the parsed JSON of a state file) cannot be used, or None."""
    if not isinstance(state, dict):
        return "not a JSON object"
    try:
        _StateFile.model_validate(state)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        more = exc.error_count() - 1
        also = f" (and {more} more)" if more else ""
        return f"{where}: {first['msg']}{also}"
    return None


__all__ = ["MAX_TIME_S", "MAX_VALUE", "problem"]
