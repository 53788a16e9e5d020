"""The InfluxDB history stores against real servers: InfluxDB 1.x (``influxd``) for
the v1 store and for InfluxQL reads, VictoriaMetrics for the v2 write API that
influxdb-client speaks (read back through VictoriaMetrics' export API). The line
protocol and the factory have their own test files (no server needed)."""

from __future__ import annotations

import logging
import math
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from collector.sinks.history import influx_lines as lp
from collector.sinks.history.influx_v1 import InfluxV1Store
from collector.sinks.history.influx_v2 import InfluxV2Store
from collector.sinks.history.model import (
    EventRecord,
    PainReport,
    StoreConfigError,
    StoreUnavailableError,
    TimelineChunk,
)
from tests.history_data import DAY_S, WEEK0, Week, assert_timeline, simulated_week
from tests.history_servers import (
    InfluxD,
    VictoriaMetrics,
    free_port,
    influxd,
    victoria_metrics,
)

USER = "p-0042"
SECRET = "s3cr3t-T0ken-VALUE"


def _sorted_events(events: list[EventRecord]) -> list[EventRecord]:
    return sorted(events, key=lambda e: (e.t_s, e.source, e.kind, e.id))


# --- servers and a week written once -----------------------------------------------------


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxD]:
    with influxd(tmp_path_factory.mktemp("influxd")) as server:
        yield server


@pytest.fixture(scope="module")
def vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetrics]:
    with victoria_metrics(tmp_path_factory.mktemp("vm")) as server:
        yield server


@pytest.fixture(scope="module")
def week() -> Week:
    return simulated_week(USER)


@pytest.fixture(scope="module")
def week_in_influx(influx: InfluxD, week: Week) -> Iterator[InfluxV1Store]:
    store = InfluxV1Store(influx.url, "week")
    records = week.records(chunk_s=3600)
    result = store.write(records)
    assert result.rejected == 0, result
    assert result.written == week.count()
    yield store
    store.close()


# --- InfluxDB 1.x -----------------------------------------------------------------------


def test_a_week_round_trips_through_influxdb_1x(week_in_influx: InfluxV1Store, week: Week) -> None:
    store = week_in_influx
    t0, t1 = week.t0_s, week.t1_s
    got = store.read_timeline(USER, t0, t1)
    assert_timeline(got, week.timeline)  # hip exactly: floats are written with repr
    assert (got.device, got.sensor_kind) == ("thigh", "sim")
    assert store.read_events(USER, t0, t1) == _sorted_events(week.events)
    assert store.read_events(USER, t0, t1, source="gap") == [
        e for e in week.events if e.source == "gap"
    ]
    assert store.read_bouts(USER, t0, t1) == week.bouts
    assert store.read_daily(USER, t0, t1) == week.daily
    assert store.read_pain(USER, t0, t1) == sorted(week.pain, key=lambda p: p.t_s)
    assert store.users() == [USER]
    # a range inside: exact seconds, events filtered on their exact time
    a, b = t0 + DAY_S + 3 * 3600 + 0.5, t0 + 2 * DAY_S + 100.2
    part = store.read_timeline(USER, a, b)
    assert part.t0_s == math.floor(a)
    assert part.n == math.ceil(b) - math.floor(a)
    assert np.array_equal(
        part.posture, week.timeline.posture[part.t0_s - t0 : part.t0_s - t0 + part.n]
    )
    assert store.read_events(USER, a, b) == [
        e for e in _sorted_events(week.events) if a <= e.t_s < b
    ]


def test_the_same_records_twice_are_stored_once(influx: InfluxD) -> None:
    small = simulated_week(USER, days=2, seed=11)
    store = InfluxV1Store(influx.url, "twice")
    records = small.records(chunk_s=900)
    first = store.write(records)
    second = store.write(records)
    assert first == second
    assert first.written == small.count()

    def count(q: str) -> int:
        series = influx.query(q, "twice")["results"][0]["series"][0]
        return int(series["values"][0][1])

    assert count('SELECT COUNT("posture") FROM "timeline"') == small.timeline.n
    assert count('SELECT COUNT("id") FROM "event"') == len(small.events)
    assert count('SELECT COUNT("end_s") FROM "bout"') == len(small.bouts)
    assert count('SELECT COUNT("date") FROM "daily"') == 2  # many updates, one per day
    assert count('SELECT COUNT("score") FROM "pain"') == len(small.pain)
    assert store.read_daily(USER, small.t0_s, small.t1_s) == small.daily
    store.close()


def test_bad_points_are_rejected_and_the_good_ones_kept(influx: InfluxD) -> None:
    db = "conflict"
    old_week = WEEK0 - 52 * 7 * DAY_S
    # someone wrote posture as a string into the shard of an old week first
    influx.query(f'CREATE DATABASE "{db}"')
    status, body = influx.write_lines(db, f'timeline,user={USER} posture="sitting" {old_week}')
    assert status == 204, body
    store = InfluxV1Store(influx.url, db)
    small = simulated_week(USER, days=1, seed=3)
    bad = TimelineChunk(
        USER,
        old_week + 100,
        np.ones(300, np.int8),
        np.full(300, 95.0),
        np.zeros(300, np.int8),
    )
    records = [bad, *small.records(chunk_s=3600)]
    result = store.write(records)
    assert result.rejected == 300
    assert result.written == small.count()
    assert result.reason is not None
    assert "field type conflict" in result.reason
    assert len(result.reason) <= 200
    assert_timeline(store.read_timeline(USER, small.t0_s, small.t1_s), small.timeline)
    assert store.read_events(USER, small.t0_s, small.t1_s) == _sorted_events(small.events)

    # lines the server cannot parse: isolated by halving, the others written
    good = [f"probe,user={USER} n={i}i {WEEK0 + i}" for i in range(1000)]
    lines = [*good[:10], "probe,user=x n=1i,broken", *good[10:700], "probe n=", *good[700:]]
    result = store.write_lines("s", lines)
    assert result.rejected == 2
    assert result.written == 1000
    assert result.reason is not None
    assert "unable to parse" in result.reason
    got = influx.query('SELECT COUNT("n") FROM "probe"', db)["results"][0]["series"][0]
    assert got["values"][0][1] == 1000
    store.close()


def test_a_missing_database_reads_empty_and_is_created_on_write(influx: InfluxD) -> None:
    store = InfluxV1Store(influx.url, "fresh db")
    empty = store.read_timeline(USER, WEEK0, WEEK0 + 60)
    assert empty.n == 60
    assert np.isnan(empty.hip_flexion_deg).all()
    assert store.read_events(USER, WEEK0, WEEK0 + 60) == []
    assert store.users() == []
    assert store.write([PainReport(USER, WEEK0 + 5, 2)]).written == 1
    names = [v[0] for v in influx.query("SHOW DATABASES")["results"][0]["series"][0]["values"]]
    assert "fresh db" in names
    assert store.read_pain(USER, WEEK0, WEEK0 + 60) == [PainReport(USER, WEEK0 + 5, 2)]
    store.close()


def test_a_retention_policy_and_a_shared_database(influx: InfluxD) -> None:
    """Home Assistant style: one database shared with other data, a policy of our own."""
    influx.query('CREATE DATABASE "shared"')
    influx.query('CREATE RETENTION POLICY "two_years" ON "shared" DURATION 104w REPLICATION 1')
    status, _ = influx.write_lines("shared", f"temperature,user=someone value=21.5 {WEEK0}")
    assert status == 204
    store = InfluxV1Store(influx.url, "shared", retention_policy="two_years")
    small = simulated_week(USER, days=1, seed=13)
    assert store.write(small.records(chunk_s=3600)).written == small.count()
    got = influx.query('SELECT COUNT("posture") FROM "shared"."two_years"."timeline"', "shared")
    assert got["results"][0]["series"][0]["values"][0][1] == DAY_S
    assert_timeline(store.read_timeline(USER, small.t0_s, small.t1_s), small.timeline)
    assert store.read_daily(USER, small.t0_s, small.t1_s) == small.daily
    assert store.users() == [USER]  # not the user tag of someone else's measurement
    store.close()


def test_a_server_that_cuts_answers_short_is_asked_again(tmp_path: Path) -> None:
    """``max-row-limit``: an InfluxDB that returns at most 5000 rows per query answer."""
    with influxd(tmp_path / "limited", http_config="  max-row-limit = 5000") as server:
        store = InfluxV1Store(server.url, "limited")
        small = simulated_week(USER, days=1, seed=9)
        store.write([small.timeline])
        store._reader.chunk_size = 0  # ask for unchunked answers, as a server may answer
        got = store.read_timeline(USER, small.t0_s, small.t1_s)
        assert_timeline(got, small.timeline)
        store.close()


def test_credentials_refused_and_no_right_to_create(tmp_path: Path, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    with influxd(tmp_path / "auth", auth=True) as server:
        admin = InfluxV1Store(server.url, "secured", InfluxD.ADMIN, InfluxD.ADMIN_PASSWORD)
        assert admin.write([PainReport(USER, WEEK0, 1)]).written == 1  # creates the database
        server.query(f"CREATE USER bob WITH PASSWORD '{SECRET}'")
        wrong = InfluxV1Store(server.url, "secured", "bob", "not-" + SECRET)
        with pytest.raises(StoreConfigError) as err:
            wrong.write([PainReport(USER, WEEK0, 1)])
        assert "'bob'" in str(err.value) or "(bob)" in str(err.value)
        assert "SITLOAD_INFLUX_PASSWORD" in str(err.value)
        with pytest.raises(StoreConfigError):
            wrong.read_pain(USER, WEEK0, WEEK0 + 10)
        bob = InfluxV1Store(server.url, "bobs", "bob", SECRET)
        with pytest.raises(StoreConfigError, match="GRANT ALL ON"):
            bob.write([PainReport(USER, WEEK0, 1)])
        nobody = InfluxV1Store(server.url, "secured")
        with pytest.raises(StoreConfigError, match="wants a user"):
            nobody.write([PainReport(USER, WEEK0, 1)])
        for s in (admin, wrong, bob, nobody):
            s.close()
    assert SECRET not in caplog.text
    assert SECRET not in str(err.value)


def test_a_server_that_is_down_is_unavailable(tmp_path: Path) -> None:
    port = free_port()
    store = InfluxV1Store(f"http://127.0.0.1:{port}", "db", timeout_s=2)
    with pytest.raises(StoreUnavailableError, match="cannot be reached"):
        store.write([PainReport(USER, WEEK0, 1)])
    with pytest.raises(StoreUnavailableError):
        store.read_timeline(USER, WEEK0, WEEK0 + 10)
    store.close()
    # a server that takes the connection and never answers: the timeout
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        url = f"http://127.0.0.1:{hung.getsockname()[1]}"
        store = InfluxV1Store(url, "db", timeout_s=0.5)
        start = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="cannot be reached"):
            store.write([PainReport(USER, WEEK0, 1)])
        assert time.monotonic() - start < 3
        store.close()


# --- the v2 API: VictoriaMetrics for writes, InfluxDB 1.x for InfluxQL reads ----------------


def _series(vm: VictoriaMetrics, name: str) -> dict[str, Any]:
    got = vm.export(f'{{__name__="{name}",user="{USER}"}}')
    assert len(got) == 1, (name, [g["metric"] for g in got])
    return dict(got[0])


def test_a_week_through_the_v2_api_into_victoria_metrics(vm: VictoriaMetrics, week: Week) -> None:
    store = InfluxV2Store(vm.url, "clinic", "sitload", SECRET)
    result = store.write(week.records(chunk_s=3600))
    assert result.rejected == 0
    assert result.written == week.count()
    store.close()
    vm.wait_for(
        f'{{__name__="timeline_posture",user="{USER}"}}',
        lambda s: bool(s) and len(s[0]["values"]) == week.timeline.n,
    )
    t = week.t0_s + np.arange(week.timeline.n)
    posture = _series(vm, "timeline_posture")
    assert posture["metric"] == {
        "__name__": "timeline_posture",
        "user": USER,
        "device": "thigh",
        "sensor_kind": "sim",
    }
    assert posture["timestamps"] == (t * 1000).tolist()
    assert posture["values"] == week.timeline.posture.tolist()
    data = _series(vm, "timeline_data")
    assert data["values"] == week.timeline.data.tolist()
    hip = _series(vm, "timeline_hip_flexion_deg")
    known = ~np.isnan(week.timeline.hip_flexion_deg)
    assert hip["timestamps"] == (t[known] * 1000).tolist()
    # VictoriaMetrics keeps 12 significant digits
    np.testing.assert_allclose(hip["values"], week.timeline.hip_flexion_deg[known], rtol=1e-11)

    events = _sorted_events(week.events)
    by_time = sorted(events, key=lambda e: lp.event_time_us(e))
    got = vm.export(f'{{__name__="event_t_s",user="{USER}"}}')  # a series per source, kind
    stamps = sorted(ts for s in got for ts in s["timestamps"])
    assert stamps == sorted(lp.event_time_us(e) // 1000 for e in by_time)
    values = sorted(v for s in got for v in s["values"])
    np.testing.assert_allclose(values, sorted(e.t_s for e in events), rtol=1e-11)

    bouts = _series(vm, "bout_end_s")
    assert bouts["timestamps"] == [round(b.start_s * 1000) for b in week.bouts]
    np.testing.assert_allclose(bouts["values"], [b.end_s for b in week.bouts], rtol=1e-11)
    daily = _series(vm, "daily_compression_s")
    # VictoriaMetrics keeps each write of a day (no overwrite as in InfluxDB): all the
    # versions are there, at the day's timestamp
    versions: dict[int, set[float]] = {}
    for ts, v in zip(daily["timestamps"], daily["values"], strict=True):
        versions.setdefault(ts, set()).add(v)
    assert set(versions) == {int(d.t_s) * 1000 for d in week.daily}
    for d in week.daily_updates:
        assert d.compression_s in versions[int(d.t_s) * 1000]
    pain = vm.export(f'{{__name__="pain_score",user="{USER}"}}')
    got_pain = sorted(
        (ts // 1000, s["metric"]["when"], v)
        for s in pain
        for ts, v in zip(s["timestamps"], s["values"], strict=True)
    )
    assert got_pain == sorted((int(p.t_s), p.when, p.score) for p in week.pain)


def test_v2_reads_are_influxql_on_the_v1_compatible_endpoint(
    influx: InfluxD, week_in_influx: InfluxV1Store, week: Week
) -> None:
    # InfluxDB 1.x answers /query?db=<bucket> like InfluxDB 2.x does (here: no auth)
    store = InfluxV2Store(influx.url, "clinic", "week", SECRET)
    t0, t1 = week.t0_s, week.t1_s
    assert_timeline(
        store.read_timeline(USER, t0, t1 - 5 * DAY_S), simulated_week(USER, days=2).timeline
    )
    assert store.read_events(USER, t0, t1) == _sorted_events(week.events)
    assert store.read_bouts(USER, t0, t1) == week.bouts
    assert store.read_daily(USER, t0, t1) == week.daily
    assert store.read_pain(USER, t0, t1) == sorted(week.pain, key=lambda p: p.t_s)
    assert store.users() == [USER]
    store.close()


def test_v2_errors(tmp_path: Path, influx: InfluxD, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    down = InfluxV2Store(f"http://127.0.0.1:{free_port()}", "o", "b", SECRET, timeout_s=2)
    with pytest.raises(StoreUnavailableError, match="cannot be reached"):
        down.write([PainReport(USER, WEEK0, 1)])
    down.close()
    with victoria_metrics(
        tmp_path / "vm-auth", "-httpAuth.username=vm", "-httpAuth.password=pw"
    ) as server:
        refused = InfluxV2Store(server.url, "clinic", "sitload", SECRET)
        with pytest.raises(StoreConfigError, match=r"HTTP 401.*SITLOAD_INFLUX_TOKEN") as err:
            refused.write([PainReport(USER, WEEK0, 1)])
        refused.close()
    assert SECRET not in str(err.value)
    # InfluxDB 1.6 has no /api/v2/write: not an InfluxDB 2.x
    old = InfluxV2Store(influx.url, "clinic", "sitload", SECRET)
    with pytest.raises(StoreConfigError, match="bucket 'sitload'"):
        old.write([PainReport(USER, WEEK0, 1)])
    old.close()
    assert SECRET not in caplog.text
