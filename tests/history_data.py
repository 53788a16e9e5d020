"""A simulated week of one person's history, and comparisons, for the history tests.

:func:`simulated_week` builds, with numpy and a fixed seed, what the live service
would have written in a week: a per-second timeline (nights lying, sitting bouts
with hip flexion around 90°, breaks, a ride, non-wear with unknown hip, a few
seconds without data), the alerts and exposure events of it (two alerts of one
kind in the same second among them), sensor gaps, the finished bouts, the daily
totals written several times a day (the last one is the day's final value), and
morning pain scores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analytics.live import DATA_NONE, DATA_OFF, DATA_OK
from analytics.records import Posture
from collector.sinks.history.model import (
    BoutRecord,
    DailyRecord,
    EventRecord,
    HistoryRecord,
    PainReport,
    TimelineChunk,
)

DAY_S = 86_400
WEEK0 = 1_763_942_400
"""Monday 2025-11-24 00:00 UTC (in the past: VictoriaMetrics refuses future samples)."""


@dataclass
class Week:
    timeline: TimelineChunk
    events: list[EventRecord]
    bouts: list[BoutRecord]
    daily_updates: list[DailyRecord]
    """Every version written, in order (the day's totals grow)."""
    pain: list[PainReport]

    @property
    def daily(self) -> list[DailyRecord]:
        """The last version of each day."""
        last: dict[str, DailyRecord] = {}
        for d in self.daily_updates:
            last[d.date] = d
        return sorted(last.values(), key=lambda d: d.t_s)

    @property
    def t0_s(self) -> int:
        return self.timeline.t0_s

    @property
    def t1_s(self) -> int:
        return self.timeline.t0_s + self.timeline.n

    def chunks(self, size_s: int) -> list[TimelineChunk]:
        return split_chunks(self.timeline, size_s)

    def records(self, chunk_s: int = 3600) -> list[HistoryRecord]:
        """Everything, in the order the live service would emit it (by time)."""
        timed: list[tuple[float, int, HistoryRecord]] = []
        for c in self.chunks(chunk_s):
            timed.append((c.t0_s + c.n, 0, c))
        timed += [(e.t_s, 1, e) for e in self.events]
        timed += [(b.end_s, 2, b) for b in self.bouts]
        timed += [(d.t_s + 1 + i, 3, d) for i, d in enumerate(self.daily_updates)]
        timed += [(p.t_s, 4, p) for p in self.pain]
        timed.sort(key=lambda x: (x[0], x[1]))
        return [r for _, _, r in timed]

    def count(self) -> int:
        """Points (one per second, one per other record) of :meth:`records`."""
        return (
            self.timeline.n
            + len(self.events)
            + len(self.bouts)
            + len(self.daily_updates)
            + len(self.pain)
        )


def split_chunks(chunk: TimelineChunk, size_s: int) -> list[TimelineChunk]:
    out = []
    for a in range(0, chunk.n, size_s):
        b = min(chunk.n, a + size_s)
        out.append(
            TimelineChunk(
                chunk.user,
                chunk.t0_s + a,
                chunk.posture[a:b].copy(),
                chunk.hip_flexion_deg[a:b].copy(),
                chunk.data[a:b].copy(),
                device=chunk.device,
                sensor_kind=chunk.sensor_kind,
            )
        )
    return out


def simulated_week(user: str = "p-0042", t0_s: int = WEEK0, days: int = 7, seed: int = 7) -> Week:
    rng = np.random.default_rng(seed)
    n = days * DAY_S
    posture = np.full(n, Posture.LYING, dtype=np.int8)
    hip = np.full(n, 10.0)
    data = np.full(n, DATA_OK, dtype=np.int8)
    events: list[EventRecord] = []
    bouts: list[BoutRecord] = []
    daily: list[DailyRecord] = []
    pain: list[PainReport] = []
    for day in range(days):
        base = day * DAY_S
        i = base + 7 * 3600
        end = base + 22 * 3600
        compression = 0.0
        over30 = 0
        while i < end:
            sit = int(rng.integers(600, 5400))
            stand = int(rng.integers(30, 600))
            a, b = i, min(end, i + sit)
            posture[a:b] = Posture.SITTING
            hip[a:b] = 85.0 + 8.0 * np.sin(np.arange(b - a) / 300.0) + rng.normal(0, 1.5, b - a)
            start_s = float(t0_s + a)
            minutes = (b - a) / 60.0
            events.append(
                EventRecord(user, start_s, "exposure", "bout_started", f"bout_started-{a}")
            )
            if minutes >= 30:
                over30 += 1
                t_alert = start_s + 1800.0
                events.append(
                    EventRecord(
                        user,
                        t_alert,
                        "alert",
                        "stand_prompt",
                        f"stand_prompt-{int(start_s * 1000)}-1",
                        value=30.0,
                        message="You have been sitting for 30 min: stand for 2–5 min",
                        payload={"level": 1, "bout_minutes": 30.0, "status": None},
                    )
                )
                # a second alert of the same kind in the same second (other id)
                events.append(
                    EventRecord(
                        user,
                        t_alert + 0.25,
                        "alert",
                        "stand_prompt",
                        f"stand_prompt-{int(start_s * 1000)}-2",
                        value=30.0,
                        message='quote " and \\ backslash, comma',
                        payload={"level": 2, "nested": {"a": [1, 2.5, "x"]}},
                    )
                )
            compression += b - a
            hip_gt90 = float(np.sum(hip[a:b] > 90.0))
            bouts.append(
                BoutRecord(
                    user,
                    start_s,
                    float(t0_s + b),
                    float(b - a),
                    int(rng.integers(0, 4)),
                    hip_gt90,
                    round(float(np.sum(np.clip(hip[a:b] - 90.0, 0, None))) / 60.0, 6),
                    "break",
                    None if rng.random() < 0.8 else 12.0,
                )
            )
            c, d = b, min(end, b + stand)
            posture[c:d] = Posture.UPRIGHT
            hip[c:d] = 5.0 + rng.normal(0, 2, d - c)
            events.append(
                EventRecord(user, float(t0_s + c), "exposure", "break_taken", f"break-{c}")
            )
            daily.append(
                DailyRecord(
                    user,
                    _date(t0_s + base),
                    float(t0_s + base),
                    compression,
                    float(np.sum(hip[base + 7 * 3600 : d] > 90.0)),
                    over30,
                    0.0,
                    over30,
                    max(0, over30 - 1),
                    1,
                    0,
                    0,
                    0,
                )
            )
            i = d
        # a ride in the evening of day 2, a sensor gap on day 3, non-wear every evening
        if day == 2:
            a = base + 18 * 3600
            posture[a : a + 3600] = Posture.RIDING_SEATED
            posture[a + 1200 : a + 1260] = Posture.RIDING_STANDING
            hip[a : a + 3600] = 95.0 + rng.normal(0, 3, 3600)
        if day == 3:
            a = base + 11 * 3600
            data[a : a + 600] = DATA_NONE
            posture[a : a + 600] = Posture.NONWEAR
            hip[a : a + 600] = np.nan
            events.append(
                EventRecord(user, float(t0_s + a + 600), "gap", "gap_ended", f"gap-{a}", 600.0)
            )
        a = base + 22 * 3600
        data[a : a + 1800] = DATA_OFF
        posture[a : a + 1800] = Posture.NONWEAR
        hip[a : a + 1800] = np.nan
        pain.append(
            PainReport(
                user, float(t0_s + base + 7 * 3600 + 900), int(rng.integers(0, 6)), "morning"
            )
        )
        pain.append(
            PainReport(user, float(t0_s + base + 21 * 3600), 3, "evening", note="after ride")
        )
    timeline = TimelineChunk(user, t0_s, posture, hip, data, device="thigh", sensor_kind="sim")
    return Week(timeline, events, bouts, daily, pain)


def _date(t_s: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t_s, dt.UTC).date().isoformat()


# --- comparisons ---------------------------------------------------------------------


def assert_timeline(got: TimelineChunk, want: TimelineChunk, *, float32: bool = False) -> None:
    """Same seconds, postures, data states; hip equal (NaN where NaN), exactly or as
    float32 (SQLite keeps float32)."""
    assert got.user == want.user
    assert got.t0_s == want.t0_s, (got.t0_s, want.t0_s)
    assert got.n == want.n, (got.n, want.n)
    bad = np.flatnonzero(got.posture != want.posture)
    assert bad.size == 0, f"posture differs at {bad.size} seconds, first {bad[:5]}"
    bad = np.flatnonzero(got.data != want.data)
    assert bad.size == 0, f"data differs at {bad.size} seconds, first {bad[:5]}"
    expect = want.hip_flexion_deg
    if float32:
        expect = expect.astype(np.float32).astype(np.float64)
    assert np.array_equal(np.isnan(got.hip_flexion_deg), np.isnan(expect))
    ok = np.isnan(expect) | (got.hip_flexion_deg == expect)
    assert ok.all(), f"hip differs at {np.flatnonzero(~ok)[:5]}"


def whole_seconds(t_s: float) -> float:
    return float(math.floor(t_s))
