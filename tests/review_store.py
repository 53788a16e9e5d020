"""An in-memory HistoryStore (a fake behind our own protocol) and a simulated history
of one person, for the report tests and bench/speed_report.py.

The simulated history is built day by day from a plan whose answers are known:

* ``desk`` days sit in bouts of 20–35 min with 5–10 min breaks (well under 6 h of
  compression); ``heavy`` days sit in bouts of 60–120 min with 1–2 min micro-breaks
  (over 8 h); ``rest`` days sit little; ``ride`` days add a 90-minute ride (seated,
  with short stands on the pedals, part of it at hip flexion above 90°); a
  ``low_wear`` day is worn 4 hours only; a ``gap`` day loses the sensor for 30 min
  in the middle of a bout.
* Hip flexion while sitting is 84°, and 96° in the last 10 minutes of every bout of
  30 min or more and on the evening sofa.
* Every morning at 07:15 a pain score: 5 after a heavy day, 2 otherwise (1 after a
  rest or ride day), so the mornings above baseline are exactly those after heavy
  days.
* Alerts follow the prompt schedule (30, 40, then every 10 min of a compression
  bout), with a break_complete when a prompted bout ends by a break, and a snooze on
  heavy days. Daily records (the live service's counters) exist for all but the last
  ``days_without_daily`` days, so the report counts those from the alerts.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from analytics.bouts import compression
from analytics.compression import BoutEnd, ExposureParams
from analytics.live import DATA_OFF, DATA_OK
from analytics.records import Posture, Timeline
from collector.sinks.history.model import (
    BoutRecord,
    DailyRecord,
    EventRecord,
    HistoryRecord,
    PainReport,
    RideRecord,
    TimelineChunk,
    WriteResult,
    empty_timeline,
)

DayKind = Literal["desk", "heavy", "rest", "ride", "low_wear", "gap"]

SIT_HIP = 84.0
DEEP_HIP = 96.0


class MemoryStore:
    """Everything in lists; reads follow the HistoryStore contract."""

    name = "memory"

    def __init__(self) -> None:
        self.chunks: dict[str, list[TimelineChunk]] = {}
        self.events: list[EventRecord] = []
        self.bouts: list[BoutRecord] = []
        self.daily: dict[tuple[str, str], DailyRecord] = {}
        self.pain: dict[tuple[str, float], PainReport] = {}
        self.rides: dict[tuple[str, int], RideRecord] = {}
        self.closed = False
        self.timeline_reads = 0

    def write(self, records: Sequence[HistoryRecord]) -> WriteResult:
        for r in records:
            if isinstance(r, TimelineChunk):
                self.chunks.setdefault(r.user, []).append(r)
            elif isinstance(r, EventRecord):
                self.events.append(r)
            elif isinstance(r, BoutRecord):
                self.bouts.append(r)
            elif isinstance(r, DailyRecord):
                self.daily[(r.user, r.date)] = r
            elif isinstance(r, RideRecord):
                self.rides[(r.user, math.floor(r.start_s))] = r
            else:
                self.pain[(r.user, r.t_s)] = r
        return WriteResult(written=len(records))

    def read_timeline(self, user: str, from_s: float, to_s: float) -> TimelineChunk:
        self.timeline_reads += 1
        t0 = math.floor(from_s)
        n = max(0, math.ceil(to_s) - t0)
        out = empty_timeline(user, t0, n)
        for c in self.chunks.get(user, []):
            lo, hi = max(t0, c.t0_s), min(t0 + n, c.t0_s + c.n)
            if hi <= lo:
                continue
            a, b = lo - c.t0_s, hi - c.t0_s
            out.posture[lo - t0 : hi - t0] = c.posture[a:b]
            out.hip_flexion_deg[lo - t0 : hi - t0] = c.hip_flexion_deg[a:b]
            out.data[lo - t0 : hi - t0] = c.data[a:b]
        return out

    def read_events(
        self, user: str, from_s: float, to_s: float, source: str | None = None
    ) -> list[EventRecord]:
        return sorted(
            (
                e
                for e in self.events
                if e.user == user
                and from_s <= e.t_s < to_s
                and (source is None or e.source == source)
            ),
            key=lambda e: e.t_s,
        )

    def read_bouts(self, user: str, from_s: float, to_s: float) -> list[BoutRecord]:
        return [b for b in self.bouts if b.user == user and from_s <= b.start_s < to_s]

    def read_daily(self, user: str, from_s: float, to_s: float) -> list[DailyRecord]:
        return sorted(
            (d for (u, _), d in self.daily.items() if u == user and from_s <= d.t_s < to_s),
            key=lambda d: d.t_s,
        )

    def read_pain(self, user: str, from_s: float, to_s: float) -> list[PainReport]:
        return sorted(
            (p for (u, _), p in self.pain.items() if u == user and from_s <= p.t_s < to_s),
            key=lambda p: p.t_s,
        )

    def read_rides(self, user: str, from_s: float, to_s: float) -> list[RideRecord]:
        return sorted(
            (r for (u, _), r in self.rides.items() if u == user and from_s <= r.start_s < to_s),
            key=lambda r: r.start_s,
        )

    def users(self) -> list[str]:
        found = {*self.chunks, *(e.user for e in self.events), *(u for u, _ in self.pain)}
        return sorted(found)

    def close(self) -> None:
        self.closed = True


# --------------------------------------------------------------------------- simulation


@dataclass
class SimDay:
    date: dt.date
    kind: DayKind
    posture: np.ndarray
    hip: np.ndarray

    @property
    def compression_s(self) -> float:
        seated = (self.posture == Posture.SITTING) | (self.posture == Posture.RIDING_SEATED)
        return float(np.count_nonzero(seated))

    @property
    def wear_s(self) -> float:
        return float(np.count_nonzero(self.posture != Posture.NONWEAR))


@dataclass
class SimHistory:
    user: str
    tz: str
    first_day: dt.date
    days: list[SimDay]
    records: list[HistoryRecord] = field(default_factory=list)

    @property
    def last_day(self) -> dt.date:
        return self.days[-1].date

    def kind_of(self, day: dt.date) -> DayKind | None:
        return next((d.kind for d in self.days if d.date == day), None)

    def pain_reports(self) -> list[PainReport]:
        return [r for r in self.records if isinstance(r, PainReport)]


def default_plan(n_days: int) -> list[DayKind]:
    """Monday-first weeks: heavy Tuesdays and Thursdays in week 2, a ride on
    Saturdays, rest on Sundays, one low-wear Wednesday in week 1, a gap on the first
    Friday; from week 3 on, heavy days every Monday and Thursday (load goes up)."""
    plan: list[DayKind] = []
    for i in range(n_days):
        week, wd = divmod(i, 7)
        kind: DayKind = "desk"
        if wd == 5:
            kind = "ride"
        elif wd == 6:
            kind = "rest"
        elif week == 0 and wd == 2:
            kind = "low_wear"
        elif week == 0 and wd == 4:
            kind = "gap"
        elif wd in ((1, 3) if week == 1 else (0, 1, 3) if week >= 2 else ()):
            kind = "heavy"
        plan.append(kind)
    return plan


def _paint(posture: np.ndarray, hip: np.ndarray, a: int, b: int, code: int, deg: float) -> None:
    posture[a:b] = code
    hip[a:b] = deg


def _sit_bout(posture: np.ndarray, hip: np.ndarray, a: int, length: int) -> None:
    _paint(posture, hip, a, a + length, Posture.SITTING, SIT_HIP)
    if length >= 1800:
        hip[a + length - 600 : a + length] = DEEP_HIP


def _day(kind: DayKind, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One day of ``n`` seconds from local midnight (``n`` is 86,400 except on DST
    change days: the plan is cut or padded with lying)."""
    m = 86_400
    posture = np.full(m, Posture.LYING, dtype=np.int8)
    hip = np.full(m, 10.0)
    h = 3600
    _paint(posture, hip, 7 * h, 22 * h + 1800, Posture.UPRIGHT, 5.0)

    def work(start: int, end: int, sit: tuple[int, int], stand: tuple[int, int]) -> None:
        t = start
        while t < end:
            length = min(int(rng.integers(sit[0], sit[1] + 1)) * 60, end - t)
            _sit_bout(posture, hip, t, length)
            t += length + int(rng.integers(stand[0], stand[1] + 1)) * 60

    if kind in ("desk", "gap"):
        work(9 * h, 12 * h + 1800, (20, 35), (5, 10))
        work(13 * h + 1800, 16 * h, (20, 35), (5, 10))
        _sit_bout(posture, hip, 20 * h, 40 * 60)
        if kind == "gap":
            # a 31-min bout whose last 30 min the sensor lost: the bout ends at the gap
            _sit_bout(posture, hip, 17 * h, 3600)
            _paint(posture, hip, 17 * h + 60, 17 * h + 60 + 1800, Posture.NONWEAR, np.nan)
    elif kind == "heavy":
        work(8 * h, 18 * h, (60, 120), (1, 1))
        _sit_bout(posture, hip, 19 * h, 2 * h)
        hip[19 * h : 21 * h] = DEEP_HIP  # the sofa
    elif kind == "rest":
        _sit_bout(posture, hip, 12 * h, 45 * 60)
        _sit_bout(posture, hip, 19 * h, 60 * 60)
    elif kind == "ride":
        a = 10 * h
        _paint(posture, hip, a, a + 90 * 60, Posture.RIDING_SEATED, 80.0)
        hip[a + 30 * 60 : a + 50 * 60] = 95.0  # on the drops
        for k in range(1, 9):  # on the pedals every 10 min: 6 s (stays in the bout) or 30 s
            t = a + k * 600
            _paint(posture, hip, t, t + (30 if k % 3 == 0 else 6), Posture.RIDING_STANDING, 60.0)
        _sit_bout(posture, hip, 19 * h, 45 * 60)
    elif kind == "low_wear":
        _paint(posture, hip, 0, m, Posture.NONWEAR, np.nan)
        _paint(posture, hip, 9 * h, 13 * h, Posture.UPRIGHT, 5.0)
        work(9 * h, 13 * h, (20, 35), (5, 10))
    if n <= m:
        return posture[:n].copy(), hip[:n].copy()
    pad = n - m
    return (
        np.concatenate((posture, np.full(pad, Posture.LYING, dtype=np.int8))),
        np.concatenate((hip, np.full(pad, 10.0))),
    )


def _alerts(
    user: str, tl: Timeline, p: ExposureParams, heavy_days: set[dt.date], zone: ZoneInfo
) -> list[EventRecord]:
    out: list[EventRecord] = []
    for b in compression(tl, p).bouts:
        if b.duration_s < 1800:
            continue
        prompts = [b.start_s + 1800.0]
        t = b.start_s + 2400.0
        while t <= b.end_s:
            prompts.append(t)
            t += 600.0
        for level, at in enumerate(prompts, start=1):
            kind = "prompt" if level == 1 else ("escalation" if level == 2 else "repeat")
            payload: dict[str, Any] = {"kind": kind, "t_s": at, "bout_start_t_s": b.start_s}
            alert_id = f"{kind}-{int(at)}-{level}"
            out.append(EventRecord(user, at, "alert", kind, alert_id, payload=payload))
        if b.ended_by == BoutEnd.BREAK:
            done = b.end_s + p.break_s
            out.append(
                EventRecord(user, done, "alert", "break_complete", f"bc-{int(done)}", payload={})
            )
        day = dt.datetime.fromtimestamp(b.start_s, zone).date()
        if day in heavy_days and len(prompts) >= 2:
            at = prompts[1] + 5.0
            out.append(EventRecord(user, at, "alert", "snoozed", f"sn-{int(at)}", payload={}))
            heavy_days.discard(day)  # one snooze a heavy day
    return out


def simulate_history(
    user: str = "p-0042",
    first_day: dt.date = dt.date(2026, 3, 2),
    n_days: int = 21,
    tz: str = "Europe/London",
    *,
    seed: int = 7,
    plan: Sequence[DayKind] | None = None,
    days_without_daily: int = 3,
    params: ExposureParams | None = None,
) -> SimHistory:
    """``n_days`` local days from ``first_day`` (see the module docstring)."""
    p = params or ExposureParams()
    zone = ZoneInfo(tz)
    kinds = list(plan) if plan is not None else default_plan(n_days)
    rng = np.random.default_rng(seed)
    days: list[SimDay] = []
    records: list[HistoryRecord] = []
    starts: list[int] = []
    for i, kind in enumerate(kinds):
        day = first_day + dt.timedelta(days=i)
        lo = int(dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp())
        nxt = day + dt.timedelta(days=1)
        hi = int(dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone).timestamp())
        posture, hip = _day(kind, hi - lo, rng)
        hip[posture == Posture.NONWEAR] = np.nan
        data = np.where(posture == Posture.NONWEAR, DATA_OFF, DATA_OK).astype(np.int8)
        records.append(TimelineChunk(user, lo, posture, hip, data, "thigh", "sim"))
        days.append(SimDay(day, kind, posture, hip))
        starts.append(lo)
    tl = Timeline(
        t0_s=starts[0],
        posture=np.concatenate([d.posture for d in days]),
        hip_flexion_deg=np.concatenate([d.hip for d in days]),
    )
    heavy = {d.date for d in days if d.kind == "heavy"}
    alerts = _alerts(user, tl, p, set(heavy), zone)
    records.extend(alerts)
    # daily counters: prompts of the day, a completed prompted bout is taken, a snooze
    by_day: dict[dt.date, list[int]] = {}
    for e in alerts:
        d = dt.datetime.fromtimestamp(e.t_s, zone).date()
        c = by_day.setdefault(d, [0, 0, 0, 0, 0, 0])
        if e.kind in ("prompt", "escalation", "repeat"):
            c[0] += 1
        elif e.kind == "break_complete":
            c[1] += 1
        elif e.kind == "snoozed":
            c[4] += 1
    for i, d in enumerate(days[: max(0, len(days) - days_without_daily)]):
        c = by_day.get(d.date, [0] * 6)
        c[5] = max(0, c[0] - c[1])
        records.append(
            DailyRecord(
                user=user,
                date=d.date.isoformat(),
                t_s=float(starts[i]),
                compression_s=d.compression_s,
                hip_gt90_s=float(np.count_nonzero(d.hip > 90.0)),
                bouts_over_30=0,
                saddle_s=float(np.count_nonzero(d.posture == Posture.RIDING_SEATED)),
                prompted=c[0],
                taken=c[1],
                natural=3,
                late=0,
                snoozed=c[4],
                ignored=c[5],
            )
        )
    # a pain score every morning, the first day's and the one after the last day too
    for i in range(len(days) + 1):
        day = first_day + dt.timedelta(days=i)
        prev = kinds[i - 1] if i > 0 else "desk"
        score = 5 if prev == "heavy" else (1 if prev in ("rest", "ride") else 2)
        at = dt.datetime(day.year, day.month, day.day, 7, 15, tzinfo=zone).timestamp()
        records.append(PainReport(user, at, score, "morning"))
        if i % 3 == 0:  # evening reports never enter the 24-hour response
            ev = dt.datetime(day.year, day.month, day.day, 21, 0, tzinfo=zone).timestamp()
            records.append(PainReport(user, ev, 8, "evening"))
    return SimHistory(user, tz, first_day, days, records)


def sqlite_history(history: SimHistory, db: Path) -> Path:
    """``history`` written to a SQLite history file ``db`` (closed again): what
    ``sitload report --history sqlite://DB`` reads."""
    from collector.sinks.history.sqlite_store import SqliteStore

    store = SqliteStore(db)
    try:
        store.write(history.records)
    finally:
        store.close()
    return db


def filled_store(history: SimHistory, store: MemoryStore | None = None) -> MemoryStore:
    s = store or MemoryStore()
    s.write(history.records)
    return s
