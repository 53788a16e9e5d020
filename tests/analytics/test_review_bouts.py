"""The review's bouts (analytics/review_bouts.py): bins, the longest, saddle bouts."""

from __future__ import annotations

import datetime as dt

from analytics.review import review
from analytics.review_bouts import saddle_bouts
from tests.analytics.review_timelines import (
    D0,
    RS,
    RST,
    UTC,
    S,
    hhmm,
    timeline,
)

# --------------------------------------------------------------------------- bouts


def test_bout_bins_are_the_activpal_bins() -> None:
    tl = timeline(
        [
            [
                ("08:00", "08:10", S, 85.0),  # < 30 min
                ("08:20", "09:05", S, 85.0),  # 30–60 min
                ("09:30", "11:00", S, 85.0),  # 1–2 h
                ("11:30", "14:30", S, 85.0),  # 2–4 h
                ("15:00", "20:00", S, 85.0),  # ≥ 4 h
            ]
        ]
    )
    b = review(tl, tz=UTC).bins
    assert b.labels == ("<30min", "30-60min", "1-2h", "2-4h", ">=4h")
    assert b.compression_counts == (1, 1, 1, 1, 1)
    assert b.sitting_counts == (1, 1, 1, 1, 1)
    assert b.compression_time_s == (600, 2700, 5400, 10800, 18000)
    assert b.sitting_time_s == b.compression_time_s


def test_a_micro_break_joins_compression_bouts_but_splits_activpal_bouts() -> None:
    # 40 min, 60 s upright (≥ 10 s: ends an activPAL bout; < 2 min: a micro-break), 40 min
    tl = timeline([[("09:00", "09:40", S, 85.0), ("09:41", "10:21", S, 85.0)]])
    r = review(tl, tz=UTC)
    assert r.bins.compression_counts == (0, 0, 1, 0, 0)  # one 81-minute bout
    assert r.bins.sitting_counts == (0, 2, 0, 0, 0)  # two 40-minute bouts
    (bout,) = r.longest_bouts
    assert (bout.duration_s, bout.seated_s, bout.micro_breaks) == (81 * 60, 80 * 60, 1)
    assert bout.ended_by == "break"
    assert r.days[0].long_bouts == 1


def test_the_longest_bouts_come_first_and_only_from_the_range() -> None:
    tl = timeline(
        [
            [("09:00", "09:50", S, 85.0)],
            [("09:00", "11:00", S, 85.0), ("14:00", "14:40", S, 95.0)],
            [("09:00", "10:00", S, 85.0)],
        ]
    )
    r = review(tl, tz=UTC, first_day=D0 + dt.timedelta(days=1), longest_n=2)
    assert [d.date for d in r.days] == ["2026-06-02", "2026-06-03"]
    assert [(b.date, b.start_local, b.duration_s) for b in r.longest_bouts] == [
        ("2026-06-02", "09:00", 7200),
        ("2026-06-03", "09:00", 3600),
    ]


# --------------------------------------------------------------------------- saddle


def test_saddle_bouts_follow_the_saddle_rules() -> None:
    tl = timeline(
        [
            [
                ("09:00", "09:30", RS, 80.0),
                ("09:30", "09:31", RST, 60.0),  # 60 s on the pedals: ends the bout
                ("09:31", "10:01", RS, 95.0),
                ("14:00", "15:00", RS, 80.0),
            ]
        ]
    )
    # a 5 s stand inside the afternoon ride stays inside its bout
    k = hhmm("14:20")
    tl.posture[k : k + 5] = RST
    r = review(tl, tz=UTC)
    assert r.any_riding
    got = [(b.start_local, b.duration_s, b.hip_gt90_s) for b in r.saddle_bouts]
    assert got == [("14:00", 3600, 0), ("09:00", 1800, 0), ("09:31", 1800, 1800)]
    day = r.days[0]
    assert day.saddle_longest_seated_s == 3600  # the same rules as analytics/saddle.py
    assert day.saddle_seated_s == 1800 + 1800 + 3600 - 5
    assert day.saddle_hip_gt90_s == 1800
    assert [b.duration_s for b in saddle_bouts(tl)] == [1800, 1800, 3600]


def test_no_riding_no_saddle_bouts() -> None:
    r = review(timeline([[("09:00", "10:00", S, 85.0)]]), tz=UTC)
    assert not r.any_riding
    assert r.saddle_bouts == ()
