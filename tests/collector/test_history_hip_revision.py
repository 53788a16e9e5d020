"""A revision of stored hip angles (analytics.hip_revision) written to InfluxDB 1.x
(a real ``influxd``): it overwrites the seconds, their hour blocks and the day's
daily row, and adds no point."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pytest

from analytics.alert_records import Adherence
from analytics.compression import ExposureParams
from analytics.hip_revision import HipRevision, hip_gt90_s
from analytics.live_state import DayTotals
from collector.service.day_summaries import DaySummaries
from collector.service.history_feed import daily_record, revision_records
from collector.sinks.history.influx_v1 import InfluxV1Store
from collector.sinks.history.influxql_timeline import read_timeline
from collector.sinks.history.model import TimelineChunk
from tests.history_data import WEEK0, split_chunks
from tests.history_servers import InfluxD, influxd

USER = "p-0042"
DAY_S = 86400


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxD]:
    with influxd(tmp_path_factory.mktemp("influxd")) as server:
        yield server


def count(influx: InfluxD, q: str, db: str) -> int:
    series = influx.query(q, db)["results"][0]["series"][0]
    return int(series["values"][0][1])


def test_a_revision_overwrites_the_seconds_blocks_and_daily_row(influx: InfluxD) -> None:
    day = WEEK0 // DAY_S
    t0 = WEEK0 + 1234  # starts and ends mid-hour
    n = 3 * 3600 + 77
    rng = np.random.default_rng(7)
    posture = rng.choice(np.array([1, 2, 4], dtype=np.int8), n)  # upright, sitting, riding
    hip = rng.normal(85.0, 6.0, n)
    hip[posture == 1] = rng.normal(5.0, 2.0, int(np.count_nonzero(posture == 1)))
    hip[rng.random(n) < 0.1] = np.nan
    data = np.zeros(n, dtype=np.int8)
    chunk = TimelineChunk(USER, t0, posture, hip, data, "thigh", "sim")
    adherence = Adherence(day, prompted=3, taken=2)
    days = DaySummaries(dt.UTC, ExposureParams())
    days.note(adherence)
    totals = DayTotals(day, compression_s=3000.0, hip_gt90_s=hip_gt90_s(posture, hip))
    store = InfluxV1Store(influx.url, "revised")
    for part in split_chunks(chunk, 600):  # as the service writes: a step at a time
        store.write([part, daily_record(USER, totals, adherence, dt.UTC)])

    # the reference moved by 4°: every known angle 4° more
    revised = hip + 4.0
    after_s = hip_gt90_s(posture, revised)
    day_after = DayTotals(day, compression_s=3000.0, hip_gt90_s=after_s)
    rev = HipRevision(day, t0, posture, data, revised, totals.hip_gt90_s, after_s, day_after)
    assert rev.hip_gt90_s > rev.hip_gt90_before_s + 600  # material
    store.write(revision_records(USER, [rev], days, dt.UTC, device="thigh", sensor_kind="sim"))
    store.close()  # writes the last hour's block

    reader = InfluxV1Store(influx.url, "revised")
    got = reader.read_timeline(USER, t0, t0 + n)  # from the hour blocks
    seconds = read_timeline(reader._reader, USER, t0, t0 + n, blocks=False)
    for read in (got, seconds):
        assert np.array_equal(read.posture, posture)
        assert np.allclose(read.hip_flexion_deg, revised, equal_nan=True)
    assert (got.device, got.sensor_kind) == ("thigh", "sim")
    # one point a second, one block an hour, one daily row: nothing added
    assert count(influx, 'SELECT COUNT("posture") FROM "timeline"', "revised") == n
    assert count(influx, 'SELECT COUNT("format") FROM "timeline_hour"', "revised") == 4
    assert count(influx, 'SELECT COUNT("date") FROM "daily"', "revised") == 1
    (row,) = reader.read_daily(USER, WEEK0 - DAY_S, WEEK0 + DAY_S)
    assert row.hip_gt90_s == rev.hip_gt90_s == hip_gt90_s(got.posture, got.hip_flexion_deg)
    assert (row.compression_s, row.prompted, row.taken) == (3000.0, 3, 2)  # kept
    reader.close()
