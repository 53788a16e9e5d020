"""`sitload simulate --days N --start DATE`: days on the calendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from click.testing import CliRunner

from analytics.records import Posture
from collector.cli import main
from collector.sources.sim_days import (
    PAIN_HIGH_SITTING_H,
    SimDays,
    day_kinds,
    morning_pain,
    simulate_days,
)

TZ = "Europe/London"
START = dt.date(2026, 3, 26)  # a Thursday; the clocks go forward on Sunday 29 March


@pytest.fixture(scope="module")
def week() -> SimDays:
    return simulate_days(6, START, TZ, 3, fs_hz=5.0, trunk=False, nonwear_day_p=0.0)


def day_posture(sd: SimDays, day: dt.date) -> np.ndarray:
    z = ZoneInfo(TZ)
    tr = sd.simulated.truth
    lo = int(dt.datetime.combine(day, dt.time(0), z).timestamp()) - tr.t0_s
    hi = int(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), z).timestamp()) - tr.t0_s
    return tr.posture[lo:hi]


def hours(p: np.ndarray, posture: Posture) -> float:
    return float(np.count_nonzero(p == posture)) / 3600.0


def test_the_days_start_at_local_midnight_and_follow_the_clock(week: SimDays) -> None:
    z = ZoneInfo(TZ)
    assert week.simulated.truth.t0_s == int(dt.datetime(2026, 3, 26, tzinfo=z).timestamp())
    assert [k for _, k in week.kinds] == ["work", "work", "weekend", "weekend", "work", "work"]
    assert week.simulated.truth.n == 6 * 86400 - 3600  # one 23-hour day
    assert len(day_posture(week, dt.date(2026, 3, 29))) == 23 * 3600


def test_nights_are_in_bed(week: SimDays) -> None:
    for i in range(6):
        p = day_posture(week, START + dt.timedelta(days=i))
        night = p[: 5 * 3600]  # 00:00–05:00 local (04:00 on the short day)
        assert np.all((night == Posture.LYING) | (night == Posture.NONWEAR))
        assert hours(night, Posture.LYING) > 4.5
        assert hours(p, Posture.LYING) > 6.5


def test_working_days_sit_more_than_weekends(week: SimDays) -> None:
    sitting = {d: hours(day_posture(week, dt.date.fromisoformat(d)), Posture.SITTING)
               for d, _ in week.kinds}  # fmt: skip
    work = [sitting[d] for d, k in week.kinds if k == "work"]
    weekend = [sitting[d] for d, k in week.kinds if k == "weekend"]
    assert min(work) > max(weekend) + 1.0
    assert all(8.0 < h < 14.0 for h in work)
    for d, k in week.kinds:
        if k == "work":  # at the desk in the morning
            p = day_posture(week, dt.date.fromisoformat(d))
            assert hours(p[9 * 3600 : 12 * 3600], Posture.SITTING) > 1.5


def test_some_days_without_the_sensor() -> None:
    rng = np.random.default_rng(0)
    kinds = day_kinds(START, 120, rng, 1.0 / 12.0)
    assert kinds[0] != "nonwear"
    assert 3 <= kinds.count("nonwear") <= 20
    sd = simulate_days(3, START, TZ, 1, fs_hz=5.0, trunk=False, nonwear_day_p=1.0)
    assert [k for _, k in sd.kinds] == ["work", "nonwear", "nonwear"]
    assert np.all(day_posture(sd, START + dt.timedelta(days=1)) == Posture.NONWEAR)


def test_the_same_seed_gives_the_same_days() -> None:
    a = simulate_days(2, START, TZ, 9, fs_hz=5.0, trunk=False)
    b = simulate_days(2, START, TZ, 9, fs_hz=5.0, trunk=False)
    assert np.array_equal(a.simulated.truth.posture, b.simulated.truth.posture)
    assert np.array_equal(a.simulated.recording.thigh_acc_g, b.simulated.recording.thigh_acc_g)


def test_the_command(tmp_path: Path) -> None:
    out = tmp_path / "two.parquet"
    r = CliRunner().invoke(main, ["simulate", "--days", "2", "--start", "2026-11-21", "--tz", TZ,
                                  "--out", str(out), "--fs", "5", "--no-trunk"])  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert "2 days 2026-11-21 to 2026-11-22 (Europe/London): 0 working days, 2 weekend" in r.stdout
    assert out.exists()
    diary = (tmp_path / "two.pain.csv").read_text(encoding="utf-8").splitlines()
    assert diary[0] == "time,score,when"
    assert all(line.split(",")[2] == "morning" for line in diary[1:])

    r = CliRunner().invoke(main, ["simulate", "--days", "2", "--start", "21/11/2026",
                                  "--out", str(out)])  # fmt: skip
    assert r.exit_code == 2
    assert "--start '21/11/2026': expected a date as YYYY-MM-DD" in r.stderr
    r = CliRunner().invoke(main, ["simulate", "--days", "2", "--seat", "--out", str(out)])
    assert r.exit_code == 2
    assert "without a seat mat" in r.stderr


def test_morning_pain_follows_the_previous_days_sitting(week: SimDays) -> None:
    scores = dict(morning_pain(week, 3, share=1.0))
    assert len(scores) == 6
    for (d, _), (t, score) in zip(week.kinds, sorted(scores.items()), strict=True):
        assert t.startswith((dt.date.fromisoformat(d) + dt.timedelta(days=1)).isoformat() + " 07:")
        sat = hours(day_posture(week, dt.date.fromisoformat(d)), Posture.SITTING)
        assert (score >= 4) == (sat > PAIN_HIGH_SITTING_H), (d, sat, score)
