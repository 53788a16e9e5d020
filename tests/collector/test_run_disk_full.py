"""``sitload run`` with its state and SQLite history on a full disk (a small tmpfs):
it starts, keeps prompting on the console and over MQTT (real Mosquitto), warns
once per part, and when space returns every accepted point reaches the history:
the history equals that of the same replay on a roomy disk.

Before: the service exited within a second with ``[Errno 28] No space left on
device``, left a 0-byte ``*.state.json.tmp`` and would not start until space was
freed; 410 seconds and one alert were missing from the history for good."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.sinks.history.sqlite_store import SqliteStore
from collector.sinks.history.writer import HistoryWriter
from tests.brokers import Mosquitto
from tests.collector.test_run_service import (
    SHORT,
    SHORT_ALERTS,
    T0,
    USER,
    admin,
    alerts_of,
    broker,
    expected_alerts,
    finish,
    recording_file,
    start_run,
    unique,
    write_config,
)

__all__ = ["broker"]  # the Mosquitto fixture


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB tmpfs (root only; skipped with the reason otherwise)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte."""
    path = disk / "filler"
    for size in (65536, 1):
        with open(path, "ab", buffering=0) as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * size)
    assert os.statvfs(disk).f_bavail == 0
    return path


def flush_leftover_spool(state: Path, db: Path) -> None:
    """What the next start does first: write what is still spooled."""
    for folder in (state / "history-spool").glob("*"):
        if folder.is_dir():
            writer = HistoryWriter(SqliteStore(db), folder, retry_first_s=0.05)
            assert writer.wait_idle(30)
            stats = writer.close()
            assert stats.dropped == 0


def history_of(db: Path) -> dict[str, object]:
    store = SqliteStore(db)
    t0, t1 = T0 - 3600, T0 + 86_400
    tl = store.read_timeline(USER, t0, t1)
    out: dict[str, object] = {
        "posture": tl.posture.tolist(),
        "data": tl.data.tolist(),
        "events": [(e.t_s, e.source, e.kind, e.id) for e in store.read_events(USER, t0, t1)],
        "bouts": store.read_bouts(USER, t0, t1),
        "daily": store.read_daily(USER, t0, t1),
    }
    store.close()
    return out


@pytest.mark.parametrize("when", ["full at start", "fills mid-run"])
def test_a_full_disk_stops_no_prompt_and_loses_no_point(
    broker: Mosquitto, tmp_path: Path, small_disk: Path, when: str
) -> None:
    rec, rec_file = recording_file(tmp_path, SHORT)
    # the reference: the same replay on a roomy disk
    ref = tmp_path / "ref"
    ref.mkdir()
    ref_cfg = write_config(ref, rec_file, broker.port, speed=10_000, alerts=SHORT_ALERTS)
    finish(start_run(ref_cfg, tmp_path, "ref"), tmp_path, "ref")
    want = history_of(ref / "history.db")
    assert len(want["posture"]) > 1000  # type: ignore[arg-type]

    cfg = write_config(small_disk, rec_file, broker.port, speed=100, alerts=SHORT_ALERTS)
    sub = admin(broker, [f"sitload/{USER}/alert"])
    log = tmp_path / "full.log"
    if when == "full at start":
        filler = fill(small_disk)
        proc = start_run(cfg, tmp_path, "full")
    else:
        proc = start_run(cfg, tmp_path, "full")
        deadline = time.monotonic() + 30
        while " prompt " not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        filler = fill(small_disk)
    deadline = time.monotonic() + 30
    while "holding up to" not in log.read_text() and time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        time.sleep(0.2)
    time.sleep(2.0)  # a while longer on the full disk: prompts must go on
    assert proc.poll() is None, log.read_text()[-3000:]
    filler.unlink()  # space returns
    text = finish(proc, tmp_path, "full", timeout_s=120)
    time.sleep(0.5)
    sub.stop()

    assert "Traceback" not in text
    assert text.count("cannot save the state") == 1  # warned once, retried quietly
    assert text.count("cannot be written (") == 1  # the spool: warned once
    state = small_disk / "state"
    assert json.loads((state / f"{USER}.state.json").read_text())["finished"] is True
    assert not list(state.glob("*.tmp"))
    # every alert reached MQTT
    want_ids = [a["id"] for a in expected_alerts(cfg, rec)]
    assert [a["id"] for a in unique(alerts_of(sub))] == want_ids
    # every accepted point reached the history (some at the next start)
    flush_leftover_spool(state, small_disk / "history.db")
    got = history_of(small_disk / "history.db")
    assert got == want
