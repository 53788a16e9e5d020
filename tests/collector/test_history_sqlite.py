"""The SQLite history store: a simulated week written and read back intact, keys that
make writes idempotent, hour rows merged on write, a writer thread and readers at the
same time, schema versions, and 90 days read back fast."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from analytics.live import DATA_NONE, DATA_OK
from analytics.records import Posture
from collector.sinks.history.model import (
    DailyRecord,
    EventRecord,
    PainReport,
    StoreConfigError,
    TimelineChunk,
    empty_timeline,
    points_of,
)
from collector.sinks.history.sqlite_schema import SCHEMA_VERSION
from collector.sinks.history.sqlite_store import SqliteStore
from tests.history_data import DAY_S, WEEK0, assert_timeline, simulated_week, split_chunks

USER = "p-0042"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "history.db")
    yield s
    s.close()


def test_a_week_round_trips(store: SqliteStore) -> None:
    week = simulated_week(USER)
    records = week.records(chunk_s=3600)
    result = store.write(records)
    assert result.written == sum(points_of(r) for r in records)
    assert result.rejected == 0

    got = store.read_timeline(USER, week.t0_s, week.t1_s)
    assert_timeline(got, week.timeline, float32=True)
    assert (got.device, got.sensor_kind) == ("thigh", "sim")

    assert store.read_events(USER, week.t0_s, week.t1_s) == sorted(
        week.events, key=lambda e: (e.t_s, e.source, e.kind, e.id)
    )
    assert store.read_events(USER, week.t0_s, week.t1_s, source="gap") == [
        e for e in week.events if e.source == "gap"
    ]
    assert store.read_bouts(USER, week.t0_s, week.t1_s) == week.bouts
    assert store.read_daily(USER, week.t0_s, week.t1_s) == week.daily
    assert store.read_pain(USER, week.t0_s, week.t1_s) == sorted(week.pain, key=lambda p: p.t_s)
    assert store.users() == [USER]


def test_ranges_are_exact_seconds_and_unknown_seconds_are_empty(store: SqliteStore) -> None:
    week = simulated_week(USER, days=1)
    store.write([week.timeline])
    # [floor(from), ceil(to)) across hour boundaries, starting before the data
    got = store.read_timeline(USER, week.t0_s - 100.5, week.t0_s + 7300.2)
    assert got.t0_s == week.t0_s - 101
    assert got.n == 101 + 7301
    assert (got.posture[:101] == Posture.NONWEAR).all()
    assert np.isnan(got.hip_flexion_deg[:101]).all()
    assert (got.data[:101] == DATA_NONE).all()
    want = split_chunks(week.timeline, 7301)[0]
    tail = TimelineChunk(
        USER, got.t0_s + 101, got.posture[101:], got.hip_flexion_deg[101:], got.data[101:]
    )
    assert_timeline(tail, TimelineChunk(USER, want.t0_s, *_arrays(want)), float32=True)
    # nothing written at all for this user / range
    empty = store.read_timeline("nobody", week.t0_s, week.t0_s + 10)
    assert empty.n == 10
    assert (empty.data == DATA_NONE).all()
    assert store.read_timeline(USER, week.t0_s, week.t0_s).n == 0


def _arrays(c: TimelineChunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return c.posture, c.hip_flexion_deg, c.data


def test_writes_are_idempotent(store: SqliteStore, tmp_path: Path) -> None:
    week = simulated_week(USER, days=2)
    records = week.records(chunk_s=600)
    store.write(records)
    store.write(records)  # at-least-once delivery: the same records again
    conn = sqlite3.connect(tmp_path / "history.db")
    counts = {
        t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("timeline_hour", "event", "bout", "daily", "pain")
    }
    conn.close()
    assert counts == {
        "timeline_hour": 48,
        "event": len(week.events),
        "bout": len(week.bouts),
        "daily": 2,
        "pain": len(week.pain),
    }
    assert_timeline(store.read_timeline(USER, week.t0_s, week.t1_s), week.timeline, float32=True)
    # a day's totals written again later replace the earlier ones
    assert store.read_daily(USER, week.t0_s, week.t1_s) == week.daily


def test_chunks_merge_into_hour_rows(store: SqliteStore) -> None:
    t0 = WEEK0 + 1800  # mid-hour
    a = TimelineChunk(
        USER,
        t0,
        np.full(3600, Posture.SITTING, np.int8),
        np.full(3600, 91.5),
        np.full(3600, DATA_OK, np.int8),
    )
    store.write([a])
    # overwrite 10 seconds in the middle (spanning the hour boundary) with other values
    b = TimelineChunk(
        USER,
        WEEK0 + 3595,
        np.full(10, Posture.UPRIGHT, np.int8),
        np.array([np.nan] * 5 + [3.25] * 5),
        np.full(10, DATA_OK, np.int8),
    )
    store.write([b])
    got = store.read_timeline(USER, WEEK0, WEEK0 + 3 * 3600)
    want_p = np.zeros(3 * 3600, np.int8)
    want_p[1800:5400] = Posture.SITTING
    want_p[3595:3605] = Posture.UPRIGHT
    assert np.array_equal(got.posture, want_p)
    assert np.isnan(got.hip_flexion_deg[3595:3600]).all()
    assert (got.hip_flexion_deg[3600:3605] == 3.25).all()
    assert (got.hip_flexion_deg[3605:5400] == 91.5).all()
    assert (got.data[5400:] == DATA_NONE).all()


def test_a_writer_thread_and_readers_at_once(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    writer_store = SqliteStore(path)
    reader_store = SqliteStore(path)  # a report in another process, say
    errors: list[BaseException] = []
    stop = threading.Event()
    week = simulated_week(USER, days=1)
    chunks = split_chunks(week.timeline, 60)

    def write() -> None:
        try:
            for c in chunks:
                writer_store.write(
                    [c, EventRecord(USER, float(c.t0_s), "exposure", "tick", f"t{c.t0_s}")]
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            stop.set()

    def read(store: SqliteStore) -> None:
        try:
            while not stop.is_set():
                got = store.read_timeline(USER, week.t0_s, week.t1_s)
                assert got.n == DAY_S
                store.read_events(USER, week.t0_s, week.t1_s)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=write),
        threading.Thread(target=read, args=(reader_store,)),
        threading.Thread(target=read, args=(writer_store,)),  # same store, other thread
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert_timeline(
        reader_store.read_timeline(USER, week.t0_s, week.t1_s), week.timeline, float32=True
    )
    assert len(reader_store.read_events(USER, week.t0_s, week.t1_s)) == len(chunks)
    writer_store.close()
    reader_store.close()


def test_wal_mode_and_schema_version(store: SqliteStore, tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "history.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert int(version) == SCHEMA_VERSION
    conn.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    SqliteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreConfigError, match=r"schema version 99, newer .*upgrade sitload"):
        SqliteStore(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    path.write_text("hello, not a database\n" * 100)
    with pytest.raises(StoreConfigError, match="is it a sitload history database"):
        SqliteStore(path)


def test_the_folder_is_created(tmp_path: Path) -> None:
    s = SqliteStore(tmp_path / "a" / "b" / "history.db")
    s.write([empty_timeline(USER, WEEK0, 5)])
    assert s.users() == [USER]
    s.close()
    with pytest.raises(RuntimeError, match="closed"):
        s.read_timeline(USER, WEEK0, WEEK0 + 1)


def test_pain_daily_and_bouts_keys(store: SqliteStore) -> None:
    # pain to the second: a correction within the same second replaces the report
    store.write([PainReport(USER, WEEK0 + 10.2, 4, "now"), PainReport(USER, WEEK0 + 10.7, 2)])
    assert store.read_pain(USER, WEEK0, WEEK0 + 60) == [PainReport(USER, WEEK0 + 10.0, 2)]
    d = DailyRecord(USER, "2026-11-23", WEEK0, 3600.0, 60.0, 1, 0.0, 2, 1, 0, 1, 0, 0)
    store.write([d])
    assert store.read_daily(USER, WEEK0, WEEK0 + 1) == [d]
    assert store.read_daily(USER, WEEK0 + 1, WEEK0 + DAY_S) == []


def test_ninety_days_read_back_in_milliseconds(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "history.db")
    days = 90
    n = days * DAY_S
    rng = np.random.default_rng(3)
    posture = rng.integers(0, 6, n, dtype=np.int8)
    hip = rng.normal(80, 15, n)
    data = np.zeros(n, np.int8)
    store.write([TimelineChunk(USER, WEEK0, posture, hip, data)])
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        got = store.read_timeline(USER, WEEK0, WEEK0 + n)
        best = min(best, time.perf_counter() - start)
    assert got.n == n
    assert np.array_equal(got.posture, posture)
    print(f"90 days ({n} s) read back in {best * 1000:.0f} ms")
    assert best < 1.0, f"90 days took {best:.2f} s"
    store.close()
