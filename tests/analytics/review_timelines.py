"""Hand-made timelines for the review's tests: days lying at night and upright in the
day, with spans painted over them (times are local ``HH:MM``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

from analytics.records import Posture, Timeline

S, U, N, L = Posture.SITTING, Posture.UPRIGHT, Posture.NONWEAR, Posture.LYING
RS, RST = Posture.RIDING_SEATED, Posture.RIDING_STANDING
D0 = dt.date(2026, 6, 1)  # a Monday
UTC = "UTC"


def midnight(day: dt.date, zone: str = UTC) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).timestamp())


def hhmm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


Span = tuple[str, str, Posture, float]  # from, to (HH:MM), posture, hip angle


def day_arrays(spans: list[Span], n: int = 86_400) -> tuple[np.ndarray, np.ndarray]:
    """A day lying at night and upright 07:00–22:00 (hip 5°), with ``spans`` painted
    over it."""
    posture = np.full(n, L, dtype=np.int8)
    hip = np.full(n, 10.0)
    posture[hhmm("07:00") : hhmm("22:00")] = U
    hip[hhmm("07:00") : hhmm("22:00")] = 5.0
    for a, b, p, deg in spans:
        posture[hhmm(a) : hhmm(b)] = p
        hip[hhmm(a) : hhmm(b)] = deg
    hip[posture == N] = np.nan
    return posture, hip


def timeline(days: list[list[Span]], first: dt.date = D0, zone: str = UTC) -> Timeline:
    ps, hs = [], []
    for i, spans in enumerate(days):
        day = first + dt.timedelta(days=i)
        n = midnight(day + dt.timedelta(days=1), zone) - midnight(day, zone)
        p, h = day_arrays(spans, n)
        ps.append(p)
        hs.append(h)
    return Timeline(
        t0_s=midnight(first, zone),
        posture=np.concatenate(ps),
        hip_flexion_deg=np.concatenate(hs),
    )


def at(day_index: int, clock: str, first: dt.date = D0) -> float:
    return float(midnight(first + dt.timedelta(days=day_index)) + hhmm(clock))


LOW_WEAR: list[Span] = [("00:00", "09:00", N, 0.0), ("13:00", "24:00", N, 0.0)]
