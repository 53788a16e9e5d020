"""`sitload pain SCORE --at …` and `sitload pain import DIARY.csv`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from collector.cli import main
from collector.pain_diary import DiaryError, parse_time, when_of
from collector.recordings import write_recording
from collector.sinks.history.sqlite_store import SqliteStore
from collector.sources.simulator import simulate

BERLIN = ZoneInfo("Europe/Berlin")


def cli(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    r = CliRunner(env=env).invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def pain_of(db: Path, user: str) -> list[tuple[str, int, str, str]]:
    s = SqliteStore(db)
    try:
        got = s.read_pain(user, 0, 4e9)
    finally:
        s.close()
    return [
        (dt.datetime.fromtimestamp(p.t_s, BERLIN).strftime("%Y-%m-%d %H:%M"), p.score, p.when,
         p.note)
        for p in got
    ]  # fmt: skip


def test_a_score_for_a_past_morning(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    url = f"sqlite:///{db}"
    code, out, err = cli(tmp_path, "pain", "4", "--at", "2026-11-24 07:30", "--tz",
                         "Europe/Berlin", "--user", "p", "--history", url)  # fmt: skip
    assert code == 0, err
    assert out.strip() == "pain 4/10 (morning, 2026-11-24 07:30) saved"
    assert pain_of(db, "p") == [("2026-11-24 07:30", 4, "morning", "")]
    s = SqliteStore(db)
    (p,) = s.read_pain("p", 0, 4e9)
    s.close()
    assert p.t_s == dt.datetime(2026, 11, 24, 6, 30, tzinfo=dt.UTC).timestamp()
    # --when wins over the clock time
    code, out, err = cli(tmp_path, "pain", "2", "--at", "2026-11-24 09:00", "--when", "now",
                         "--tz", "Europe/Berlin", "--user", "p", "--history", url)  # fmt: skip
    assert code == 0, err
    assert ("2026-11-24 09:00", 2, "now", "") in pain_of(db, "p")


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("24.11.2026 07:30", "expected a local time as YYYY-MM-DD HH:MM"),
        ("2026-11-31 07:30", "expected a local time"),
        ("2999-01-01 07:00", "is in the future"),
    ],
)
def test_bad_times_are_usage_errors(tmp_path: Path, at: str, message: str) -> None:
    code, _, err = cli(tmp_path, "pain", "4", "--at", at, "--user", "p", "--history",
                       f"sqlite:///{tmp_path / 'h.db'}")  # fmt: skip
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_parse_time_and_when() -> None:
    t = parse_time("2026-11-24 7:05", BERLIN)
    assert t == dt.datetime(2026, 11, 24, 7, 5, tzinfo=BERLIN).timestamp()
    assert parse_time("2026-11-24T07:05+01:00", BERLIN) == t
    assert parse_time("2026-11-24T07:05", BERLIN) == t  # no offset: local
    with pytest.raises(DiaryError, match="YYYY-MM-DD HH:MM"):
        parse_time("2026-11-24", BERLIN)
    assert [when_of(t + h * 3600, BERLIN) for h in (0, 5, 11)] == ["morning", "now", "evening"]


DIARY = """time,score,when,note
2026-11-23 07:10,3,,stiff
2026-11-24 07:30,5,morning,after the long drive
2026-11-24 20:00,6,,
2026-11-25 07:15,eleven,,
yesterday,2,,
2026-11-26 07:00,2,lunch,
"""


def test_a_diary_is_imported_once_and_bad_rows_are_named(tmp_path: Path) -> None:
    diary = tmp_path / "diary.csv"
    diary.write_text(DIARY, encoding="utf-8")
    db = tmp_path / "h.db"
    for _ in range(2):
        code, out, err = cli(tmp_path, "pain", "import", str(diary), "--user", "p", "--tz",
                             "Europe/Berlin", "--history", f"sqlite:///{db}")  # fmt: skip
        assert code == 1  # rows were skipped
        assert "imported 3 pain score(s) (2 morning) for user p" in out
        assert "3 row(s) skipped" in out
        assert "row 5: score 'eleven'" in err
        assert "row 6: 'yesterday': expected a local time" in err
        assert "row 7: when 'lunch'" in err
    assert pain_of(db, "p") == [
        ("2026-11-23 07:10", 3, "morning", "stiff"),
        ("2026-11-24 07:30", 5, "morning", "after the long drive"),
        ("2026-11-24 20:00", 6, "evening", ""),
    ]


def test_a_diary_with_date_and_clock_columns_and_semicolons(tmp_path: Path) -> None:
    diary = tmp_path / "diary.csv"
    diary.write_text("Date;Time;Score\n2026-11-23;07:10;3\n2026-11-24;21:00;1\n", encoding="utf-8")
    db = tmp_path / "h.db"
    code, _, err = cli(tmp_path, "pain", "import", str(diary), "--user", "p", "--tz",
                       "Europe/Berlin", "--history", f"sqlite:///{db}")  # fmt: skip
    assert code == 0, err
    assert pain_of(db, "p") == [
        ("2026-11-23 07:10", 3, "morning", ""),
        ("2026-11-24 21:00", 1, "evening", ""),
    ]


def test_a_diary_without_the_columns_is_an_error(tmp_path: Path) -> None:
    diary = tmp_path / "diary.csv"
    diary.write_text("when,pain\nmorning,3\n", encoding="utf-8")
    code, _, err = cli(tmp_path, "pain", "import", str(diary), "--user", "p", "--history",
                       f"sqlite:///{tmp_path / 'h.db'}")  # fmt: skip
    assert code == 2
    assert "needs the columns time and score" in err


def test_pain_help_names_the_diary_import(tmp_path: Path) -> None:
    _, out, _ = cli(tmp_path, "pain", "--help")
    assert "sitload pain import DIARY.csv" in out
    _, out, _ = cli(tmp_path, "pain", "import", "--help")
    assert "time,score" in out


def test_a_morning_after_a_short_recording_concludes_nothing(tmp_path: Path) -> None:
    """The issue's case end to end: a day with too little data (a 3-hour recording),
    one morning score the next day: no "tolerated"."""
    rec = tmp_path / "short.csv"
    sim = simulate("desk", 3.0, 5, fs_hz=20.0)
    write_recording(sim.recording, rec)
    db = tmp_path / "h.db"
    url = f"sqlite:///{db}"
    code, _, err = cli(tmp_path, "history", "import", str(rec), "--user", "p", "--history", url,
                       "--tz", "Europe/Berlin")  # fmt: skip
    assert code == 0, err
    day = dt.datetime.fromtimestamp(float(sim.recording.t_s[0]), BERLIN).date()
    morning = f"{day + dt.timedelta(days=1)} 07:30"
    code, _, err = cli(tmp_path, "pain", "2", "--at", morning, "--tz", "Europe/Berlin",
                       "--user", "p", "--history", url)  # fmt: skip
    assert code == 0, err
    out = tmp_path / "r.json"
    code, _, err = cli(tmp_path, "report", "--user", "p", "--tz", "Europe/Berlin", "--history",
                       url, "--format", "json", "--out", str(out))  # fmt: skip
    assert code == 0, err
    doc = json.loads(out.read_text(encoding="utf-8"))
    (m,) = doc["pain"]["mornings"]
    assert m["previous_date"] == day.isoformat()
    assert not m["previous_valid"]
    (flag,) = [f for f in doc["flags"] if f["kind"] == "pain"]
    assert "tolerated" not in flag["text"]
    assert "not enough data" in flag["text"]
