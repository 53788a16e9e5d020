"""The spool under damage and misdirection: a damaged frame header costs that frame
only (the reader resyncs to the next frame whose header checks, and counts what it
skipped as dropped), garbage at the head of a segment costs nothing but itself, and
a spool is only ever replayed to the store URL and user it was spooled for."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from collector.config import Overrides, Settings, load_settings
from collector.service.app import open_history
from collector.sinks.history.influx_v1 import InfluxV1Store
from collector.sinks.history.model import (
    HistoryRecord,
    PainReport,
    TimelineChunk,
)
from collector.sinks.history.spool import Spool
from collector.sinks.history.spool_destination import spool_folder
from collector.sinks.history.spool_format import HEADER_BYTES
from collector.sinks.history.sqlite_store import SqliteStore
from collector.sinks.history.writer import HistoryWriter
from tests.history_data import simulated_week
from tests.history_servers import InfluxD, influxd

USER = "p-0042"
FAST = {"flush_every_s": 0.02, "retry_first_s": 0.02, "retry_max_s": 0.2}


def _batch(i: int, n: int = 60) -> list[HistoryRecord]:
    return [
        TimelineChunk(
            USER, 1_700_000_000 + i * n, np.ones(n, np.int8), np.full(n, 80.0), np.zeros(n, np.int8)
        )
    ]


def _first_of(records: list[HistoryRecord] | None) -> int:
    assert records is not None
    chunk = records[0]
    assert isinstance(chunk, TimelineChunk)
    return (chunk.t0_s - 1_700_000_000) // 60


def _segment(d: Path) -> Path:
    (seg,) = sorted(d.glob("seg-*.spool"))
    return seg


def _read_all(spool: Spool) -> list[int]:
    out = []
    while (head := spool.peek()) is not None:
        out.append(_first_of(head[1]))
        spool.pop(head[0])
    return out


def _filled(d: Path, n: int) -> list[int]:
    """``n`` batches of 60 s in one segment; the byte offset of each frame."""
    spool = Spool(d, max_bytes=1 << 24)
    offsets = []
    for i in range(n):
        offsets.append(_segment(d).stat().st_size if i else 0)
        spool.append(_batch(i))
    spool.close()
    return offsets


@pytest.mark.parametrize("field", [4, 8, 0], ids=["length", "points", "magic"])
def test_a_damaged_frame_header_costs_only_that_frame(tmp_path: Path, field: int) -> None:
    d = tmp_path / "spool"
    offsets = _filled(d, 10)
    seg = _segment(d)
    data = bytearray(seg.read_bytes())
    data[offsets[3] + field] ^= 0x5A
    seg.write_bytes(bytes(data))
    spool = Spool(d, max_bytes=1 << 24)
    (loss,) = spool.recovered
    assert (loss.batches, loss.points) == (1, 60)  # counted: its payload still decodes
    assert loss.points_known
    assert _read_all(spool) == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    spool.close()


def test_garbage_at_the_head_of_a_segment_loses_nothing_else(tmp_path: Path) -> None:
    d = tmp_path / "spool"
    _filled(d, 10)
    seg = _segment(d)
    seg.write_bytes(bytes(range(100)) + seg.read_bytes())
    spool = Spool(d, max_bytes=1 << 24)
    (loss,) = spool.recovered
    assert loss.bytes == 100
    assert loss.batches == 1
    assert not loss.points_known
    assert _read_all(spool) == list(range(10))
    spool.close()


def test_a_damaged_payload_inside_a_good_header_is_dropped_at_read(tmp_path: Path) -> None:
    d = tmp_path / "spool"
    offsets = _filled(d, 4)
    seg = _segment(d)
    data = bytearray(seg.read_bytes())
    data[offsets[1] + HEADER_BYTES + 30] ^= 0x01
    seg.write_bytes(bytes(data))
    spool = Spool(d, max_bytes=1 << 24)
    assert spool.recovered == []
    got = []
    while (head := spool.peek()) is not None:
        got.append(None if head[1] is None else _first_of(head[1]))
        spool.pop(head[0])
    assert got == [0, None, 2, 3]
    spool.close()


def test_an_old_format_spool_is_still_read(tmp_path: Path) -> None:
    """Frames an older sitload wrote (``SLB1``: no header CRC) are replayed."""
    import struct
    import zlib

    from collector.sinks.history.spool_format import encode_records

    d = tmp_path / "spool"
    d.mkdir()
    raw = b""
    for i in range(3):
        payload = encode_records(_batch(i))
        raw += struct.pack("<4sIII", b"SLB1", len(payload), 60, zlib.crc32(payload)) + payload
    (d / "seg-000000000001.spool").write_bytes(b"\x00" * 7 + raw)
    spool = Spool(d, max_bytes=1 << 24)
    assert _read_all(spool) == [0, 1, 2]
    assert [x.bytes for x in spool.recovered] == [7]
    spool.close()


# --- end to end, with InfluxDB ---------------------------------------------------------


@pytest.fixture
def influx(tmp_path: Path) -> Iterator[InfluxD]:
    with influxd(tmp_path / "influxd") as server:
        yield server


def test_a_damaged_header_in_a_day_of_spool_reaches_influxdb_minus_one_frame(
    influx: InfluxD, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The reported case: a day spooled while InfluxDB was down, one frame header
    damaged. Before: 14,596 of 28,800 seconds, 152 of 228 events and 3 of 9 bouts
    arrived, logged as a "torn end" and not counted. Now: everything but that one
    frame arrives, and its points are counted as dropped."""
    week = simulated_week(USER, days=1, seed=4)
    records = week.records(chunk_s=600)
    total = week.count()
    store = InfluxV1Store(influx.url, "sitload", timeout_s=2)
    influx.stop()
    spool_dir = tmp_path / "spool"
    first = HistoryWriter(store, spool_dir, batch_max=1000, **FAST)
    first.submit(records)
    assert first.close(timeout_s=1).pending == total
    segments = sorted(spool_dir.glob("seg-*.spool"))
    seg = segments[len(segments) // 2]
    data = bytearray(seg.read_bytes())
    data[4] ^= 0xFF  # the length field of the segment's first frame
    seg.write_bytes(bytes(data))
    influx.start()
    caplog.set_level(logging.WARNING, logger="collector.sinks.history")
    second = HistoryWriter(store, spool_dir, **FAST)
    assert second.wait_idle(30)
    stats = second.close()
    assert 0 < stats.dropped <= 1000  # one frame: at most one batch
    assert stats.written + stats.dropped == total  # every point written or counted
    assert "DROPPED" in caplog.text
    t0, t1 = week.t0_s, week.t1_s
    events = store.read_events(USER, t0, t1)
    bouts = store.read_bouts(USER, t0, t1)
    assert len(events) >= len(week.events) - stats.dropped
    assert len(bouts) >= len(week.bouts) - stats.dropped
    got = store.read_timeline(USER, t0, t1)
    differ = int(np.count_nonzero(got.posture != week.timeline.posture))
    assert differ <= stats.dropped  # a missing second is one of the dropped points
    store.close()


# --- the destination ------------------------------------------------------------------


def _settings(state: Path, history: str, user: str = USER) -> Settings:
    s = load_settings(None, Overrides(state_dir=state, history_url=history, user_id=user))
    return dataclasses.replace(s, mqtt=None)


def _pain(user: str) -> PainReport:
    return PainReport(user, 1_795_420_800.0, 6, "evening", "after the drive")


def test_a_spool_is_replayed_only_to_its_own_store_and_user(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: a pain score spooled for InfluxDB was written into the SQLite file of
    the next run (another --history), silently."""
    state = tmp_path / "state"
    down = "influxdb-v1://127.0.0.1:9/sitload?timeout_s=0.2"  # nothing listens there
    writer = open_history(_settings(state, down))
    writer.submit([_pain(USER)])
    assert writer.close(timeout_s=0.5).pending == 1
    other = f"sqlite:///{tmp_path / 'other.db'}"
    caplog.set_level(logging.WARNING, logger="collector.sinks.history")
    second = open_history(_settings(state, other))
    second.close(timeout_s=5)
    db = SqliteStore(tmp_path / "other.db")
    assert db.read_pain(USER, 0, 2e9) == []  # not written to the wrong store
    db.close()
    assert "127.0.0.1:9/sitload" in caplog.text  # named, kept for its own store
    # another user on the same store URL does not get it either
    third = open_history(_settings(state, down, user="p-0099"))
    assert third.stats().pending == 0
    third.close(timeout_s=0.2)


def test_the_destination_file_holds_no_secret(tmp_path: Path) -> None:
    url = "influxdb-v1://writer:s3cret-pw@db.example:8086/sitload?rp=year"
    folder = spool_folder(tmp_path / "spool", url, USER)
    text = (folder / "destination").read_text()
    assert "s3cret" not in text
    assert json.loads(text) == {
        "store": "influxdb-v1://writer@db.example:8086/sitload?rp=year",
        "user": USER,
    }
    assert spool_folder(tmp_path / "spool", url, USER) == folder
    assert spool_folder(tmp_path / "spool", url, "p-0099") != folder
    changed_pw = url.replace("s3cret-pw", "new-pw")
    assert spool_folder(tmp_path / "spool", changed_pw, USER) == folder  # same store


def test_an_old_spool_without_destination_is_kept_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    base = tmp_path / "spool"
    _filled(base, 2)  # an older sitload's layout: segments right in the base folder
    caplog.set_level(logging.WARNING)
    folder = spool_folder(base, "sqlite:///x.db", USER)
    assert not list(base.glob("seg-*.spool"))
    assert len(list((base / "unknown-destination").glob("*/seg-*.spool"))) == 1
    assert "did not record its store" in caplog.text
    assert folder.is_dir()


def test_a_head_that_cannot_be_written_does_not_stop_the_replay(tmp_path: Path) -> None:
    """On a full disk even the small ``head`` file may not be writable; the replay
    goes on (a restart may then replay a batch twice, which is harmless)."""
    d = tmp_path / "spool"
    _filled(d, 3)
    (d / "head").mkdir()  # os.replace onto a non-empty folder fails, as a full disk would
    (d / "head" / "x").write_text("x")
    spool = Spool(d, max_bytes=1 << 24)
    assert _read_all(spool) == [0, 1, 2]
    spool.close()
