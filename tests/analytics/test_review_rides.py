"""The review's rides and weekly saddle load: a ride seen by the bike computer and
the thigh counts once (the thigh's figures), a ride known only from its file keeps
what the file says (unknown stays unknown), riding in the timeline without a file
is a ride too."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from analytics.records import Posture, Timeline
from analytics.review import review

UTC = dt.UTC
DAY0 = dt.datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
T0 = int(DAY0.timestamp())


@dataclass(frozen=True, slots=True)
class Ride:
    start_s: float
    end_s: float
    riding_s: float
    on_bike_s: float
    seated_s: float | None = None
    standing_s: float | None = None
    longest_seated_bout_s: float | None = None
    stands: int | None = None
    stands_per_hour: float | None = None
    seated_hip_gt90_s: float | None = None
    position_from: str = "none"
    source: str = "ride.fit"


def timeline(days: int) -> Timeline:
    n = days * 86_400
    posture = np.full(n, Posture.UPRIGHT, dtype=np.int8)
    hip = np.full(n, 10.0)
    # day 0, 08:00: 60 min seated riding (20 min at hip 95°), 30 s standing at 30 min
    a = 8 * 3600
    posture[a : a + 3600] = Posture.RIDING_SEATED
    posture[a + 1800 : a + 1830] = Posture.RIDING_STANDING
    hip[a : a + 3600] = 80.0
    hip[a + 2400 : a + 3600] = 95.0
    # day 2, 18:00: 40 min seated riding with no ride file
    b = 2 * 86_400 + 18 * 3600
    posture[b : b + 2400] = Posture.RIDING_SEATED
    hip[b : b + 2400] = 85.0
    return Timeline(t0_s=T0, posture=posture, hip_flexion_deg=hip)


def test_every_ride_once_with_the_best_figures_and_the_weekly_load() -> None:
    a = T0 + 8 * 3600
    with_thigh = Ride(a - 60, a + 3660, 3700.0, 3720.0)  # the file has no rider position
    file_only = Ride(T0 + 9 * 86_400, T0 + 9 * 86_400 + 9000, 8800.0, 9000.0)
    r = review(
        timeline(14), tz="UTC", first_day=DAY0.date(),
        last_day=DAY0.date() + dt.timedelta(days=13), rides=[file_only, with_thigh],
    )  # fmt: skip
    assert r.any_riding
    first, spell, other = r.rides
    assert (first.position_from, first.source, first.riding_s) == ("thigh", "ride.fit", 3700.0)
    assert first.seated_s == 3570.0
    assert first.standing_s == 30.0
    assert first.stands == 1
    assert first.longest_seated_bout_s == 1800.0
    assert first.seated_hip_gt90_s == 1200.0
    assert (spell.source, spell.date, spell.start_local) == ("", "2026-11-04", "18:00")
    assert (spell.seated_s, spell.seated_hip_gt90_s) == (2400.0, 0.0)
    assert (other.position_from, other.seated_s, other.seated_hip_gt90_s) == ("none", None, None)
    w1, w2 = r.saddle_weeks
    assert (w1.rides, w1.saddle_s, w1.seated_known) == (2, 3570.0 + 2400.0, True)
    assert w1.seated_hip_gt90_s == 1200.0
    assert (w2.rides, w2.saddle_s, w2.seated_known) == (1, 9000.0, False)
    assert w2.change is not None
    assert round(w2.change * 100) == 51  # 9000 / 5970 - 1
    assert w2.flagged
    (flag,) = [f for f in r.flags if f.kind == "saddle_load"]
    assert flag.text.startswith("Week of 2026-11-09: saddle time +51 % against the week before")


def test_no_rides_no_saddle_weeks() -> None:
    tl = timeline(1)
    tl.posture[tl.posture >= Posture.RIDING_SEATED] = Posture.SITTING
    r = review(tl, tz="UTC")
    assert (r.any_riding, r.rides, r.saddle_weeks) == (False, (), ())
