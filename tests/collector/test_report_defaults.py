"""`sitload report` without --from/--to, one --user option, and the store it names."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.review import building
from collector.review.command import report_cmd
from collector.review.range import data_span, describe_store
from tests.review_store import MemoryStore, filled_store, simulate_history


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> MemoryStore:
    s = filled_store(simulate_history())  # 2026-03-02 … 2026-03-22, Europe/London
    monkeypatch.setattr(building, "open_history", lambda url: s)
    return s


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(report_cmd, list(args))
    return result.exit_code, result.stdout, result.stderr


def report(tmp_path: Path, *args: str) -> dict[str, object]:
    out = tmp_path / "r.json"
    code, stdout, err = run(
        "--user", "p-0042", "--tz", "Europe/London", "--format", "json", "--out", str(out),
        "--history", f"sqlite:///{tmp_path / 'h.db'}", *args,
    )  # fmt: skip
    assert code == 0, err
    doc: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    doc["_stdout"] = stdout
    return doc


def test_without_from_and_to_the_days_with_data_up_to_28(
    store: MemoryStore, tmp_path: Path
) -> None:
    # 21 days of data: from the first to the last (the last three without daily
    # totals: found in the timeline)
    doc = report(tmp_path)
    assert (doc["first_day"], doc["last_day"]) == ("2026-03-02", "2026-03-22")
    assert "21 days, 2026-03-02 to 2026-03-22, user p-0042" in str(doc["_stdout"])


def test_without_from_and_to_at_most_the_last_28_days() -> None:
    s = filled_store(simulate_history(n_days=40, first_day=dt.date(2026, 2, 9)))
    span = data_span(s, "p-0042", ZoneInfo("Europe/London"), 1.8e9)
    assert span == (dt.date(2026, 2, 21), dt.date(2026, 3, 20))


def test_one_end_given_the_other_is_28_days_away(store: MemoryStore, tmp_path: Path) -> None:
    doc = report(tmp_path, "--from", "2026-03-02")
    assert (doc["first_day"], doc["last_day"]) == ("2026-03-02", "2026-03-29")
    doc = report(tmp_path, "--to", "2026-03-15")
    assert (doc["first_day"], doc["last_day"]) == ("2026-02-16", "2026-03-15")


def test_a_user_without_daily_totals_or_bouts_needs_from_and_to(
    store: MemoryStore, tmp_path: Path
) -> None:
    store.daily.clear()
    store.bouts.clear()
    code, _, err = run("--user", "p-0042", "--out", str(tmp_path / "r.json"),
                       "--history", f"sqlite:///{tmp_path / 'h.db'}")  # fmt: skip
    assert code == 2
    assert "give --from and --to" in err


def test_the_report_names_the_store_and_the_user(store: MemoryStore, tmp_path: Path) -> None:
    doc = report(tmp_path)
    assert doc["user"] == "p-0042"
    assert doc["store"] == {"kind": "sqlite", "source": f"SQLite {tmp_path / 'h.db'}"}
    out = tmp_path / "r.html"
    code, _, err = run("--user", "p-0042", "--out", str(out),
                       "--history", f"sqlite:///{tmp_path / 'h.db'}")  # fmt: skip
    assert code == 0, err
    assert f"from SQLite {tmp_path / 'h.db'}" in out.read_text(encoding="utf-8")


def test_describe_store_never_shows_credentials() -> None:
    text = describe_store("influxdb-v1://bob:s3cret@clinic.example:8087/sitload?rp=year")
    assert text == "InfluxDB 1.x clinic.example:8087, database sitload, retention policy year"
    assert describe_store("influxdb://db.example?org=physio&bucket=patients&tls=1") == (
        "InfluxDB db.example:8086, org physio, bucket patients"
    )
    assert describe_store("sqlite:///var/lib/sitload/history.db") == (
        "SQLite /var/lib/sitload/history.db"
    )


def test_user_is_the_option_everywhere_and_user_id_a_hidden_alias(
    store: MemoryStore, tmp_path: Path
) -> None:
    for cmd in ("run", "pain", "report"):
        help_text = CliRunner().invoke(main, [cmd, "--help"]).stdout
        assert "--user " in help_text, cmd
        assert "--user-id" not in help_text, cmd
    out = tmp_path / "r.json"
    code, _, err = run("--user-id", "p-0042", "--format", "json", "--out", str(out),
                       "--history", f"sqlite:///{tmp_path / 'h.db'}")  # fmt: skip
    assert code == 0, err
    assert "--user-id is deprecated; use --user" in err
    assert json.loads(out.read_text(encoding="utf-8"))["user"] == "p-0042"


def test_pain_takes_user_and_the_old_user_id(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    url = f"sqlite:///{db}"
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "HOME": str(tmp_path)}
    r = CliRunner(env=env).invoke(main, ["pain", "3", "--user", "p-new", "--history", url])
    assert r.exit_code == 0, r.stderr
    r = CliRunner(env=env).invoke(main, ["pain", "4", "--user-id", "p-old", "--history", url])
    assert r.exit_code == 0, r.stderr
    assert "--user-id is deprecated" in r.stderr
    from collector.sinks.history.sqlite_store import SqliteStore

    s = SqliteStore(db)
    try:
        assert sorted(s.users()) == ["p-new", "p-old"]
    finally:
        s.close()
