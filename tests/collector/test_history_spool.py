"""The writer's spool: records round-trip through it exactly, it is first in first out
across restarts, survives a torn append and a corrupt batch, takes one writer per
folder, and drops its oldest batches when full; and the batching that feeds it
(coalesce)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.sinks.history.batches import coalesce
from collector.sinks.history.model import (
    BoutRecord,
    DailyRecord,
    EventRecord,
    HistoryRecord,
    PainReport,
    TimelineChunk,
)
from collector.sinks.history.spool import Spool, SpoolLockedError
from collector.sinks.history.spool_format import HEADER_BYTES, decode_records, encode_records
from tests.history_data import WEEK0, simulated_week, split_chunks

USER = "p-0042"


def _spool_files(path: Path) -> list[Path]:
    return sorted(path.glob("seg-*.spool"))


# --- the spool ---------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def _records(draw: st.DrawFn) -> list[HistoryRecord]:
    n = draw(st.integers(0, 30))
    floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
    chunk = TimelineChunk(
        draw(_text),
        draw(st.integers(0, 2**40)),
        np.array(draw(st.lists(st.integers(-128, 127), min_size=n, max_size=n)), np.int8),
        np.array(draw(st.lists(floats, min_size=n, max_size=n)), np.float64),
        np.array(draw(st.lists(st.integers(-128, 127), min_size=n, max_size=n)), np.int8),
        device=draw(_text),
        sensor_kind=draw(_text),
    )
    finite = st.floats(allow_nan=False, allow_infinity=False)
    event = EventRecord(
        draw(_text),
        draw(finite),
        draw(st.sampled_from(["alert", "exposure", "gap"])),
        draw(_text),
        draw(_text),
        value=draw(st.none() | st.floats()),
        message=draw(st.none() | _text),
        payload=draw(st.dictionaries(_text, _json, max_size=4)),
    )
    bout = BoutRecord(
        draw(_text), draw(finite), draw(finite), 1.0, 2, 3.0, 4.5, "break", draw(st.none() | finite)
    )
    daily = DailyRecord(
        draw(_text), "2026-01-02", draw(finite), 1.0, 2.0, 3, 4.0, 5, 6, 7, 8, 9, 10
    )
    pain = PainReport(draw(_text), draw(finite), draw(st.integers(0, 10)), "evening", draw(_text))
    return [chunk, event, bout, daily, pain]


@settings(max_examples=150, deadline=None)
@given(_records())
def test_records_round_trip_through_the_spool_exactly(records: list[HistoryRecord]) -> None:
    encoded = encode_records(records)
    back = decode_records(encoded)
    assert encode_records(back) == encoded  # every value, NaN and its bits included
    chunk, back_chunk = records[0], back[0]
    assert isinstance(chunk, TimelineChunk)
    assert isinstance(back_chunk, TimelineChunk)
    assert back_chunk.hip_flexion_deg.dtype == np.float64
    assert back_chunk.hip_flexion_deg.tobytes() == chunk.hip_flexion_deg.tobytes()
    assert back_chunk.posture.tobytes() == chunk.posture.tobytes()
    assert back_chunk.data.tobytes() == chunk.data.tobytes()
    # without NaN anywhere, the records are simply equal
    if not json.dumps(json.loads(encoded.decode()), allow_nan=True).count("NaN"):
        assert back[1:] == records[1:]


def _batch(i: int) -> list[HistoryRecord]:
    return [PainReport(USER, WEEK0 + i, i % 11), EventRecord(USER, WEEK0 + i, "gap", "g", str(i))]


def _peek_all(spool: Spool) -> list[int]:
    """Drain the spool: the first pain time offset of each batch, in order."""
    out = []
    while (head := spool.peek()) is not None:
        frame, records = head
        assert records is not None
        out.append(int(records[0].t_s) - WEEK0)  # type: ignore[union-attr]
        spool.pop(frame)
    return out


def test_the_spool_is_first_in_first_out_across_restarts(tmp_path: Path) -> None:
    d = tmp_path / "spool"
    spool = Spool(d, max_bytes=1 << 20, segment_bytes=300)
    for i in range(5):
        points, dropped = spool.append(_batch(i))
        assert points == 2
        assert dropped == []
    assert (spool.batches, spool.points) == (5, 10)
    head = spool.peek()
    assert head is not None
    spool.pop(head[0])
    spool.close()
    assert len(_spool_files(d)) >= 2  # small segments: several files

    spool = Spool(d, max_bytes=1 << 20, segment_bytes=300)
    assert (spool.batches, spool.points) == (4, 8)
    spool.append(_batch(5))
    assert _peek_all(spool) == [1, 2, 3, 4, 5]
    spool.close()
    assert _spool_files(d) == []  # everything written: nothing left behind

    spool = Spool(d, max_bytes=1 << 20)
    assert spool.batches == 0
    spool.append(_batch(6))
    assert _peek_all(spool) == [6]
    spool.close()


def test_a_torn_append_and_a_corrupt_batch(tmp_path: Path) -> None:
    d = tmp_path / "spool"
    spool = Spool(d, max_bytes=1 << 20)
    for i in range(3):
        spool.append(_batch(i))
    spool.close()
    (seg,) = _spool_files(d)
    data = bytearray(seg.read_bytes())
    seg.write_bytes(bytes(data[:-7]))  # a crash in the middle of the last append
    spool = Spool(d, max_bytes=1 << 20)
    assert spool.batches == 2
    assert spool.recovered[0].bytes > 0
    spool.close()
    # a flipped bit in the first batch: reported unreadable, the next one still read
    data = bytearray(seg.read_bytes())
    data[HEADER_BYTES + 5] ^= 0x40
    seg.write_bytes(bytes(data))
    spool = Spool(d, max_bytes=1 << 20)
    head = spool.peek()
    assert head is not None
    assert head[1] is None
    spool.pop(head[0])
    assert _peek_all(spool) == [1]
    spool.close()


def test_one_writer_per_spool_folder(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", max_bytes=1 << 20)
    with pytest.raises(SpoolLockedError, match="in use by another sitload process"):
        Spool(tmp_path / "spool", max_bytes=1 << 20)
    spool.close()
    Spool(tmp_path / "spool", max_bytes=1 << 20).close()


def test_a_full_spool_drops_the_oldest_batches(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", max_bytes=2000, segment_bytes=500)
    lost = 0
    for i in range(40):
        _, dropped = spool.append(_batch(i))
        lost += sum(d.points for d in dropped)
    assert spool.bytes <= 2000
    assert lost > 0
    assert lost + spool.points == 80
    kept = _peek_all(spool)
    assert kept == list(range(40 - len(kept), 40))  # the newest are kept, in order
    spool.close()


def test_coalesce_joins_continuing_seconds_only() -> None:
    week = simulated_week(USER, days=1)
    parts = split_chunks(week.timeline, 100)[:5]
    other = TimelineChunk("bob", parts[0].t0_s, *(_arrays(parts[0])))
    event = EventRecord(USER, WEEK0, "gap", "g", "1")
    gap = split_chunks(week.timeline, 100)[7]
    out = coalesce([parts[0], other, parts[1], event, parts[2], gap, parts[3], parts[4]])
    assert [type(r).__name__ for r in out] == [
        "TimelineChunk",
        "TimelineChunk",
        "EventRecord",
        "TimelineChunk",
        "TimelineChunk",
    ]
    first = out[0]
    assert isinstance(first, TimelineChunk)
    assert first.n == 300
    assert out[1] is other
    # after a jump, continuing seconds join the latest chunk of their key only
    last = out[4]
    assert isinstance(last, TimelineChunk)
    assert (last.t0_s, last.n) == (parts[3].t0_s, 200)


def _arrays(c: TimelineChunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return c.posture, c.hip_flexion_deg, c.data
