"""The history writer when the disk refuses its spool (a read-only bind mount, root
only; skipped with the reason otherwise): batches are held in bounded memory, one
warning, and written once the disk or the store takes them; nothing accepted is
lost unless the memory bound is exceeded, and then it is counted."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from collector.sinks.history.model import StoreUnavailableError, TimelineChunk
from collector.sinks.history.sqlite_store import SqliteStore
from collector.sinks.history.writer import HistoryWriter
from tests.collector.test_history_writer import Switch

USER = "p-0042"
T0 = 1_700_000_000


def _chunk(i: int, n: int = 100) -> TimelineChunk:
    return TimelineChunk(
        USER, T0 + i * n, np.ones(n, np.int8), np.full(n, 80.0), np.zeros(n, np.int8)
    )


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"mount {' '.join(args)} is not permitted here: {done.stderr.decode()}")


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder that can be switched between read-only and writable."""
    real = tmp_path / "real"
    (real / "spool").mkdir(parents=True)
    view = tmp_path / "view"
    view.mkdir()
    _mount("--bind", str(real), str(view))
    try:
        yield view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)


def _set_read_only(view: Path, ro: bool) -> None:
    _mount("-o", f"remount,bind,{'ro' if ro else 'rw'}", str(view))


def _offline_writer(db: SqliteStore, read_only: Path, **kw: Any) -> tuple[Switch, HistoryWriter]:
    """A writer on a read-only spool folder whose store is switched off, given 30
    chunks of 100 s."""
    store = Switch(db)
    store.up = False
    _set_read_only(read_only, True)
    writer = HistoryWriter(
        store,
        read_only / "spool",
        flush_every_s=0.02,
        retry_first_s=0.02,
        retry_max_s=0.1,
        batch_max=100,
        **kw,
    )
    for i in range(30):
        writer.submit([_chunk(i)])
    return store, writer


def test_a_read_only_spool_holds_in_memory_and_loses_nothing(
    read_only: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="collector.sinks.history")
    db = SqliteStore(tmp_path / "history.db")
    store, writer = _offline_writer(db, read_only)
    deadline = time.monotonic() + 10
    while writer.stats().pending != 3000 or writer.stats().spooled:
        assert time.monotonic() < deadline, writer.stats()
        time.sleep(0.01)
    assert caplog.text.count("cannot be written") == 1  # one warning
    _set_read_only(read_only, False)  # the disk takes writes again
    writer.submit([_chunk(30)])
    store.up = True
    assert writer.wait_idle(20), writer.stats()
    stats = writer.close()
    assert (stats.written, stats.dropped, stats.pending) == (3100, 0, 0)
    assert "takes writes again" in caplog.text
    got = db.read_timeline(USER, T0, T0 + 3100)
    assert (got.posture == 1).all()
    db.close()


def test_memory_held_is_bounded_and_the_excess_counted(read_only: Path, tmp_path: Path) -> None:
    db = SqliteStore(tmp_path / "history.db")
    store, writer = _offline_writer(db, read_only, hold_max_points=1000)
    deadline = time.monotonic() + 10
    while writer.stats().dropped < 2000:  # the oldest beyond 1000 held points
        assert time.monotonic() < deadline, writer.stats()
        time.sleep(0.01)
    assert writer.stats().pending == 1000
    store.up = True
    assert writer.wait_idle(20), writer.stats()
    stats = writer.close()
    assert (stats.written, stats.dropped) == (1000, 2000)
    got = db.read_timeline(USER, T0, T0 + 3000)
    assert (got.posture[2000:] == 1).all()  # the newest were kept
    db.close()


def test_sqlite_starts_on_a_full_disk_and_writes_when_space_returns(tmp_path: Path) -> None:
    mnt = tmp_path / "disk"
    mnt.mkdir()
    _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt))
    try:
        filler = mnt / "filler"
        with open(filler, "ab", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        store = SqliteStore(mnt / "history.db")  # before: StoreConfigError
        with pytest.raises(StoreUnavailableError):
            store.write([_chunk(0)])
        filler.unlink()
        assert store.write([_chunk(0)]).written == 100
        store.close()
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
