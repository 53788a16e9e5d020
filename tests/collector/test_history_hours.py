"""The timeline's hour blocks in InfluxDB 1.x (collector/sinks/history/timeline_hours.py):
a report reads 24 points a day instead of 86,400, and reads exactly what the
per-second points say, whatever the history's age or the way it was written."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.review.building import build_review
from collector.review.export import render_json
from collector.review.load import load_inputs
from collector.review.meta import ReportMeta
from collector.sinks.history import influx_lines as lp
from collector.sinks.history import timeline_hours as th
from collector.sinks.history.influx_v1 import InfluxV1Store
from collector.sinks.history.influxql_timeline import read_timeline
from collector.sinks.history.model import HistoryStore, TimelineChunk
from collector.sinks.history.sqlite_store import SqliteStore
from tests.history_data import WEEK0, assert_timeline, simulated_week, split_chunks
from tests.history_servers import InfluxD, influxd
from tests.review_store import simulate_history

USER = "p-0042"


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxD]:
    with influxd(tmp_path_factory.mktemp("influxd")) as server:
        yield server


def seconds_only(store: InfluxV1Store, t0: float, t1: float) -> TimelineChunk:
    return read_timeline(store._reader, USER, t0, t1, blocks=False)


def noisy(t0_s: int, n: int, seed: int = 3) -> TimelineChunk:
    """Hip flexion that changes every second (a trunk sensor), with unknown stretches."""
    rng = np.random.default_rng(seed)
    posture = rng.integers(0, 6, n).astype(np.int8)
    hip = rng.normal(60.0, 25.0, n)
    hip[rng.random(n) < 0.2] = np.nan
    data = rng.integers(0, 3, n).astype(np.int8)
    return TimelineChunk(USER, t0_s, posture, hip, data, "thigh", "sim")


def test_the_blocks_alone_give_the_timeline_back(influx: InfluxD) -> None:
    week = simulated_week(USER, days=2)
    store = InfluxV1Store(influx.url, "alone")
    assert store.write(week.records(chunk_s=3600)).rejected == 0
    store.close()
    # without the per-second points, the blocks still hold every second
    influx.query('DROP MEASUREMENT "timeline"', db="alone")
    reader = InfluxV1Store(influx.url, "alone")
    assert_timeline(reader.read_timeline(USER, week.t0_s, week.t1_s), week.timeline)
    reader.close()


def test_a_trunk_sensors_every_second_and_the_hours_written_in_part(influx: InfluxD) -> None:
    t0 = WEEK0 + 1234  # starts and ends mid-hour
    chunk = noisy(t0, 5 * 3600 + 77)
    store = InfluxV1Store(influx.url, "noisy")
    for part in split_chunks(chunk, 10):  # as the live service writes: 10 s at a time
        store.write([part])
    store.close()  # writes the last hour, in part
    reader = InfluxV1Store(influx.url, "noisy")
    got = reader.read_timeline(USER, t0 - 100, t0 + chunk.n + 100)
    assert_timeline(got, seconds_only(reader, t0 - 100, t0 + chunk.n + 100))
    assert np.array_equal(got.hip_flexion_deg[100:-100], chunk.hip_flexion_deg, equal_nan=True)
    assert (got.device, got.sensor_kind) == ("thigh", "sim")
    reader.close()


def test_a_later_write_merges_as_influxdb_merges_points(influx: InfluxD) -> None:
    t0 = WEEK0
    first = noisy(t0, 3 * 3600, seed=1)
    store = InfluxV1Store(influx.url, "merge")
    store.write([first])
    store.close()
    # a new process rewrites part of the middle hour (hip unknown: keeps the stored hip)
    later = noisy(t0 + 3600 + 600, 1200, seed=2)
    later = TimelineChunk(
        USER, later.t0_s, later.posture, np.full(later.n, np.nan), later.data, "thigh", "sim"
    )
    store = InfluxV1Store(influx.url, "merge")
    store.write([later])
    mid = store.read_timeline(USER, t0, t0 + 3 * 3600)  # the hour is pending: no stale block
    assert_timeline(mid, seconds_only(store, t0, t0 + 3 * 3600))
    store.write([noisy(t0 + 3600 + 1800, 1800, seed=4)])  # completes it: read back, merged
    store.close()
    reader = InfluxV1Store(influx.url, "merge")
    blocks = influx.query('SELECT "format" FROM "timeline_hour"', db="merge")
    assert [row[1] for row in blocks["results"][0]["series"][0]["values"]] == [1, 1, 1]
    assert_timeline(
        reader.read_timeline(USER, t0, t0 + 3 * 3600), seconds_only(reader, t0, t0 + 3 * 3600)
    )
    reader.close()


def test_a_history_written_before_the_blocks_reads_as_before(influx: InfluxD) -> None:
    week = simulated_week(USER, days=2)
    old = InfluxV1Store(influx.url, "old")
    old.create_database()
    lines = [line for c in week.chunks(3600) for line in lp.timeline_lines(c)]
    assert old.write_lines("s", lines).rejected == 0  # what an older sitload wrote
    old.close()
    influx.query('DROP MEASUREMENT "timeline_hour"', db="old")
    reader = InfluxV1Store(influx.url, "old")
    assert_timeline(reader.read_timeline(USER, week.t0_s, week.t1_s), week.timeline)
    reader.close()
    # `sitload history compact` writes its blocks (not the hour in progress)
    host = influx.url.removeprefix("http://")
    url = f"influxdb-v1://{host}/old"
    done = CliRunner().invoke(main, ["history", "compact", "--user", USER, "--history", url])
    assert done.exit_code == 0, done.output
    assert "wrote 48 hour blocks" in done.output
    influx.query('DROP MEASUREMENT "timeline"', db="old")  # the blocks alone now
    reader = InfluxV1Store(influx.url, "old")
    assert_timeline(reader.read_timeline(USER, week.t0_s, week.t1_s), week.timeline)
    assert reader.compact(USER, week.t0_s + 3600.5) == 0  # no seconds left to compact
    reader.close()


def _report_json(store: HistoryStore, first: dt.date, last: dt.date, tz: str) -> str:
    inputs = load_inputs(store, USER, first, last, ZoneInfo(tz), progress=False)
    meta = ReportMeta(USER, dt.datetime(2026, 4, 1, 9, 0, tzinfo=ZoneInfo(tz)), "9.9.9", "x")
    return render_json(build_review(inputs, tz_name=tz, baseline=None), meta)


def test_the_report_json_is_the_same_from_sqlite_blocks_and_seconds(
    influx: InfluxD, tmp_path: Path
) -> None:
    history = simulate_history(USER, n_days=9)
    first, last, tz = history.first_day, history.last_day, history.tz
    sqlite = SqliteStore(tmp_path / "h.db")
    sqlite.write(history.records)
    influx_store = InfluxV1Store(influx.url, "report")
    assert influx_store.write(history.records).rejected == 0
    influx_store.close()
    want = _report_json(sqlite, first, last, tz)
    sqlite.close()
    assert json.loads(want)["days"]  # a report with content
    blocks = InfluxV1Store(influx.url, "report")
    assert _report_json(blocks, first, last, tz) == want
    # and from the seconds alone (a history written before the blocks)
    influx.query('DROP MEASUREMENT "timeline_hour"', db="report")
    assert _report_json(blocks, first, last, tz) == want
    blocks.close()


def test_a_block_round_trips_every_float() -> None:
    c = noisy(0, th.HOUR_S)
    z = th.encode(c.posture, c.data, c.hip_flexion_deg)
    assert len(z) < 64_000  # InfluxDB's string field limit
    b = th.decode(0, z)
    assert np.array_equal(b.posture, c.posture)
    assert np.array_equal(b.data, c.data)
    assert np.array_equal(b.hip_flexion_deg, c.hip_flexion_deg, equal_nan=True)


def test_an_hour_in_progress_reads_from_its_seconds(influx: InfluxD) -> None:
    t0 = WEEK0 + 600
    store = InfluxV1Store(influx.url, "progress")
    store.write([noisy(t0, 600)])  # the hour is pending: only a "no block" point
    reader = InfluxV1Store(influx.url, "progress")
    got = reader.read_timeline(USER, WEEK0, WEEK0 + 3600)
    assert_timeline(got, seconds_only(reader, WEEK0, WEEK0 + 3600))
    assert (got.data[600:1200] == noisy(t0, 600).data).all()
    reader.close()
    store.close()
