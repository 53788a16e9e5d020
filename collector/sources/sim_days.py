"""Simulated days on the calendar: a patient's fortnight for demos and tests.

``simulate_days(days, start, zone, seed)`` is :func:`~.simulator.simulate` with a
schedule anchored to local midnights of ``zone`` (so days follow the clock through
a daylight-saving change):

* **nights in bed**: lying (on the back and either side, turning every 15 min to
  2 h) from bedtime (weekdays 22:30–23:30, weekends 23:00–23:50) to waking
  (weekdays 06:15–07:15, weekends 07:30–09:00);
* **working days** (Monday–Friday): breakfast, a walk to work, desk work in two
  blocks around a lunch break until about 17:00 (the simulator's desk rhythm:
  sitting periods of 10–90 min with micro-breaks and real breaks), the walk home,
  the evening partly on the sofa;
* **weekends**: a longer breakfast, errands (walking and standing), lunch, then an
  afternoon walk or a sofa afternoon, and the evening;
* **non-wear days**: each day after the first is, with probability
  ``nonwear_day_p`` (default 1 in 12), a day the sensor is not worn at all;
* short sensor gaps (5–300 s) as in every simulation.

The ground truth (``Simulated.truth``) is per second as always; :class:`DayKind`
per local date says which plan each day followed.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np

from analytics.local_days import local_midnight_s as midnight_s
from analytics.records import Posture
from collector.plural import counted
from collector.sources.sim_plan import PERIOD_FLOOR_S, Plan, Seg
from collector.sources.simulator import Simulated, simulate

DayKind = Literal["work", "weekend", "nonwear"]
KINDS: tuple[DayKind, ...] = ("work", "weekend", "nonwear")
NONWEAR_DAY_P = 1.0 / 12.0
H = 3600.0


@dataclass(frozen=True, slots=True)
class SimDays:
    simulated: Simulated
    start: dt.date
    zone: str
    kinds: tuple[tuple[str, DayKind], ...]
    """(local date ISO, kind) of every simulated day."""

    def summary(self) -> str:
        count = {
            k: sum(1 for _, kind in self.kinds if kind == k) for k in ("work", "weekend", "nonwear")
        }
        last = self.kinds[-1][0]
        return (
            f"{counted(len(self.kinds), 'day')} {self.start.isoformat()} to {last} ({self.zone}): "
            f"{counted(count['work'], 'working day')}, {counted(count['weekend'], 'weekend day')}, "
            f"{count['nonwear']} without the sensor"
        )


def local_midnight_s(day: dt.date, zone: ZoneInfo) -> int:
    return int(midnight_s(day, zone))


def day_kinds(
    start: dt.date, days: int, rng: np.random.Generator, nonwear_p: float
) -> list[DayKind]:
    out: list[DayKind] = []
    for i in range(days):
        d = start + dt.timedelta(days=i)
        if i > 0 and rng.random() < nonwear_p:
            out.append("nonwear")
        else:
            out.append("weekend" if d.weekday() >= 5 else "work")
    return out


class _Day:
    """Builds one local day of ``length_s`` seconds on ``plan`` (which has run up to
    the day's midnight)."""

    def __init__(self, plan: Plan, date: dt.date, zone: ZoneInfo, length_s: int) -> None:
        self.p = plan
        self.t0 = plan.total_s
        self.length_s = length_s
        self.date = date
        self.zone = zone
        self.midnight_s = local_midnight_s(date, zone)

    def at(self, hour: float) -> int:
        """Schedule second of the local clock time ``hour`` (hours after midnight) of
        this day (a daylight-saving change inside the day is on the clock)."""
        naive = dt.datetime.combine(self.date, dt.time(0)) + dt.timedelta(hours=hour)
        t = naive.replace(tzinfo=self.zone).timestamp()
        return self.t0 + min(self.length_s, round(t - self.midnight_s))

    def now_h(self) -> float:
        """Local clock hour now (approximately: for comparisons within the day)."""
        elapsed = self.p.total_s - self.t0
        t = dt.datetime.fromtimestamp(self.midnight_s + elapsed, self.zone)
        return (t - dt.datetime.combine(self.date, dt.time(0), self.zone)).total_seconds() / H

    def until(self, hour: float) -> int:
        """Seconds from now to ``hour`` local (0 when past it)."""
        return max(0, self.at(hour) - self.p.total_s)

    def lie_until(self, end_s: int) -> None:
        side = 0
        while self.p.total_s < end_s:
            left = end_s - self.p.total_s
            d = min(left, self.p.secs(15 * 60, 120 * 60))
            if left - d < PERIOD_FLOOR_S:
                d = left
            if d < PERIOD_FLOOR_S:  # a sliver left: lengthen the last segment
                self.p.segs[-1].dur_s += d
                self.p.total_s += d
                return
            self.p.lie(d, side)
            side = int(self.p.rng.choice([s for s in (-1, 0, 1) if s != side]))

    def sofa_until(self, hour: float) -> None:
        left = self.until(hour)
        if left >= 600:
            self.p.sitting_period(left, sofa=True)

    def morning(self, wake_h: float, breakfast: tuple[float, float]) -> None:
        p = self.p
        self.lie_until(self.at(wake_h))
        p.walk(p.secs(60, 180))
        p.stand(p.secs(300, 900))
        p.sit(p.secs(*breakfast), p.u(85, 95), p.u(5, 20), p.u(-5, 5), 0.3)
        p.stand(p.secs(120, 600))

    def evening(self, bed_h: float) -> None:
        p = self.p
        if self.until(bed_h) > 2 * H:
            p.stand(p.secs(900, 2400))  # cooking
            p.sit(p.secs(1200, 2400), p.u(85, 95), p.u(5, 20), p.u(-5, 5), 0.3)  # dinner
            p.stand(p.secs(600, 1800))  # clearing up
            if p.rng.random() < 0.5:
                p.walk(p.secs(1200, 3600))  # an evening walk
            p.walk(p.secs(60, 300))
        self.sofa_until(bed_h - 0.25)
        if self.until(23.9) > 600:
            p.walk(p.secs(60, 180))
            p.stand(p.secs(120, 400))
        self.lie_until(self.t0 + self.length_s)

    def work(self) -> None:
        p = self.p
        self.morning(p.u(6.25, 7.25), (600, 1500))
        p.walk(p.secs(600, 1200))  # to work
        p.stand(p.secs(20, 90))
        p.work_block(max(1800, self.until(p.u(12.0, 12.75))), with_nonwear=False)
        p.walk(p.secs(300, 900))  # lunch
        p.stand(p.secs(60, 300))
        p.sit(p.secs(900, 1800), p.u(85, 95), p.u(10, 25), p.u(-5, 5), 0.2)
        p.walk(p.secs(300, 900))
        p.work_block(max(1800, self.until(p.u(16.75, 17.5))), with_nonwear=False)
        p.walk(p.secs(600, 1500))  # home
        p.stand(p.secs(300, 1200))
        self.sofa_until(p.u(18.25, 18.75))
        self.evening(p.u(22.5, 23.5))

    def weekend(self) -> None:
        p = self.p
        self.morning(p.u(7.5, 9.0), (1200, 2700))
        while self.now_h() < 12.5:  # errands
            p.walk(p.secs(300, 1500))
            p.stand(p.secs(120, 900))
        p.sit(p.secs(1200, 2700), p.u(85, 95), p.u(5, 20), p.u(-5, 5), 0.3)  # lunch
        if p.rng.random() < 0.5:
            p.walk(p.secs(3600, 7200))  # an afternoon walk
            p.stand(p.secs(300, 900))
        else:
            self.sofa_until(p.u(15.0, 16.0))
            p.walk(p.secs(600, 1800))
        self.sofa_until(p.u(17.5, 18.0))
        self.evening(p.u(23.0, 23.8))

    def nonwear(self) -> None:
        self.p.off(self.length_s)


def calendar_schedule(
    dates: list[dt.date], kinds: list[DayKind], zone: ZoneInfo
) -> Callable[[np.random.Generator, int], list[Seg]]:
    """The simulator schedule of local days ``dates`` of ``kinds`` in ``zone``."""
    bounds = [local_midnight_s(d, zone) for d in [*dates, dates[-1] + dt.timedelta(days=1)]]
    lengths_s = [b - a for a, b in itertools.pairwise(bounds)]

    def build(rng: np.random.Generator, n_sec: int) -> list[Seg]:
        plan = Plan(rng)
        for date, kind, length in zip(dates, kinds, lengths_s, strict=True):
            day = _Day(plan, date, zone, length)
            getattr(day, kind)()
            end = day.t0 + length
            if plan.total_s != end:
                raise AssertionError(f"a {kind} day built {plan.total_s - day.t0} s of {length}")
        return _truncate(plan.segs, n_sec)

    return build


def _truncate(segs: list[Seg], n_sec: int) -> list[Seg]:
    out: list[Seg] = []
    total = 0
    for seg in segs:
        if total >= n_sec:
            break
        d = min(seg.dur_s, n_sec - total)
        out.append(replace(seg, dur_s=d))
        total += d
    if total < n_sec:
        out[-1].dur_s += n_sec - total
    if len(out) > 1 and out[-1].dur_s < PERIOD_FLOOR_S:
        last = out.pop()
        out[-1].dur_s += last.dur_s
    return out


def simulate_days(
    days: int,
    start: dt.date,
    zone: str,
    seed: int,
    *,
    fs_hz: float = 10.0,
    trunk: bool = True,
    nonwear_day_p: float = NONWEAR_DAY_P,
) -> SimDays:
    """``days`` local days from midnight of ``start`` in ``zone`` (see the module
    docstring), reproducibly from ``seed``."""
    if not 1 <= days <= 62:
        raise ValueError("days must be 1 to 62")
    z = ZoneInfo(zone)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    bounds = [local_midnight_s(start, z), local_midnight_s(dates[-1] + dt.timedelta(days=1), z)]
    kinds_rng = np.random.default_rng(np.random.SeedSequence([seed, 13]))
    kinds = day_kinds(start, days, kinds_rng, nonwear_day_p)
    hours = (bounds[-1] - bounds[0]) / H
    sim = simulate(
        "desk",
        hours,
        seed,
        fs_hz=fs_hz,
        start_t_s=float(bounds[0]),
        trunk=trunk,
        schedule=calendar_schedule(dates, kinds, z),
    )
    return SimDays(
        sim,
        start,
        zone,
        tuple((d.isoformat(), k) for d, k in zip(dates, kinds, strict=True)),
    )


PAIN_HIGH_SITTING_H = 11.0
"""Mornings after a day with more sitting than this score higher (the simulation's
own rule, so a demo report has something to find)."""


def morning_pain(sd: SimDays, seed: int, share: float = 0.7) -> list[tuple[str, int]]:
    """A few morning pain scores (local ``YYYY-MM-DD HH:MM``, score) that follow the
    previous day's sitting: baseline 2, +3 after more than
    :data:`PAIN_HIGH_SITTING_H` h, ±1 noise; about ``share`` of the mornings after a
    worn day have one."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 29]))
    z = ZoneInfo(sd.zone)
    tr = sd.simulated.truth
    out: list[tuple[str, int]] = []
    for date_text, kind in sd.kinds:
        day = dt.date.fromisoformat(date_text)
        lo = local_midnight_s(day, z) - tr.t0_s
        hi = local_midnight_s(day + dt.timedelta(days=1), z) - tr.t0_s
        if kind == "nonwear" or rng.random() > share:
            continue
        p = tr.posture[lo:hi]
        seated = (p == Posture.SITTING) | (p == Posture.RIDING_SEATED)
        seated_h = float(np.count_nonzero(seated)) / H
        score = 2 + (3 if seated_h > PAIN_HIGH_SITTING_H else 0) + int(rng.integers(-1, 2))
        minute = int(rng.integers(0, 60))
        morning = day + dt.timedelta(days=1)
        out.append((f"{morning.isoformat()} 07:{minute:02d}", int(np.clip(score, 0, 10))))
    return out


def write_pain_diary(rows: list[tuple[str, int]], path: Path) -> None:
    """The diary CSV ``sitload pain import`` reads (collector.pain_diary)."""
    lines = ["time,score,when"] + [f"{t},{score},morning" for t, score in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def simulate_calendar(
    days: int,
    start_text: str | None,
    tz: str | None,
    seed: int,
    fs_hz: float | None,
    trunk: bool,
    profile: str,
    seat: bool,
) -> SimDays:
    """``sitload simulate --days``: the options checked (ValueError says what to
    change); ``--start`` defaults to ``days`` days before today in the zone."""
    from collector.timezone import chosen_zone

    if profile != "desk" or seat:
        raise ValueError("--days simulates the desk profile without a seat mat; drop "
                         "--profile cyclist / --seat")  # fmt: skip
    z = chosen_zone(tz)  # UnknownZoneError is a ValueError
    zone = z.key
    if start_text is None:
        start = dt.datetime.now(z).date() - dt.timedelta(days=days)
    else:
        try:
            start = dt.date.fromisoformat(start_text.strip())
        except ValueError:
            raise ValueError(f"--start {start_text!r}: expected a date as YYYY-MM-DD, e.g. "
                             "2026-11-23") from None  # fmt: skip
    return simulate_days(days, start, zone, seed, fs_hz=fs_hz or 10.0, trunk=trunk)
