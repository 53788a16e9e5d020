"""A simulated clinic for the overview tests: many patients, each a few days of
tests/review_store.py's simulated history (desk, heavy, rest, ride, low-wear and gap
days in varying plans, a pain score every morning), some across a week boundary so
their trend is known, with last days spread over a fortnight.

``awake_only`` keeps each day's timeline from 08:00 to 18:10 only, and of that the
seconds from the first to the last worn one (10 h 10 min of wear: still a valid day;
the night and the non-wear hours of a low-wear day left unwritten) so a real
InfluxDB ingests the clinic quickly. One more user has morning pain scores only: no
daily totals or bouts to place a report, so the overview shows the reason instead of
figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np

from analytics.records import Posture
from collector.sinks.history.model import HistoryRecord, PainReport, TimelineChunk
from tests.review_store import DayKind, simulate_history

PLANS: tuple[tuple[DayKind, ...], ...] = (
    ("desk", "heavy"),
    ("rest", "desk"),
    ("heavy", "heavy"),
    ("ride", "desk"),
    ("low_wear", "heavy"),
    ("desk", "gap"),
    ("heavy", "low_wear", "rest"),
)
FIRST_SUNDAY = dt.date(2026, 3, 1)
"""Every patient starts on a Sunday or a Saturday of the fortnight from here."""
TZ = "Europe/London"
PAIN_ONLY = "p-pain-only"
AWAKE_FROM_S = 8 * 3600
AWAKE_TO_S = 18 * 3600 + 600


def user_of(i: int) -> str:
    return f"p-{i:03d}"


def _awake(chunk: TimelineChunk) -> TimelineChunk:
    a, b = AWAKE_FROM_S, min(AWAKE_TO_S, chunk.n)
    worn = np.flatnonzero(chunk.posture[a:b] != Posture.NONWEAR)
    a, b = a + int(worn[0]), a + int(worn[-1]) + 1
    return replace(
        chunk,
        t0_s=chunk.t0_s + a,
        posture=chunk.posture[a:b].copy(),
        hip_flexion_deg=chunk.hip_flexion_deg[a:b].copy(),
        data=chunk.data[a:b].copy(),
    )


def clinic_records(n_patients: int, *, awake_only: bool = False) -> list[HistoryRecord]:
    """The records of ``n_patients`` simulated patients and the pain-only user."""
    out: list[HistoryRecord] = []
    for i in range(n_patients):
        plan = PLANS[i % len(PLANS)]
        first = FIRST_SUNDAY + dt.timedelta(days=7 * (i % 2) - (i // 2) % 2)
        h = simulate_history(
            user_of(i), first, len(plan), TZ, seed=i, plan=plan, days_without_daily=i % 2
        )
        for r in h.records:
            out.append(_awake(r) if awake_only and isinstance(r, TimelineChunk) else r)
    morning = dt.datetime(2026, 3, 3, 7, 30, tzinfo=dt.UTC).timestamp()
    out.append(PainReport(PAIN_ONLY, morning, 3, "morning"))
    return out


def timeline_points(records: list[HistoryRecord]) -> int:
    return sum(r.n for r in records if isinstance(r, TimelineChunk))
