"""JSON encoding of the collector's documents: one helper for every JSON the CLI
prints, the report exports and the MQTT sink publishes."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from pathlib import PurePath
from typing import Any

import numpy as np


def jsonable(value: Any, *, digits: int | None = None) -> Any:
    """A JSON-safe copy of ``value``: NaN and ±inf become null (other floats are
    rounded to ``digits`` decimals when given); numpy scalars become Python numbers
    and numpy arrays lists; enums their value; dataclasses dicts; paths strings and
    dates and times ISO text. Dicts, lists and tuples are copied through (keys kept)."""
    if isinstance(value, float):  # numpy's float64 too, rounded as numpy rounds it
        if not math.isfinite(value):
            return None
        return float(value if digits is None else round(value, digits))
    if isinstance(value, np.generic):
        return jsonable(value.item(), digits=digits)
    if isinstance(value, dict):
        return {k: jsonable(v, digits=digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v, digits=digits) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist(), digits=digits)
    if isinstance(value, enum.Enum):
        return jsonable(value.value, digits=digits)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value), digits=digits)
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def jsonable_document(value: dict[str, Any], *, digits: int | None = None) -> dict[str, Any]:
    """:func:`jsonable` of a document (a dict stays a dict)."""
    out = jsonable(value, digits=digits)
    assert isinstance(out, dict)
    return out


def dumps(value: Any, *, digits: int | None = None, indent: int | None = None) -> str:
    """``value`` as JSON text (see :func:`jsonable`); ``indent`` None is compact."""
    separators = None if indent is not None else (",", ":")
    return json.dumps(
        jsonable(value, digits=digits), indent=indent, separators=separators, allow_nan=False
    )


__all__ = ["dumps", "jsonable"]
