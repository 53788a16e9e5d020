"""Reading InfluxQL answers: the numeric fast path gives exactly what ``json.loads``
gives (NaN for null), and anything that is not all numbers falls back to JSON."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.sinks.history.influxql_answers import numeric_answer, series_of

_number = st.one_of(
    st.none(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
)


def _answer(series: list[dict[str, Any]], **extra: Any) -> bytes:
    doc = {"results": [{"statement_id": 0, "series": series, **extra}]}
    return json.dumps(doc, separators=(",", ":")).encode()


def _by_json(line: bytes) -> list[np.ndarray]:
    return [
        np.array(s.values, dtype=np.float64).reshape(len(s.values), len(s.columns))
        for _, s in series_of(json.loads(line), "q", "here")
        if s is not None
    ]


def _by_numbers(line: bytes) -> list[np.ndarray]:
    fast = numeric_answer(line)
    assert fast is not None
    doc, numbers = fast
    out = []
    for _, s in series_of(doc, "q", "here", numbers):
        if s is not None:
            assert s.values == []
            assert s.numbers is not None
            out.append(s.numbers)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.tuples(_number, _number, _number), max_size=30), max_size=3))
def test_numbers_are_read_exactly_as_json_reads_them(
    tables: list[list[tuple[Any, Any, Any]]],
) -> None:
    series = [
        {
            "name": "timeline",
            "tags": {"device": f"d{i}", "sensor_kind": "sim"},
            "columns": ["time", "posture", "hip_flexion_deg"],
            "values": [list(r) for r in rows],
        }
        for i, rows in enumerate(tables)
    ]
    line = _answer(series, partial=True)
    want, got = _by_json(line), _by_numbers(line)
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.shape == b.shape
        assert np.array_equal(a, b, equal_nan=True)
        # bit for bit: the same correctly rounded doubles
        assert a.tobytes() == b.tobytes()


def test_partial_tags_and_columns_survive_the_cut() -> None:
    line = _answer(
        [
            {
                "name": "timeline",
                "tags": {"device": 'a"],[1'},
                "columns": ["time", "x"],
                "values": [[1, 2.5], [2, None]],
                "partial": True,
            }
        ],
    )
    doc, numbers = numeric_answer(line) or ({}, [])
    (_, _), (_, s) = list(series_of(doc, "q", "here", numbers))
    assert s is not None
    assert s.tags == {"device": 'a"],[1'}
    assert s.partial
    assert s.numbers is not None
    assert s.numbers[0].tolist() == [1.0, 2.5]
    assert math.isnan(s.numbers[1, 1])
    assert s.last_time() == 2


def test_strings_and_booleans_go_through_json() -> None:
    assert numeric_answer(_answer([{"columns": ["time", "s"], "values": [[1, "x"]]}])) is None
    assert numeric_answer(_answer([{"columns": ["time", "b"], "values": [[1, True]]}])) is None
    assert numeric_answer(b'{"results":[{"statement_id":0}]}') == (
        {"results": [{"statement_id": 0}]},
        [],
    )
