"""The history writer and its spool: nothing lost while a store is away (InfluxDB
killed and restarted, a store switched off, the writer restarted with a full spool),
order kept (a day's totals written again and again end with the last ones), bad
points counted without holding anything up, a hanging store that cannot block
``submit`` or ``close``, and records that round-trip through the spool exactly.

The stores are real (SQLite, InfluxDB 1.x); :class:`Switch` is a small fake behind the
HistoryStore protocol that puts a real store out of reach on demand."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.sinks.history.batches import coalesce, memory_of
from collector.sinks.history.influx_v1 import InfluxV1Store
from collector.sinks.history.model import (
    BoutRecord,
    DailyRecord,
    EventRecord,
    HistoryRecord,
    PainReport,
    StoreConfigError,
    StoreUnavailableError,
    TimelineChunk,
    WriteResult,
    points_of,
)
from collector.sinks.history.spool import Spool, SpoolLockedError
from collector.sinks.history.spool_format import HEADER_BYTES, decode_records, encode_records
from collector.sinks.history.sqlite_store import SqliteStore
from collector.sinks.history.writer import HistoryWriter
from tests.history_data import DAY_S, WEEK0, Week, assert_timeline, simulated_week, split_chunks
from tests.history_servers import InfluxD, influxd

USER = "p-0042"
FAST = {"flush_every_s": 0.02, "retry_min_s": 0.02, "retry_max_s": 0.2}


class Switch:
    """A real store that can be switched off (writes raise StoreUnavailableError),
    made to refuse its credentials (StoreConfigError) or to hang in ``write``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = f"switch({inner.name})"
        self.up = True
        self.config_error = False
        self.open = threading.Event()
        self.open.set()
        self.writes = 0

    def write(self, records: Sequence[HistoryRecord]) -> WriteResult:
        self.writes += 1
        self.open.wait()
        if self.config_error:
            raise StoreConfigError("the token was refused (HTTP 401); check the token")
        if not self.up:
            raise StoreUnavailableError("switched off")
        result: WriteResult = self.inner.write(records)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[SqliteStore]:
    store = SqliteStore(tmp_path / "history.db")
    yield store
    store.close()


def _check_week(store: Any, week: Week, *, float32: bool) -> None:
    t0, t1 = week.t0_s, week.t1_s
    assert_timeline(store.read_timeline(USER, t0, t1), week.timeline, float32=float32)
    assert store.read_events(USER, t0, t1) == sorted(
        week.events, key=lambda e: (e.t_s, e.source, e.kind, e.id)
    )
    assert store.read_bouts(USER, t0, t1) == week.bouts
    assert store.read_daily(USER, t0, t1) == week.daily  # the last version of each day
    assert store.read_pain(USER, t0, t1) == sorted(week.pain, key=lambda p: p.t_s)


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


# --- the writer with SQLite --------------------------------------------------------------


def test_a_week_through_the_writer(sqlite: SqliteStore, tmp_path: Path) -> None:
    week = simulated_week(USER)
    writer = HistoryWriter(sqlite, tmp_path / "spool", batch_max=20_000, **FAST)
    records = week.records(chunk_s=60)
    for i in range(0, len(records), 500):
        writer.submit(records[i : i + 500])
    writer.submit([week.timeline])  # once more, whole: split into batches of 20 000
    assert writer.wait_idle(30)
    stats = writer.close()
    assert stats.written == week.count() + week.timeline.n
    assert (stats.spooled, stats.rejected, stats.dropped, stats.pending) == (0, 0, 0, 0)
    _check_week(sqlite, week, float32=True)
    assert _spool_files(tmp_path / "spool") == []


def test_an_outage_is_spooled_and_replayed_in_order(
    sqlite: SqliteStore, tmp_path: Path, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG, logger="collector.sinks.history")
    week = simulated_week(USER, days=3)
    records = week.records(chunk_s=300)
    third = len(records) // 3
    store = Switch(sqlite)
    writer = HistoryWriter(store, tmp_path / "spool", batch_max=2000, **FAST)
    writer.submit(records[:third])
    assert writer.wait_idle(10)
    store.up = False
    writer.submit(records[third : 2 * third])
    deadline = time.monotonic() + 10
    while writer.stats().spooled == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    down = writer.stats()
    assert not down.store_up
    assert down.last_error == "switched off"
    store.up = True
    writer.submit(records[2 * third :])  # behind the spool: order is kept
    assert writer.wait_idle(20)
    stats = writer.close()
    assert stats.written == week.count()
    assert stats.replayed == stats.spooled > 0
    assert (stats.rejected, stats.dropped, stats.pending) == (0, 0, 0)
    assert stats.store_up
    _check_week(sqlite, week, float32=True)
    text = caplog.text
    assert text.count("unavailable (switched off)") == 1  # warned once, then debug
    assert "is back after" in text


def test_a_restarted_writer_replays_its_spool_first(sqlite: SqliteStore, tmp_path: Path) -> None:
    week = simulated_week(USER, days=2)
    store = Switch(sqlite)
    store.up = False
    first = HistoryWriter(store, tmp_path / "spool", **FAST)
    first.submit(week.records(chunk_s=600))
    stats = first.close(timeout_s=1)
    assert stats.pending == week.count()
    assert stats.written == 0
    assert _spool_files(tmp_path / "spool")
    store.up = True
    second = HistoryWriter(store, tmp_path / "spool", **FAST)
    early = second.stats()
    assert early.pending + early.written == week.count()  # the spool counted at the start
    assert second.wait_idle(20)
    stats = second.close()
    assert stats.replayed == week.count()
    _check_week(sqlite, week, float32=True)
    assert _spool_files(tmp_path / "spool") == []


def test_a_refused_token_keeps_the_data(sqlite: SqliteStore, tmp_path: Path, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="collector.sinks.history")
    store = Switch(sqlite)
    store.config_error = True
    writer = HistoryWriter(store, tmp_path / "spool", **FAST)
    writer.submit([PainReport(USER, WEEK0 + i, 1) for i in range(10)])
    deadline = time.monotonic() + 5
    while store.writes < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.stats().pending == 10
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "check the token" in errors[0].getMessage()
    store.config_error = False
    assert writer.wait_idle(5)
    assert len(sqlite.read_pain(USER, WEEK0, WEEK0 + 10)) == 10
    writer.close()


def test_a_hanging_store_blocks_neither_submit_nor_close(
    sqlite: SqliteStore, tmp_path: Path
) -> None:
    store = Switch(sqlite)
    store.open.clear()  # every write hangs until the test opens the gate
    writer = HistoryWriter(store, tmp_path / "spool", **FAST)
    week = simulated_week(USER, days=1)
    chunks = split_chunks(week.timeline, 60)
    slowest = 0.0
    for c in chunks:
        start = time.perf_counter()
        writer.submit([c])
        slowest = max(slowest, time.perf_counter() - start)
    assert slowest < 0.05, f"submit took {slowest * 1000:.1f} ms"
    start = time.monotonic()
    stats = writer.close(timeout_s=0.5)
    assert time.monotonic() - start < 3
    assert stats.pending == DAY_S  # all of it in the spool (the batch in flight too)
    store.open.set()  # the stuck write completes (a duplicate later: harmless)
    second = HistoryWriter(store, tmp_path / "spool", **FAST)
    assert second.wait_idle(20)
    second.close()
    assert_timeline(sqlite.read_timeline(USER, week.t0_s, week.t1_s), week.timeline, float32=True)


def test_a_full_spool_drops_the_oldest_loudly(
    sqlite: SqliteStore, tmp_path: Path, caplog: Any
) -> None:
    store = Switch(sqlite)
    store.up = False
    writer = HistoryWriter(
        store, tmp_path / "spool", batch_max=600, spool_max_bytes=200_000, **FAST
    )
    week = simulated_week(USER, days=1)
    for c in split_chunks(week.timeline, 600):
        writer.submit([c])
    deadline = time.monotonic() + 10
    while writer.stats().spooled < DAY_S and time.monotonic() < deadline:
        time.sleep(0.01)
    stats = writer.stats()
    assert stats.dropped > 0
    assert stats.spool_bytes <= 200_000
    assert "DROPPED" in caplog.text
    store.up = True
    assert writer.wait_idle(20)
    stats = writer.close()
    assert stats.written + stats.dropped == DAY_S
    got = sqlite.read_timeline(USER, week.t0_s, week.t1_s)
    kept = DAY_S - stats.dropped
    assert np.array_equal(got.posture[-kept:], week.timeline.posture[-kept:])  # the newest


# --- the writer with InfluxDB 1.x --------------------------------------------------------


@pytest.fixture
def influx(tmp_path: Path) -> Iterator[InfluxD]:
    with influxd(tmp_path / "influxd") as server:
        yield server


def test_influxdb_killed_mid_run_loses_nothing(influx: InfluxD, tmp_path: Path) -> None:
    week = simulated_week(USER, days=2, seed=21)
    records = week.records(chunk_s=120)
    store = InfluxV1Store(influx.url, "sitload", timeout_s=2)
    writer = HistoryWriter(store, tmp_path / "spool", batch_max=5000, **FAST)
    # submitted steadily over ~3 s; InfluxDB is killed after 1 s and back after 2 s
    start = time.monotonic()
    pace_s = 3.0 / len(records)
    killed = restarted = False
    for i, r in enumerate(records):
        writer.submit([r])
        elapsed = time.monotonic() - start
        if not killed and elapsed > 1.0:
            influx.stop(kill=True)  # SIGKILL, whatever it was doing
            killed = True
        elif killed and not restarted and elapsed > 2.0:
            assert writer.stats().spooled > 0
            assert not writer.stats().store_up
            influx.start()  # same port, same data
            restarted = True
        time.sleep(max(0.0, start + (i + 1) * pace_s - time.monotonic()))
    assert restarted
    assert writer.wait_idle(30), writer.stats()
    stats = writer.close()
    assert (stats.rejected, stats.dropped, stats.pending) == (0, 0, 0)
    assert stats.spooled > 0
    assert stats.replayed == stats.spooled
    assert stats.written == week.count()
    _check_week(store, week, float32=False)  # every point there; daily: the last versions
    store.close()


def test_a_writer_restarted_while_influxdb_was_down_replays(
    influx: InfluxD, tmp_path: Path
) -> None:
    week = simulated_week(USER, days=1, seed=4)
    store = InfluxV1Store(influx.url, "sitload", timeout_s=2)
    influx.stop()
    first = HistoryWriter(store, tmp_path / "spool", **FAST)
    first.submit(week.records(chunk_s=3600))
    assert first.close(timeout_s=1).pending == week.count()
    influx.start()
    second = HistoryWriter(store, tmp_path / "spool", **FAST)
    assert second.wait_idle(20)
    assert second.close().replayed == week.count()
    _check_week(store, week, float32=False)
    store.close()


def test_rejected_points_are_counted_logged_once_and_hold_nothing_up(
    influx: InfluxD, tmp_path: Path, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG, logger="collector.sinks.history")
    old = WEEK0 - 52 * 7 * DAY_S
    influx.query('CREATE DATABASE "sitload"')
    status, _ = influx.write_lines("sitload", f'timeline,user={USER} posture="sitting" {old}')
    assert status == 204
    store = InfluxV1Store(influx.url, "sitload")
    writer = HistoryWriter(store, tmp_path / "spool", **FAST)
    bad = [
        TimelineChunk(
            USER, old + 10 + 100 * i, np.ones(50, np.int8), np.full(50, 1.5), np.zeros(50, np.int8)
        )
        for i in range(3)
    ]
    week = simulated_week(USER, days=1, seed=5)
    for b in bad:
        writer.submit([b])
        assert writer.wait_idle(10)  # three separate batches, one reason
    writer.submit(week.records(chunk_s=600))
    assert writer.wait_idle(20)
    stats = writer.close()
    assert stats.rejected == 150
    assert stats.written == week.count()
    assert stats.spooled == 0
    warnings = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    assert len([w for w in warnings if "logged once per reason" in w]) == 1
    assert "field type conflict" in warnings[0]
    _check_week(store, week, float32=False)
    store.close()


def test_points_of_counts_seconds_and_records() -> None:
    week = simulated_week(USER, days=1)
    assert sum(points_of(r) for r in week.records()) == week.count()
    assert math.isclose(
        week.count(),
        DAY_S + len(week.events) + len(week.bouts) + len(week.daily_updates) + len(week.pain),
    )


def test_the_queue_is_bounded_and_the_rest_waits_on_disk(
    sqlite: SqliteStore, tmp_path: Path
) -> None:
    """A producer far faster than the store (a replay at --speed 1e6): the in-memory
    queue never holds more than ``queue_max_bytes``; what is over goes to the spool
    on disk, in order, and nothing is dropped or lost."""
    store = Switch(sqlite)
    store.open.clear()  # the store hangs in its first write until the end of the replay
    bound = 100_000
    writer = HistoryWriter(store, tmp_path / "spool", batch_max=1000, queue_max_bytes=bound, **FAST)
    week = simulated_week(USER, days=1)
    records = week.records(chunk_s=5)  # a record every 5 s, as the live service emits
    largest = submitted = 0
    for i in range(0, len(records), 10):
        part = records[i : i + 10]
        writer.submit(part)
        submitted += sum(memory_of(r) for r in part)
        largest = max(largest, writer.stats().queued_bytes)
    assert submitted > 50 * bound  # the data is much longer than the bound
    assert largest <= bound
    assert writer.stats().spooled > 0
    store.open.set()
    assert writer.wait_idle(60), writer.stats()
    stats = writer.close()
    assert stats.written == week.count()
    assert (stats.dropped, stats.rejected, stats.pending, stats.queued) == (0, 0, 0, 0)
    _check_week(sqlite, week, float32=True)
