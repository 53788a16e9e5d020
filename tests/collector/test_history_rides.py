"""`sitload history import` of rides: FIT files alone, and a thigh recording with its
ride, stored as ride records in SQLite, InfluxDB 1.x and through the v2 write path,
idempotently."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analytics.records import Posture
from analytics.ride import summarize_ride
from collector.cli import main
from collector.history_rides import read_ride_record
from collector.recordings import write_recording
from collector.recordings.fit import read_fit
from collector.sinks.history.influx_lines import record_lines
from collector.sinks.history.influx_v1 import InfluxV1Store
from collector.sinks.history.influx_v2 import InfluxV2Store
from collector.sinks.history.model import RideRecord
from collector.sinks.history.spool_format import decode_records, encode_records
from collector.sinks.history.sqlite_store import SqliteStore
from collector.sources.simulator import simulate
from tests.collector.recordings.fit_writer import (
    RIDER_POSITION,
    SEATED,
    STANDING,
    START,
    STOP_ALL,
    TIMER,
    FitRide,
    write_fit,
)
from tests.history_servers import InfluxD, VictoriaMetrics, influxd, victoria_metrics

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fit"
RIDES = sorted(FIXTURES.glob("*.fit"))
ALL_TIME = (0.0, 4e9)


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def expected(path: Path, user: str = "p-1") -> RideRecord:
    s = summarize_ride(read_fit(path).ride)
    return RideRecord(
        user, float(s.start_t_s), float(s.end_t_s), float(s.riding_s), float(s.on_bike_s),
        s.seated_s, s.standing_s, s.longest_seated_bout_s, s.stands, s.stands_per_hour,
        None, s.position_from, path.name,
    )  # fmt: skip


@pytest.fixture(scope="module")
def standing_ride(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-minute ride with rider-position events: seated, 30 s standing at 20 min."""
    t0 = 1_700_000_000
    n = 2400
    records = [(t0 + i, 8.0, 85, 200) for i in range(n)]
    events = [
        (t0, TIMER, START, 0),
        (t0 + 1200, RIDER_POSITION, 0, STANDING),
        (t0 + 1230, RIDER_POSITION, 0, SEATED),
        (t0 + n, TIMER, STOP_ALL, 0),
    ]
    path = tmp_path_factory.mktemp("fit") / "stand.fit"
    return write_fit(path, FitRide(records, events, float(n)))


def test_fit_rides_into_sqlite_once_however_often_imported(
    standing_ride: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    files = [str(p) for p in (*RIDES, standing_ride)]
    for _ in range(2):
        code, out, err = cli("history", "import", *files, "--user", "p-1", "--history", url)
        assert code == 0, err
    assert "seated unknown (no rider position in the file)" in out
    assert "seated 40 min (events)" in out
    assert f"0 patient-days, {len(files)} rides in" in out
    store = SqliteStore(tmp_path / "h.db")
    got = store.read_rides("p-1", *ALL_TIME)
    store.close()
    assert got == sorted((expected(p) for p in (*RIDES, standing_ride)), key=lambda r: r.start_s)
    stand = next(r for r in got if r.source == "stand.fit")
    assert (stand.stands, stand.longest_seated_bout_s) == (1, 1200.0)


def test_riding_time_is_the_files_own_timer(tmp_path: Path) -> None:
    for p in RIDES:
        record, _ = read_ride_record(p, "p-1")
        own = read_fit(p).ride.session.total_timer_s
        assert own is not None
        assert abs(record.riding_s - own) <= 0.01 * own, p.name


def test_an_unknown_figure_stays_unknown_through_every_store_format() -> None:
    r = expected(RIDES[0])
    assert r.seated_s is None
    (line,) = record_lines(r)
    assert "seated_s" not in line
    assert line.startswith("ride,user=p-1 ")
    assert decode_records(encode_records([r])) == [r]


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxD]:
    with influxd(tmp_path_factory.mktemp("influxd")) as server:
        yield server


def test_rides_round_trip_through_influxdb_1(standing_ride: Path, influx: InfluxD) -> None:
    url = f"influxdb-v1://127.0.0.1:{influx.port}/rides"
    files = [str(p) for p in (*RIDES, standing_ride)]
    for _ in range(2):
        code, _out, err = cli("history", "import", *files, "--user", "p-2", "--history", url)
        assert code == 0, err
    got = influx.query('SELECT count("riding_s") FROM "ride"', "rides")
    assert got["results"][0]["series"][0]["values"][0][1] == len(files)
    store = InfluxV1Store(f"http://127.0.0.1:{influx.port}", "rides")
    rides = store.read_rides("p-2", *ALL_TIME)
    assert "p-2" in store.users()
    store.close()
    assert rides == sorted(
        (expected(p, "p-2") for p in (*RIDES, standing_ride)), key=lambda r: r.start_s
    )


@pytest.fixture(scope="module")
def vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetrics]:
    with victoria_metrics(tmp_path_factory.mktemp("vm")) as server:
        yield server


def test_the_v2_write_path_stores_the_rides(standing_ride: Path, vm: VictoriaMetrics) -> None:
    """(VictoriaMetrics keeps a point written twice twice: idempotency is InfluxDB's
    rule, tested above.)"""
    records = sorted(
        (expected(p, "p-v2") for p in (*RIDES, standing_ride)), key=lambda r: r.start_s
    )
    store = InfluxV2Store(vm.url, "clinic", "sitload", "token")
    result = store.write(records)
    store.close()
    assert (result.written, result.rejected) == (len(records), 0)
    (series,) = vm.wait_for('{__name__="ride_riding_s",user="p-v2"}',
                            lambda s: bool(s) and len(s[0]["values"]) == len(records))  # fmt: skip
    assert series["values"] == [r.riding_s for r in records]
    assert series["timestamps"] == [int(r.start_s) * 1000 for r in records]
    (stands,) = vm.export('{__name__="ride_stands",user="p-v2"}')
    assert stands["values"] == [1]  # only the ride whose file says


# --------------------------------------------------------------------------- thigh


@pytest.fixture(scope="module")
def cyclist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray]:
    """A simulated ride (thigh only, its cadence removed) and a FIT file of the same
    ride (timer and cadence, no rider position), on the same UTC clock."""
    sim = simulate("cyclist", 1.0, 4, fs_hz=25.0, trunk=False)
    rec = sim.recording
    assert rec.cadence_rpm is not None
    tmp = tmp_path_factory.mktemp("ride")
    write_recording(dataclasses.replace(rec, cadence_rpm=None), tmp / "thigh.csv")
    t0 = int(rec.t_s[0])
    sec = (rec.t_s - t0).astype(np.int64)
    per_s = np.bincount(sec, weights=rec.cadence_rpm) / np.maximum(np.bincount(sec), 1)
    n = per_s.shape[0]
    records = [(t0 + i, 8.0, round(float(per_s[i])), 200) for i in range(n)]
    fit = FitRide(records, [(t0, TIMER, START, 0), (t0 + n, TIMER, STOP_ALL, 0)], float(n))
    return tmp / "thigh.csv", write_fit(tmp / "ride.fit", fit), sim.truth.posture


def test_a_thigh_recording_with_its_ride(
    cyclist: tuple[Path, Path, np.ndarray], tmp_path: Path
) -> None:
    thigh, ride, truth = cyclist
    url = f"sqlite:///{tmp_path / 'h.db'}"
    for _ in range(2):
        code, out, err = cli("history", "import", str(thigh), "--ride", str(ride),
                             "--user", "p-3", "--history", url, "--tz", "UTC")  # fmt: skip
        assert code == 0, err
    assert "(thigh), seated at hip > 90°" in out
    store = SqliteStore(tmp_path / "h.db")
    (r,) = store.read_rides("p-3", *ALL_TIME)
    tl = store.read_timeline("p-3", r.start_s, r.end_s)
    store.close()
    assert r.position_from == "thigh"
    assert r.source == "ride.fit"
    seated_truth = int(np.count_nonzero(truth == Posture.RIDING_SEATED))
    assert r.seated_s is not None
    assert abs(r.seated_s - seated_truth) <= 0.03 * seated_truth
    code, out, err = cli("analyze", str(thigh), "--ride", str(ride), "--json", "--tz", "UTC")
    assert code == 0, err
    saddle = json.loads(out)["total"]["saddle"]  # the ride is the whole recording
    assert r.seated_hip_gt90_s == saddle["seated_hip_gt90_s"]
    assert (r.seated_s, r.longest_seated_bout_s) == (
        saddle["seated_s"],
        saddle["longest_seated_bout_s"],
    )
    assert r.stands is not None
    assert r.stands_per_hour is not None
    assert (
        int(np.count_nonzero(tl.posture == Posture.RIDING_SEATED)) == r.seated_s
    )  # the timeline is stored too


def test_ride_options_that_do_not_fit(
    cyclist: tuple[Path, Path, np.ndarray], tmp_path: Path
) -> None:
    thigh, ride, _ = cyclist
    url = f"sqlite:///{tmp_path / 'h.db'}"
    code, _out, err = cli("history", "import", str(thigh), str(thigh), "--ride", str(ride),
                          "--user", "p", "--history", url)  # fmt: skip
    assert code == 2
    assert "--ride joins one recording" in err
    code, _out, err = cli("history", "import", str(thigh), "--ride", str(RIDES[0]),
                          "--user", "p", "--history", url)  # fmt: skip
    assert code == 1
    assert "does not overlap" in err


# --------------------------------------------------------------------------- report


def test_the_report_lists_every_ride_and_the_weekly_saddle_load(
    standing_ride: Path, tmp_path: Path
) -> None:
    """Rides imported from their files alone: the report's saddle section has them,
    what the files cannot tell shown as unknown, never as zero."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    files = [str(p) for p in (*RIDES, standing_ride)]
    code, _out, err = cli("history", "import", *files, "--user", "p-4", "--history", url)
    assert code == 0, err
    # the standing ride: 2023-11-14; the trainer ride: 2011-11-02 (outside)
    args = ["report", "--from", "2023-11-06", "--to", "2023-11-26", "--user", "p-4",
            "--tz", "UTC", "--history", url]  # fmt: skip
    code, _out, err = cli(*args, "--format", "json", "--out", str(tmp_path / "r.json"))
    assert code == 0, err
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    (ride,) = doc["rides"]
    assert ride["source"] == "stand.fit"
    assert ride["position_from"] == "events"
    assert (ride["seated_s"], ride["stands"], ride["seated_hip_gt90_s"]) == (2370.0, 1, None)
    weeks = doc["saddle_weeks"]
    assert [w["week_start"] for w in weeks] == ["2023-11-06", "2023-11-13", "2023-11-20"]
    assert [w["rides"] for w in weeks] == [0, 1, 0]
    assert [w["flagged"] for w in weeks] == [False, True, True]
    assert doc["any_riding"] is True
    assert any(f["kind"] == "saddle_load" for f in doc["flags"])
    code, _out, err = cli(*args, "--out", str(tmp_path / "r.html"))
    assert code == 0, err
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Weekly saddle load" in page
    assert "Every ride" in page
    assert "bike computer (rider position) · stand.fit" in page
    assert "0:40" in page  # 2,370 s seated
