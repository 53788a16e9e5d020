"""One JSON encoding (collector/json_encoding.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
from pathlib import Path

import numpy as np

from collector.json_encoding import dumps, jsonable


class _Kind(enum.StrEnum):
    SIT = "sit"


class _Plain(enum.Enum):
    ONE = 1


@dataclasses.dataclass(frozen=True)
class _Record:
    name: str
    value_s: float


def test_no_nan_or_infinity_reaches_json() -> None:
    doc = {"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": (np.float64("nan"),)}
    assert jsonable(doc) == {"a": None, "b": [None, None, 1.5], "c": [None]}
    assert dumps(doc) == '{"a":null,"b":[null,null,1.5],"c":[null]}'


def test_rounding_when_asked_for() -> None:
    assert jsonable({"x": [1.23456, 2]}, digits=2) == {"x": [1.23, 2]}
    assert jsonable(1.23456) == 1.23456


def test_numpy_enums_dataclasses_paths_and_dates() -> None:
    doc = {
        "n": np.int64(3),
        "f": np.float32(0.5),
        "arr": np.array([[1, 2], [3, 4]]),
        "b": np.bool_(True),
        "kind": _Kind.SIT,
        "plain": _Plain.ONE,
        "rec": _Record("x", 2.0),
        "path": Path("/tmp/a.csv"),
        "day": dt.date(2024, 5, 6),
    }
    out = jsonable(doc)
    assert out == {
        "n": 3,
        "f": 0.5,
        "arr": [[1, 2], [3, 4]],
        "b": True,
        "kind": "sit",
        "plain": 1,
        "rec": {"name": "x", "value_s": 2.0},
        "path": "/tmp/a.csv",
        "day": "2024-05-06",
    }
    assert type(out["n"]) is int
    assert type(out["f"]) is float
    assert json.loads(dumps(doc, indent=2)) == out


def test_numpy_floats_round_as_before() -> None:
    x = np.float64(0.285)
    assert jsonable(x, digits=2) == float(round(x, 2))
