"""`sitload history import`: a recording or an activPAL export into the history, and
back out through `sitload report` with the numbers of `sitload analyze`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner

from analytics.compression import ExposureParams
from analytics.records import Posture, Timeline
from collector.cli import main
from collector.history_import import (
    SENSOR_KIND,
    Analysed,
    LocalClock,
    analyse,
    clock_offset_s,
    import_analysed,
    per_second,
    timeline_chunks,
)
from collector.recordings import load_recording, write_recording
from collector.sinks.history.influx_v2 import InfluxV2Store
from collector.sinks.history.sqlite_store import SqliteStore
from collector.sources.simulator import simulate
from tests.history_servers import InfluxD, VictoriaMetrics, influxd, victoria_metrics

TZ = "Europe/London"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "activpal-example"


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five hours of a simulated desk day (thigh and trunk sensors, 25 Hz)."""
    path = tmp_path_factory.mktemp("rec") / "desk.csv"
    write_recording(simulate("desk", 5.0, 11, fs_hz=25.0).recording, path)
    return path


@pytest.fixture(scope="module")
def analysed(recording: Path) -> dict[str, Any]:
    code, out, err = cli("analyze", str(recording), "--json", "--tz", TZ)
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxD]:
    with influxd(tmp_path_factory.mktemp("influxd")) as server:
        yield server


def report_of(url: str, user: str, days: list[str], out: Path) -> dict[str, Any]:
    code, _, err = cli(
        "report", "--from", days[0], "--to", days[-1], "--user", user, "--tz", TZ,
        "--history", url, "--format", "json", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


def assert_same_numbers(analysed: dict[str, Any], report: dict[str, Any]) -> None:
    """Every day's sitting, wear, compression, bouts and hip > 90°, and every bout."""
    days = {d["date"]: d for d in report["days"]}
    assert analysed["days"]
    for a in analysed["days"]:
        r = days[a["date"]]
        assert (r["sitting_s"], r["wear_s"], r["compression_s"]) == (
            a["sitting_s"],
            a["wear_s"],
            a["compression_s"],
        )
        assert (r["compression_bouts"], r["hip_gt90_s"]) == (
            a["compression_bouts"],
            a["hip_flexion_gt90_s"],
        )
        assert (r["breaks_taken"], r["micro_breaks"]) == (a["breaks_taken"], a["micro_breaks"])
    bouts = sorted((b["start_s"], b["duration_s"]) for b in analysed["bouts"])
    longest = sorted((b["start_s"], b["duration_s"]) for b in report["longest_bouts"])
    assert len(bouts) <= 10  # the report lists the 10 longest: here all of them
    assert longest == bouts


def test_round_trip_through_sqlite(
    recording: Path, analysed: dict[str, Any], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    code, out, err = cli("history", "import", str(recording), "--user", "p-1", "--history", url,
                         "--tz", TZ)  # fmt: skip
    assert code == 0, err
    assert "recording, 1 day, 18,000 s of timeline" in out
    assert "1 patient-day in" in out
    days = [d["date"] for d in analysed["days"]]
    assert_same_numbers(analysed, report_of(url, "p-1", days, tmp_path / "r.json"))


def test_round_trip_through_influxdb_1(
    recording: Path, analysed: dict[str, Any], influx: InfluxD, tmp_path: Path
) -> None:
    url = f"influxdb-v1://127.0.0.1:{influx.port}/clinic"
    code, _, err = cli("history", "import", str(recording), "--user", "p-1", "--history", url,
                       "--tz", TZ)  # fmt: skip
    assert code == 0, err
    days = [d["date"] for d in analysed["days"]]
    assert_same_numbers(analysed, report_of(url, "p-1", days, tmp_path / "r.json"))
    # a second import stores one copy
    code, _, err = cli("history", "import", str(recording), "--user", "p-1", "--history", url,
                       "--tz", TZ)  # fmt: skip
    assert code == 0, err
    got = influx.query('SELECT count("posture") FROM "timeline" WHERE "user" = \'p-1\'', "clinic")
    assert got["results"][0]["series"][0]["values"][0][1] == 18_000
    got = influx.query('SELECT count("end_s") FROM "bout"', "clinic")
    assert got["results"][0]["series"][0]["values"][0][1] == len(analysed["bouts"])
    assert_same_numbers(analysed, report_of(url, "p-1", days, tmp_path / "r2.json"))


def test_importing_twice_and_then_a_longer_copy(
    recording: Path, analysed: dict[str, Any], tmp_path: Path
) -> None:
    full = load_recording(recording).recording
    first = tmp_path / "first-3h.csv"
    n = int(full.n * 0.6)
    write_recording(_head(full, n), first)
    db = tmp_path / "h.db"
    url = f"sqlite:///{db}"
    for path in (first, first, recording, recording):
        code, _, err = cli("history", "import", str(path), "--user", "p-2", "--history", url,
                           "--tz", TZ)  # fmt: skip
        assert code == 0, err
    store = SqliteStore(db)
    try:
        lo, hi = analysed["days"][0]["start_s"], analysed["days"][-1]["end_s"]
        bouts = store.read_bouts("p-2", lo, hi)
        daily = store.read_daily("p-2", lo - 86400, hi)
        tl = store.read_timeline("p-2", lo, hi)
    finally:
        store.close()
    assert sorted((b.start_s, b.end_s) for b in bouts) == sorted(
        (b["start_s"], b["end_s"]) for b in analysed["bouts"]
    )
    assert [d.compression_s for d in daily] == [d["compression_s"] for d in analysed["days"]]
    assert int(np.count_nonzero(tl.posture == Posture.SITTING)) == sum(
        d["sitting_s"] for d in analysed["days"]
    )
    assert_same_numbers(analysed, report_of(url, "p-2", [daily[0].date], tmp_path / "r.json"))


def _head(rec: Any, n: int) -> Any:
    import dataclasses

    cut = {}
    for f in dataclasses.fields(rec):
        v = getattr(rec, f.name)
        if isinstance(v, np.ndarray) and v.shape[:1] == (rec.n,):
            cut[f.name] = v[:n]
    return dataclasses.replace(rec, **cut)


def test_an_import_keeps_the_prompt_counts_of_the_live_service(
    recording: Path, analysed: dict[str, Any], tmp_path: Path
) -> None:
    from collector.sinks.history.model import DailyRecord

    db = tmp_path / "h.db"
    day = analysed["days"][0]
    store = SqliteStore(db)
    store.write([DailyRecord("p-3", day["date"], day["start_s"], 60.0, 0.0, 0, 0.0,
                             5, 3, 1, 1, 0, 1)])  # fmt: skip
    store.close()
    code, _, err = cli("history", "import", str(recording), "--user", "p-3", "--history",
                       f"sqlite:///{db}", "--tz", TZ)  # fmt: skip
    assert code == 0, err
    store = SqliteStore(db)
    (got,) = store.read_daily("p-3", day["start_s"], day["end_s"])
    store.close()
    assert got.compression_s == day["compression_s"]
    assert (got.prompted, got.taken, got.natural, got.late, got.snoozed, got.ignored) == (
        5, 3, 1, 1, 0, 1,
    )  # fmt: skip


# --------------------------------------------------------------------------- activPAL


def test_tenth_seconds_become_seconds_at_the_nearest_second() -> None:
    # sitting 0.0–2.4 s, standing 2.4–4.6 s, sitting 4.6–6.0 s
    posture = np.array([Posture.SITTING] * 24 + [Posture.UPRIGHT] * 22 + [Posture.SITTING] * 14)
    tl = Timeline(
        t0_s=100,
        posture=posture.astype(np.int8),
        hip_flexion_deg=np.full(60, np.nan),
        dt_s=0.1,
    )
    sec = per_second(tl)
    assert (sec.t0_s, sec.dt_s) == (100, 1.0)
    assert sec.posture.tolist() == [Posture.SITTING] * 2 + [Posture.UPRIGHT] * 3 + [Posture.SITTING]


def test_the_device_clock_is_placed_with_the_offset_at_its_start() -> None:
    # 2026-03-28 12:00 local (GMT) → the device keeps GMT past the change on the 29th
    local = 1_774_699_200
    assert clock_offset_s(local, ZoneInfo(TZ)) == 0
    assert clock_offset_s(local, ZoneInfo("Europe/Berlin")) == 3600
    assert clock_offset_s(local + 2 * 86400, ZoneInfo("Europe/Berlin")) == 7200
    tl = Timeline(t0_s=local, posture=np.full(3 * 86400, 1, np.int8),
                  hip_flexion_deg=np.full(3 * 86400, np.nan))  # fmt: skip
    a = Analysed(Path("x"), "activpal", tl, None, LocalClock(3600), ZoneInfo("Europe/Berlin"))  # type: ignore[arg-type]
    chunks = list(timeline_chunks(a, "u"))
    assert [c.t0_s for c in chunks] == [local - 3600 + i * 86400 for i in range(3)]
    assert {c.sensor_kind for c in chunks} == {SENSOR_KIND}


def test_an_activpal_export_imports_with_the_analyze_totals(tmp_path: Path) -> None:
    path = FIXTURES / "activpal" / "Test_Events_excerpt.csv"
    code, out, err = cli("analyze", str(path), "--json")
    assert code == 0, err
    analysed = json.loads(out)
    url = f"sqlite:///{tmp_path / 'h.db'}"
    code, out, err = cli("history", "import", str(path), "--user", "ap", "--history", url,
                         "--tz", "Europe/Berlin")  # fmt: skip
    assert code == 0, err
    assert "activpal, 1 day," in out
    (day,) = analysed["days"]
    store = SqliteStore(tmp_path / "h.db")
    tl = store.read_timeline("ap", day["start_s"] - 3600, day["end_s"] - 3600)
    (daily,) = store.read_daily("ap", day["start_s"] - 86400, day["end_s"])
    bouts = store.read_bouts("ap", day["start_s"] - 86400, day["end_s"])
    store.close()
    # the daily record and the bouts are analyze's (0.1 s) numbers, an hour earlier
    assert daily.compression_s == day["compression_s"]
    assert [b.start_s + 3600 for b in bouts] == [b["start_s"] for b in analysed["bouts"]]
    # the 1 Hz timeline differs from the 0.1 s one by at most half a second a change
    changes = int(np.count_nonzero(np.diff(tl.posture[tl.posture != 0]))) + 1
    sitting = int(np.count_nonzero(tl.posture == Posture.SITTING))
    assert abs(sitting - day["sitting_s"]) <= 0.5 * changes
    report = report_of(url, "ap", [day["date"]], tmp_path / "r.json")
    (r,) = report["days"]
    assert abs(r["sitting_s"] - day["sitting_s"]) <= 0.5 * changes
    assert r["compression_bouts"] == day["compression_bouts"]


def test_a_bad_file_is_reported_and_the_others_are_imported(
    recording: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("this,is\nnot,a recording\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'h.db'}"
    code, out, err = cli("history", "import", str(bad), str(recording), "--user", "p",
                         "--history", url, "--tz", TZ)  # fmt: skip
    assert code == 1
    assert "bad.csv" in err
    assert "not imported" in err
    assert "imported 1 of 2 files" in out
    assert "Traceback" not in err


def test_missing_files_and_bad_urls_are_usage_errors(tmp_path: Path) -> None:
    code, _, err = cli("history", "import", str(tmp_path / "nope.csv"), "--user", "p",
                       "--history", f"sqlite:///{tmp_path / 'h.db'}")  # fmt: skip
    assert code == 2
    assert "no such file" in err
    f = tmp_path / "x.csv"
    f.write_text("x", encoding="utf-8")
    code, _, err = cli("history", "import", str(f), "--user", "p", "--history", "nosuch")
    assert code == 2
    assert "--history" in err
    assert "unknown history store" in err


@pytest.mark.shared_data
def test_a_real_activpal_week_imports_quickly(tmp_path: Path) -> None:
    path = SHARED / "Test_Events.csv"
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data is optional)")
    a = analyse(path, fmt="auto", zone=ZoneInfo(TZ), params=ExposureParams())
    # 0.1 s steps in the file, whole seconds in the store: ten times fewer points
    assert a.timeline.dt_s == 1.0
    assert a.timeline.n == pytest.approx(153_462, abs=1)


# --------------------------------------------------------------------------- v2 API


@pytest.fixture(scope="module")
def vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetrics]:
    with victoria_metrics(tmp_path_factory.mktemp("vm")) as server:
        yield server


class _NoDailyYet:
    """The v2 store with an empty history to read (VictoriaMetrics takes the v2 write
    API but does not answer InfluxQL)."""

    def __init__(self, store: InfluxV2Store) -> None:
        self.store = store
        self.name = store.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def read_daily(self, user: str, from_s: float, to_s: float) -> list[Any]:
        return []


def test_the_v2_write_path_stores_the_same_seconds_and_bouts(
    recording: Path, analysed: dict[str, Any], vm: VictoriaMetrics
) -> None:
    a = analyse(recording, fmt="auto", zone=ZoneInfo(TZ), params=ExposureParams())
    store = InfluxV2Store(vm.url, "clinic", "sitload", "token")
    summary = import_analysed(_NoDailyYet(store), a, "p-v2")  # type: ignore[arg-type]
    store.close()
    assert summary.rejected == 0
    got = vm.wait_for('{__name__="timeline_posture",user="p-v2"}',
                      lambda s: bool(s) and len(s[0]["values"]) == a.timeline.n)  # fmt: skip
    (series,) = got
    assert series["metric"]["sensor_kind"] == SENSOR_KIND
    assert series["values"] == a.timeline.posture.tolist()
    assert series["timestamps"][0] == a.timeline.t0_s * 1000
    sitting = sum(1 for v in series["values"] if v == Posture.SITTING)
    assert sitting == sum(d["sitting_s"] for d in analysed["days"])
    (bouts,) = vm.export('{__name__="bout_end_s",user="p-v2"}')
    assert sorted(bouts["values"]) == sorted(b["end_s"] for b in analysed["bouts"])


def test_a_store_that_cannot_read_daily_records_gets_nothing_written(
    recording: Path, vm: VictoriaMetrics, tmp_path: Path
) -> None:
    url = f"influxdb://127.0.0.1:{vm.port}?org=clinic&bucket=sitload"
    r = CliRunner(env={"SITLOAD_INFLUX_TOKEN": "token"}).invoke(
        main, ["history", "import", str(recording), "--user", "p-none", "--history", url]
    )
    assert r.exit_code == 1
    assert "cannot read the daily records" in r.stderr
    assert "nothing of this file was written" in r.stderr
    assert "Traceback" not in r.stderr
    vm.flush()
    assert vm.export('{__name__="timeline_posture",user="p-none"}') == []
