"""The history writer and its spool: nothing lost while a store is away (InfluxDB
killed and restarted, a store switched off, the writer restarted with a full spool),
order kept (a day's totals written again and again end with the last ones), bad
points counted without holding anything up, a hanging store that cannot block
``submit`` or ``close``, and records that round-trip through the spool exactly.

The stores are real (SQLite, InfluxDB 1.x); :class:`Switch` is a small fake behind the
HistoryStore protocol that puts a real store out of reach on demand."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from collector.sinks.history.batches import memory_of
from collector.sinks.history.influx_v1 import InfluxV1Store
from collector.sinks.history.model import (
    HistoryRecord,
    PainReport,
    StoreConfigError,
    StoreUnavailableError,
    TimelineChunk,
    WriteResult,
    points_of,
)
from collector.sinks.history.sqlite_store import SqliteStore
from collector.sinks.history.writer import HistoryWriter
from tests.history_data import DAY_S, WEEK0, Week, assert_timeline, simulated_week, split_chunks
from tests.history_servers import InfluxD, influxd

USER = "p-0042"
FAST = {"flush_every_s": 0.02, "retry_first_s": 0.02, "retry_max_s": 0.2}


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


# --- the writer with SQLite --------------------------------------------------------------


def test_a_week_through_the_writer(sqlite: SqliteStore, tmp_path: Path) -> None:
    week = simulated_week(USER)
    # a healthy store takes the whole week without setting any aside; the week is
    # submitted far faster than real time, so the queue's bound (which spills to the
    # spool, tested on its own) is lifted here
    writer = HistoryWriter(
        sqlite, tmp_path / "spool", batch_max=20_000, queue_max_bytes=1 << 30, **FAST
    )
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


def test_queuing_records_does_not_wake_the_worker_for_each(
    sqlite: SqliteStore, tmp_path: Path
) -> None:
    """The live service submits a few records every step: waking the worker thread
    for each took the interpreter from the engine (8 % of a replay at --speed 1e6).
    It is woken for a new deadline or a full batch; the records are all written."""
    writer = HistoryWriter(sqlite, tmp_path / "spool", batch_max=10**6, flush_every_s=3600.0)
    wakes = 0
    notify_all = writer._cond.notify_all

    def counted() -> None:
        nonlocal wakes
        wakes += 1
        notify_all()

    writer._cond.notify_all = counted  # type: ignore[method-assign]
    week = simulated_week(USER, days=1)
    records = week.records(chunk_s=10)[:200]
    for r in records:
        writer.submit([r])
    assert wakes == 1  # the first record: the worker's deadline
    stats = writer.close()
    assert stats.written == sum(points_of(r) for r in records)
    assert (stats.dropped, stats.rejected, stats.pending) == (0, 0, 0)
