"""Every point of a measurement carries the same tag keys, ``unknown`` rather than
absent (InfluxDB 3 fixes a table's tag set at its first write): checked on a real
InfluxDB 1.x with ``SHOW TAG KEYS`` and every series ``GROUP BY *`` finds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from collector.sinks.history import influx_lines as lp
from collector.sinks.history.influx_v1 import InfluxV1Store
from collector.sinks.history.model import EventRecord, HistoryRecord, TimelineChunk
from tests.history_data import DAY_S, Week, simulated_week
from tests.history_servers import InfluxD, influxd

USER = "p-0017"
DB = "tags"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxD]:
    with influxd(tmp_path_factory.mktemp("influxd")) as found:
        yield found


@pytest.fixture(scope="module")
def written(server: InfluxD) -> Iterator[tuple[InfluxV1Store, Week, TimelineChunk]]:
    """A day with a labelled sensor, then an hour from a source with no device name
    and no kind, and an event of no kind."""
    day = simulated_week(USER, days=1, seed=3)
    t1 = day.t1_s
    unlabelled = TimelineChunk(
        USER,
        t1,
        np.full(3600, 1, dtype=np.int8),
        np.full(3600, np.nan),
        np.zeros(3600, dtype=np.int8),
    )
    odd = EventRecord(USER, t1 + 10.0, "gap", "", "gap-without-kind", value=4.0)
    records: list[HistoryRecord] = [*day.records(chunk_s=3600), unlabelled, odd]
    store = InfluxV1Store(server.url, DB)
    result = store.write(records)
    assert result.rejected == 0, result
    yield store, day, unlabelled
    store.close()


def _series(server: InfluxD, measurement: str) -> list[dict[str, str]]:
    answer = server.query(f'SELECT * FROM "{measurement}" GROUP BY *', DB)
    return [s.get("tags", {}) for s in answer["results"][0]["series"]]


@pytest.mark.parametrize("measurement", sorted(lp.TAG_KEYS))
def test_every_measurement_has_its_tag_keys(
    server: InfluxD,
    written: tuple[InfluxV1Store, Week, TimelineChunk],
    measurement: str,
) -> None:
    answer = server.query(f'SHOW TAG KEYS FROM "{measurement}"', DB)
    (series,) = answer["results"][0]["series"]
    keys = tuple(sorted(row[0] for row in series["values"]))
    assert keys == lp.TAG_KEYS[measurement]


@pytest.mark.parametrize("measurement", sorted(lp.TAG_KEYS))
def test_every_series_carries_every_tag_with_a_value(
    server: InfluxD,
    written: tuple[InfluxV1Store, Week, TimelineChunk],
    measurement: str,
) -> None:
    """``GROUP BY *`` gives "" for a tag a point lacks: none may be empty."""
    series = _series(server, measurement)
    assert series
    for tags in series:
        assert tuple(sorted(tags)) == lp.TAG_KEYS[measurement], tags
        assert all(tags.values()), tags


def test_unknown_reads_back_as_none(
    server: InfluxD, written: tuple[InfluxV1Store, Week, TimelineChunk]
) -> None:
    store, day, unlabelled = written
    timeline_tags = _series(server, lp.TIMELINE)
    assert {"device": "unknown", "sensor_kind": "unknown", "user": USER} in timeline_tags
    got = store.read_timeline(USER, unlabelled.t0_s, unlabelled.t0_s + unlabelled.n)
    assert (got.device, got.sensor_kind) == ("", "")
    assert np.array_equal(got.posture, unlabelled.posture)
    labelled = store.read_timeline(USER, day.t0_s, day.t0_s + DAY_S)
    assert (labelled.device, labelled.sensor_kind) == ("thigh", "sim")
    (odd,) = [e for e in store.read_events(USER, unlabelled.t0_s, unlabelled.t0_s + 60)]
    assert odd == EventRecord(
        USER, unlabelled.t0_s + 10.0, "gap", "", "gap-without-kind", value=4.0
    )


def test_the_line_protocol_never_leaves_a_tag_out(tmp_path: Path) -> None:
    chunk = TimelineChunk(
        USER, 1_795_420_800, np.zeros(2, np.int8), np.full(2, np.nan), np.ones(2, np.int8)
    )
    lines = lp.timeline_lines(chunk)
    assert lines[0].startswith("timeline,device=unknown,sensor_kind=unknown,user=p-0017 ")
    labelled = lp.timeline_lines(replace(chunk, device="thigh", sensor_kind="sim"))
    assert labelled[0].startswith("timeline,device=thigh,sensor_kind=sim,user=p-0017 ")
