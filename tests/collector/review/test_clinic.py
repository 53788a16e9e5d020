"""`sitload clinic`: 50 simulated patients in SQLite and in a real InfluxDB 1.x; every
row of the overview is the patient's own report (`sitload report --format json`)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.review.clinic_run import report_stems
from collector.sinks.history.factory import open_store
from collector.sinks.history.model import HistoryRecord
from tests.collector.review.clinic_patients import PAIN_ONLY, TZ, clinic_records, user_of
from tests.history_servers import InfluxD, influxd

N_PATIENTS = 50
VOLATILE = ("generated_at", "store", "report", "problem")
"""Fields that differ between two runs or two stores."""


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def records() -> list[HistoryRecord]:
    return clinic_records(N_PATIENTS, awake_only=True)


def filled(url: str, records: list[HistoryRecord]) -> str:
    store = open_store(url, os.environ)
    try:
        result = store.write(records)
        assert result.rejected == 0, result.reason
    finally:
        store.close()
    return url


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory, records: list[HistoryRecord]) -> str:
    return filled(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'clinic.db'}", records)


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxD]:
    with influxd(tmp_path_factory.mktemp("influxd")) as server:
        yield server


@pytest.fixture(scope="module")
def influx_url(influx: InfluxD, records: list[HistoryRecord]) -> str:
    return filled(f"influxdb-v1://127.0.0.1:{influx.port}/clinic", records)


def clinic(url: str, out: Path, *extra: str) -> dict[str, Any]:
    code, stdout, err = cli("clinic", "--history", url, "--tz", TZ, "--out", str(out), *extra)
    assert code == 0, err
    assert f"{N_PATIENTS + 1} patients" in stdout
    doc: dict[str, Any] = json.loads((out / "index.json").read_text(encoding="utf-8"))
    return doc


@pytest.fixture(scope="module")
def sqlite_clinic(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clinic") / "overview"
    clinic(sqlite_url, out, "--format", "json", "--jobs", "2")  # the pages: test_clinic_page
    return out


def report_of(url: str, user: str, out: Path) -> dict[str, Any]:
    code, _, err = cli("report", "--user", user, "--tz", TZ, "--history", url,
                       "--format", "json", "--out", str(out))  # fmt: skip
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


def assert_row_is_the_report(row: dict[str, Any], doc: dict[str, Any]) -> None:
    t = doc["totals"]
    a = t["adherence"]
    known = a["source"] != "none"
    changes = [w for w in doc["weeks"] if w["change"] is not None]
    worn = [d["date"] for d in doc["days"] if d["wear_s"] > 0]
    assert row["user"] == doc["user"]
    assert (row["first_day"], row["last_day"]) == (doc["first_day"], doc["last_day"])
    assert row["has_data"] == doc["has_data"]
    assert row["last_data_day"] == (worn[-1] if worn else None)
    assert (row["days"], row["valid_days"]) == (t["days"], t["valid_days"])
    assert row["compression_per_valid_day_s"] == t["mean_compression_valid_s"]
    assert row["trend"] == (changes[-1]["change"] if changes else None)
    assert row["trend_week"] == (changes[-1]["week_start"] if changes else None)
    assert (row["long_bouts"], row["longest_bout_s"]) == (t["long_bouts"], t["longest_bout_s"])
    assert row["hip_gt90_per_valid_day_s"] == t["mean_hip_gt90_valid_s"]
    assert (row["prompted"], row["taken"]) == (
        (a["prompted"], a["taken"]) if known else (None, None)
    )
    pain = doc["pain"]
    assert (row["mornings"], row["mornings_above"], row["pain_baseline"]) == (
        len(pain["mornings"]),
        pain["above"],
        pain["baseline"],
    )
    assert row["flag_kinds"] == [f["kind"] for f in doc["flags"]]
    assert row["flag_texts"] == [f["text"] for f in doc["flags"]]
    assert row["alerts"] == sum(f["level"] == "alert" for f in doc["flags"])


def without(doc: dict[str, Any], keys: tuple[str, ...] = VOLATILE) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in keys}


def test_the_patients_are_the_stores_users(sqlite_clinic: Path, sqlite_url: str) -> None:
    store = open_store(sqlite_url, os.environ)
    try:
        users = store.users()
    finally:
        store.close()
    assert len(users) == N_PATIENTS + 1
    rows = json.loads((sqlite_clinic / "index.json").read_text(encoding="utf-8"))["patients"]
    assert sorted(r["user"] for r in rows) == users
    for user, stem in report_stems(users).items():
        if user != PAIN_ONLY:
            assert (sqlite_clinic / f"{stem}.json").is_file()
    assert not (sqlite_clinic / "index.html").exists()  # --format json: no pages


def test_every_row_is_the_patients_own_report_from_sqlite(
    sqlite_clinic: Path, sqlite_url: str, tmp_path: Path
) -> None:
    rows = json.loads((sqlite_clinic / "index.json").read_text(encoding="utf-8"))["patients"]
    checked = 0
    for row in rows:
        if row["user"] == PAIN_ONLY:
            assert row["problem"].startswith("no daily totals or bouts of user")
            assert row["report"] is None
            continue
        doc = report_of(sqlite_url, row["user"], tmp_path / f"{row['user']}.json")
        assert_row_is_the_report(row, doc)
        beside = json.loads((sqlite_clinic / f"{row['user']}.json").read_text(encoding="utf-8"))
        assert without(beside) == without(doc)
        checked += 1
    assert checked == N_PATIENTS
    # the clinic's patients are not all alike
    assert len({r["valid_days"] for r in rows if r["report"]}) > 1
    assert any(r["trend"] is not None for r in rows)
    assert any(r["trend"] is None for r in rows if r["report"])
    assert len({r["last_data_day"] for r in rows if r["report"]}) > 2
    assert any(r["prompted"] is not None and r["taken"] for r in rows)


def test_every_row_is_the_patients_own_report_from_influxdb_1(
    influx_url: str, sqlite_clinic: Path, tmp_path: Path
) -> None:
    out = tmp_path / "overview"
    doc = clinic(influx_url, out, "--format", "json", "--jobs", "2")
    rows = doc["patients"]
    # the same patients and the same figures as from SQLite
    from_sqlite = json.loads((sqlite_clinic / "index.json").read_text(encoding="utf-8"))
    assert [without(r) for r in rows] == [without(r) for r in from_sqlite["patients"]]
    for row in rows:
        if row["user"] == PAIN_ONLY:
            continue
        assert row["report"] == f"{row['user']}.json"
        beside = json.loads((out / row["report"]).read_text(encoding="utf-8"))
        assert_row_is_the_report(row, beside)
    # and those reports are what `sitload report` writes, patient by patient
    for user in (user_of(0), user_of(3), user_of(N_PATIENTS - 1)):
        own = report_of(influx_url, user, tmp_path / "own.json")
        beside = json.loads((out / f"{user}.json").read_text(encoding="utf-8"))
        assert without(beside) == without(own)
        assert own["store"]["kind"] == "influxdb-v1"


def test_report_all_users_is_the_clinic(sqlite_url: str, tmp_path: Path) -> None:
    out = tmp_path / "all"
    code, stdout, err = cli(
        "report", "--all-users", "--history", sqlite_url, "--tz", TZ, "--out", str(out),
        "--from", "2026-03-01", "--to", "2026-03-14", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    assert f"{N_PATIENTS + 1} patients" in stdout
    doc = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert (doc["first_day"], doc["last_day"]) == ("2026-03-01", "2026-03-14")
    assert all(r["first_day"] == "2026-03-01" for r in doc["patients"])  # all placed
    code, _, err = cli("report", "--all-users", "--user", "p-000", "--out", str(out))
    assert code == 2
    assert "leave out --user" in err
    code, _, err = cli("report", "--all-users", "--format", "csv", "--out", str(out))
    assert code == 2
    assert "--format html or json" in err


def test_a_folder_is_not_a_report_file(sqlite_url: str, tmp_path: Path) -> None:
    code, _, err = cli("report", "--user", user_of(0), "--history", sqlite_url,
                       "--out", str(tmp_path))  # fmt: skip
    assert code == 2
    assert "is a folder" in err


def test_an_empty_history_says_how_to_fill_it(tmp_path: Path) -> None:
    url = filled(f"sqlite:///{tmp_path / 'empty.db'}", [])
    code, _, err = cli("clinic", "--history", url, "--out", str(tmp_path / "o"))
    assert code == 2
    assert "has no users yet" in err
    assert "sitload history import" in err


def test_user_ids_become_safe_unique_file_names() -> None:
    stems = report_stems(["p-1", "P-1", "index", "../x", "a b"])
    assert stems["p-1"] == "p-1"
    assert stems["P-1"].startswith("P-1-")  # case-insensitive file systems
    assert stems["index"].startswith("index-")
    assert stems["../x"].startswith("_x-")
    assert stems["a b"].startswith("a_b-")
    assert len({s.lower() for s in stems.values()}) == 5


def test_the_clinic_pages_need_no_extra(sqlite_url: str, tmp_path: Path) -> None:
    """The pages' charts are written straight as SVG: no matplotlib (the `report`
    extra) needed."""
    from tests.collector.test_extras import sitload_without

    out = tmp_path / "o"
    done = sitload_without("matplotlib", "clinic", "--out", str(out), "--history", sqlite_url,
                           "--tz", TZ, "--jobs", "1", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    pages = [p.read_text(encoding="utf-8") for p in out.glob("*.html") if p.name != "index.html"]
    assert (out / "index.html").is_file()
    assert sum("<svg" in page for page in pages) >= N_PATIENTS  # every patient with data
