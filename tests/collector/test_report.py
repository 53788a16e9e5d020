"""`sitload report` on the command line (collector/review/command.py), on three
simulated weeks (tests/review_store.py) in a fake or a real history store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.review import building
from collector.review.command import report_cmd
from collector.review.export import CSV_COLUMNS
from tests.review_store import MemoryStore, SimHistory, filled_store, sqlite_history


@pytest.fixture
def fake_history(
    history: SimHistory, monkeypatch: pytest.MonkeyPatch
) -> tuple[MemoryStore, list[str]]:
    store = filled_store(history)
    urls: list[str] = []

    def fake_open(url: str) -> MemoryStore:
        urls.append(url)
        return store

    monkeypatch.setattr(building, "open_history", fake_open)
    return store, urls


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(report_cmd, list(args))
    return result.exit_code, result.stdout, result.stderr


def base_args(out: Path, *more: str) -> list[str]:
    return [
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-22",
        "--user",
        "p-0042",
        "--tz",
        "Europe/London",
        "--out",
        str(out),
        *more,
    ]


def test_cli_writes_the_html_report(
    tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]
) -> None:
    store, _ = fake_history
    out = tmp_path / "review.html"
    code, stdout, stderr = invoke(*base_args(out))
    assert code == 0, stderr
    assert stdout.startswith(f"wrote {out} (html, 21 days,")
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 6
    assert "5 of 5 mornings with pain above baseline" in html
    assert store.closed


def test_cli_json_and_csv(tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]) -> None:
    code, _, err = invoke(*base_args(tmp_path / "r.json", "--format", "json"))
    assert code == 0, err
    doc = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert doc["user"] == "p-0042"
    assert len(doc["days"]) == 21
    code, _, err = invoke(*base_args(tmp_path / "r.csv", "--format", "csv"))
    assert code == 0, err
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert len(lines) == 22


def test_cli_baseline_option(tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]) -> None:
    out = tmp_path / "r.json"
    assert invoke(*base_args(out, "--format", "json", "--baseline", "5"))[0] == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert (doc["pain"]["baseline"], doc["pain"]["baseline_source"]) == (5.0, "given")
    assert doc["pain"]["above"] == 0
    code, _, err = invoke(*base_args(out, "--baseline", "11"))
    assert code == 2
    assert "--baseline" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-3-2"], "--from '2026-3-2': expected a date as YYYY-MM-DD"),
        (["--to", "2026-02-30"], "--to '2026-02-30': day is out of range for month"),
        (["--from", "2026-03-10", "--to", "2026-03-09"], "--to 2026-03-09 is before --from"),
        (["--from", "2024-01-01", "--to", "2026-03-09"], "one report covers at most 366"),
        (["--tz", "Mars/Olympus"], "--tz 'Mars/Olympus': unknown time zone"),
        (["--user", "nobody"], "unknown user 'nobody'; the history has: p-0042"),
        (["--user", "bad id!"], "--user: "),
    ],
)
def test_cli_errors_exit_2(
    tmp_path: Path,
    fake_history: tuple[MemoryStore, list[str]],
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "r.html"
    full = base_args(out)
    for i in range(0, len(args), 2):  # replace the option's value
        k = full.index(args[i])
        full[k + 1] = args[i + 1]
    code, _, stderr = invoke(*full)
    assert code == 2
    assert stderr.startswith("sitload: error: ")
    assert message in stderr
    assert not out.exists()


def test_cli_cannot_write_the_report(
    tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]
) -> None:
    code, _, stderr = invoke(*base_args(tmp_path / "missing" / "r.html"))
    assert code == 2
    assert "cannot write the report" in stderr


def test_cli_no_data_in_range_writes_a_report_saying_so(
    tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]
) -> None:
    out = tmp_path / "r.html"
    args = base_args(out)
    args[1], args[3] = "2025-01-06", "2025-01-12"
    code, _, stderr = invoke(*args)
    assert code == 0
    assert "no sensor data for user p-0042 from 2025-01-06 to 2025-01-12" in stderr
    assert "No data." in out.read_text(encoding="utf-8")


def test_cli_defaults_come_from_the_config(
    tmp_path: Path, fake_history: tuple[MemoryStore, list[str]]
) -> None:
    _, urls = fake_history
    cfg = tmp_path / "sitload.toml"
    db = tmp_path / "history.db"
    cfg.write_text(
        f'[user]\nid = "p-0042"\ntimezone = "Europe/London"\n\n[history]\nurl = "sqlite:///{db}"\n',
        encoding="utf-8",
    )
    out = tmp_path / "r.json"
    code, _, err = invoke(
        "--from", "2026-03-02", "--to", "2026-03-08", "--config", str(cfg), "--out", str(out),
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    assert urls == [f"sqlite:///{str(db).lstrip('/')}"]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert (doc["user"], doc["time_zone"], len(doc["days"])) == ("p-0042", "Europe/London", 7)
    other = tmp_path / "other.db"
    code, _, err = invoke(*base_args(out, "--config", str(cfg), "--history", f"sqlite://{other}"))
    assert code == 0, err
    assert urls[-1] == f"sqlite:///{str(other).lstrip('/')}"


def test_cli_bad_config_and_history_urls(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, _, stderr = invoke(*base_args(out, "--history", "ftp://somewhere"))
    assert code == 2
    assert "unknown history store" in stderr
    code, _, stderr = invoke(*base_args(out, "--history", f"sqlite://{tmp_path}/none.db"))
    assert code == 2
    assert f"no history database at {tmp_path}/none.db" in stderr
    assert not (tmp_path / "none.db").exists()  # a report never creates a database
    bad = tmp_path / "bad.toml"
    bad.write_text("[user]\nid = 3\n", encoding="utf-8")
    code, _, stderr = invoke(*base_args(out, "--config", str(bad)))
    assert code == 2
    assert "user.id" in stderr


def test_cli_on_a_real_sqlite_history(tmp_path: Path, history: SimHistory) -> None:
    db = sqlite_history(history, tmp_path / "history.db")
    out = tmp_path / "r.json"
    code, _, err = invoke(*base_args(out, "--history", f"sqlite://{db}", "--format", "json"))
    assert code == 0, err
    doc = json.loads(out.read_text(encoding="utf-8"))
    by_date = {d["date"]: d for d in doc["days"]}
    for sim in history.days:
        assert by_date[sim.date.isoformat()]["compression_s"] == sim.compression_s
    assert doc["pain"]["above"] == 5
