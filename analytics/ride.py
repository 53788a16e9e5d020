"""A ride from a bike computer (a FIT file): riding time, stops, breaks off the saddle,
cadence, power and speed per second, and rider position where the file carries it.

Pure: the reader (:mod:`collector.recordings.fit`) turns the file into
:class:`RideRecords`; :func:`ride_seconds` puts it on a one-second grid and
:func:`summarize_ride` gives the figures.

* The bike computer's **timer** is the authority on riding time: it runs from a
  ``timer start`` event to the next ``stop`` (auto-pause at a standstill, or the
  rider's stop button). Its total is the file's own ``total_timer_time``.
* A **break off the saddle** is a standstill of at least ``break_s``: the timer
  stopped, or running with the speed at (GPS-noise) zero. Shorter stops (traffic
  lights) stay inside the ride: the rider is still on the bike.
* **Rider position** (seated or standing on the pedals) is known only where the
  file carries Garmin cycling dynamics: ``rider_position_change`` events (per
  second) or the session's ``time_standing`` / ``stand_count`` (totals only).
  Otherwise it is not guessed: :attr:`RideSummary.unknown` says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analytics.compression import ExposureParams
from analytics.records import BoolArray, FloatArray, Int8Array, Posture, Timeline
from analytics.rules import RULES
from analytics.saddle import SaddleContext
from analytics.smoothing import runs


@dataclass(frozen=True, slots=True)
class RideParams:
    break_s: float = RULES.break_s
    """A standstill this long (timer stopped or speed zero) is a break off the saddle
    (a café stop); shorter ones (traffic lights) are part of the ride."""
    still_speed_mps: float = 0.5
    """Below this speed the bike stands still: GPS speed at a standstill jitters up to
    a few tenths of a m/s, and nobody balances a bike below about 1 m/s."""
    hold_max_s: float = 10.0
    """A record's values stand for the seconds after it, up to this long (bike
    computers with "smart recording" write a record every few seconds)."""
    stand_s: float = ExposureParams().saddle_stand_s
    """Standing on the pedals this long ends a seated bout (the exposure rule's value,
    which the live saddle prompts follow too)."""


@dataclass(frozen=True, slots=True)
class SessionTotals:
    """The file's own session totals (None: the file does not give it)."""

    total_timer_s: float | None = None
    total_elapsed_s: float | None = None
    time_standing_s: float | None = None
    stand_count: int | None = None
    sport: str = ""


@dataclass(frozen=True, slots=True)
class RideRecords:
    """What a ride file says, as decoded. Times are Unix seconds (UTC).

    ``t_s`` are the record messages (strictly increasing); their ``speed_mps``,
    ``cadence_rpm`` and ``power_w`` are NaN where a record lacks the field.
    ``timer_t_s`` / ``timer_on`` are the timer events in order (True: started).
    ``position_t_s`` / ``position_standing`` are rider-position changes."""

    t_s: FloatArray
    speed_mps: FloatArray
    cadence_rpm: FloatArray
    power_w: FloatArray
    timer_t_s: FloatArray
    timer_on: BoolArray
    position_t_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    position_standing: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    session: SessionTotals = SessionTotals()
    source: str = ""


@dataclass(frozen=True, slots=True)
class RideSeconds:
    """One ride on a one-second grid; second ``i`` covers ``[t0_s + i, t0_s + i + 1)``."""

    t0_s: int
    timer_on: BoolArray
    on_bike: BoolArray
    """Timer running, or a stop shorter than a break between riding."""
    riding: BoolArray
    """Timer running and not inside a break (a long standstill with the timer on)."""
    speed_mps: FloatArray
    cadence_rpm: FloatArray
    power_w: FloatArray
    standing: BoolArray | None
    """Standing on the pedals per second (from rider-position events); None: unknown."""
    timer_stops: int
    """Pauses of the timer between a stop and the next start."""

    @property
    def n(self) -> int:
        return int(self.timer_on.shape[0])


@dataclass(frozen=True, slots=True)
class RideSummary:
    start_t_s: int
    end_t_s: int
    timer_s: int
    session_timer_s: float | None
    riding_s: int
    on_bike_s: int
    timer_stops: int
    stopped_s: int
    breaks: int
    break_s: int
    longest_spell_s: int
    pedalling_s: int
    coasting_s: int
    cadence_mean_rpm: float | None
    power_mean_w: float | None
    speed_mean_mps: float | None
    position_from: str
    """``events`` (per second), ``session`` (totals only) or ``none``."""
    seated_s: float | None
    standing_s: float | None
    stands: int | None
    stands_per_hour: float | None
    seated_bouts: int | None
    longest_seated_bout_s: float | None
    unknown: tuple[str, ...]


_NO_POSITION = (
    "seated vs standing on the pedals, seated bouts and stands per hour: the file has "
    "no rider-position data (Garmin cycling dynamics); a thigh sensor tells them "
    "(sitload analyze thigh.csv --ride ride.fit)"
)
_NO_HIP = "the hip angle on the saddle: needs a thigh sensor (--ride)"


def _state_at(t_s: FloatArray, event_t_s: FloatArray, state: BoolArray, before: bool) -> BoolArray:
    """The state of the last event at or before each time (``before`` until the first)."""
    idx = np.searchsorted(event_t_s, t_s, side="right") - 1
    out = np.where(idx >= 0, state[np.maximum(idx, 0)], before)
    return np.asarray(out, dtype=np.bool_)


def _held(rec_t: FloatArray, values: FloatArray, grid: FloatArray, hold_s: float) -> FloatArray:
    """Each second takes the last record at or before it, within ``hold_s``."""
    idx = np.searchsorted(rec_t, grid, side="right") - 1
    ok = idx >= 0
    safe = np.maximum(idx, 0)
    ok &= grid - rec_t[safe] < hold_s
    out = np.where(ok, values[safe], np.nan)
    return np.asarray(out, dtype=np.float64)


def _timer(rec: RideRecords) -> tuple[FloatArray, BoolArray]:
    """Timer events, with a start at the first record when the file has none before it
    (a computer that logs no start event) and only changes of state kept."""
    t, on = rec.timer_t_s, rec.timer_on
    if t.size == 0 or (rec.t_s.size and rec.t_s[0] < t[0] and not on[0]):
        first = rec.t_s[:1] if rec.t_s.size else t[:1]
        t = np.concatenate((first, t))
        on = np.concatenate(([True], on))
    keep = np.concatenate(([True], on[1:] != on[:-1]))
    return t[keep], on[keep]


def ride_seconds(rec: RideRecords, p: RideParams | None = None) -> RideSeconds:
    """Put a ride on a one-second grid from its first timer start to its last stop
    (or last record)."""
    p = p or RideParams()
    timer_t, timer_on = _timer(rec)
    start = float(timer_t[timer_on][0]) if timer_on.any() else float(rec.t_s[0])
    if timer_on[-1] and rec.t_s.size:  # no final stop: the last record ends the ride
        end = max(float(rec.t_s[-1]) + 1.0, float(timer_t[-1]))
    else:
        end = float(timer_t[-1])
    t0 = int(np.floor(start))
    n = max(int(np.ceil(end)) - t0, 0)
    grid = t0 + np.arange(n, dtype=np.float64)
    on = _state_at(grid, timer_t, timer_on, before=False)
    speed = _held(rec.t_s, rec.speed_mps, grid, p.hold_max_s)
    cadence = _held(rec.t_s, rec.cadence_rpm, grid, p.hold_max_s)
    power = _held(rec.t_s, rec.power_w, grid, p.hold_max_s)
    for a in (speed, cadence, power):
        a[~on] = np.nan
    with np.errstate(invalid="ignore"):
        still = ~on | (speed < p.still_speed_mps)
    s, length, v = runs(still)
    long_still = v & (length >= p.break_s)
    in_break = np.zeros(n, dtype=np.bool_)
    for a, k in zip(s[long_still].tolist(), length[long_still].tolist(), strict=True):
        in_break[a : a + k] = True
    riding = on & ~in_break
    on_bike = ~in_break
    if riding.any():  # stops before the first and after the last riding second: no ride
        idx = np.flatnonzero(riding)
        on_bike[: idx[0]] = False
        on_bike[idx[-1] + 1 :] = False
    else:
        on_bike[:] = False
    standing = None
    if rec.position_t_s.size:
        standing = _state_at(grid, rec.position_t_s, rec.position_standing, before=False)
    ts, tl, tv = runs(on)
    stops = int(np.count_nonzero(~tv & (ts > 0) & (ts + tl < n)))
    return RideSeconds(t0, on, on_bike, riding, speed, cadence, power, standing, stops)


def ride_timeline(rs: RideSeconds) -> Timeline:
    """The ride as a posture timeline: on the bike seated or standing (seated where the
    position is unknown: use only with position data), no data elsewhere."""
    posture: Int8Array = np.full(rs.n, Posture.NONWEAR, dtype=np.int8)
    posture[rs.on_bike] = Posture.RIDING_SEATED
    if rs.standing is not None:
        posture[rs.on_bike & rs.standing] = Posture.RIDING_STANDING
    return Timeline(t0_s=rs.t0_s, posture=posture, hip_flexion_deg=np.full(rs.n, np.nan))


def _mean(values: FloatArray, where: BoolArray) -> float | None:
    sel = values[where & np.isfinite(values)]
    return float(sel.mean()) if sel.size else None


def summarize_ride(rec: RideRecords, p: RideParams | None = None) -> RideSummary:
    """The figures of one ride (see the module doc for the rules)."""
    p = p or RideParams()
    rs = ride_seconds(rec, p)
    riding = rs.riding
    riding_s = int(np.count_nonzero(riding))
    ts, tl, tv = runs(~rs.on_bike)
    inner = tv & (ts > 0) & (ts + tl < rs.n)
    _bs, bl, bv = runs(rs.on_bike)
    with np.errstate(invalid="ignore"):
        pedalling = riding & (rs.cadence_rpm > 0)
        coasting = riding & (rs.cadence_rpm == 0)
    has_cadence = bool(np.isfinite(rs.cadence_rpm[riding]).any())
    unknown: list[str] = []
    if not has_cadence:
        unknown.append("cadence, pedalling and coasting: the file has no cadence")
    if not np.isfinite(rs.speed_mps[riding]).any():
        unknown.append("standstills while the timer ran: the file has no speed")
    seated_s = standing_s = stands_ph = None
    stands = bouts = None
    longest_bout = None
    position = "none"
    if rs.standing is not None:
        position = "events"
        sad = SaddleContext(ride_timeline(rs)).summary(0, rs.n, p.stand_s)
        seated_s, standing_s, stands = sad.seated_s, sad.standing_s, sad.stands
        stands_ph, bouts = sad.stands_per_hour, sad.seated_bouts
        longest_bout = sad.longest_seated_bout_s
    elif rec.session.time_standing_s is not None or rec.session.stand_count is not None:
        position = "session"
        on_bike_s = float(np.count_nonzero(rs.on_bike))
        if rec.session.time_standing_s is not None:
            standing_s = min(rec.session.time_standing_s, on_bike_s)
            seated_s = on_bike_s - standing_s
        stands = rec.session.stand_count
        if stands is not None and riding_s > 0:
            stands_ph = stands / (riding_s / 3600.0)
        unknown.append(
            "seated bouts and the longest seated bout: the file gives standing only as "
            "session totals"
        )
    else:
        unknown.append(_NO_POSITION)
    unknown.append(_NO_HIP)
    return RideSummary(
        start_t_s=rs.t0_s,
        end_t_s=rs.t0_s + rs.n,
        timer_s=int(np.count_nonzero(rs.timer_on)),
        session_timer_s=rec.session.total_timer_s,
        riding_s=riding_s,
        on_bike_s=int(np.count_nonzero(rs.on_bike)),
        timer_stops=rs.timer_stops,
        stopped_s=int(np.count_nonzero(~rs.timer_on)),
        breaks=int(np.count_nonzero(inner)),
        break_s=int(tl[inner].sum()),
        longest_spell_s=int(bl[bv].max(initial=0)),
        pedalling_s=int(np.count_nonzero(pedalling)),
        coasting_s=int(np.count_nonzero(coasting)),
        cadence_mean_rpm=_mean(rs.cadence_rpm, pedalling),
        power_mean_w=_mean(rs.power_w, riding),
        speed_mean_mps=_mean(rs.speed_mps, riding),
        position_from=position,
        seated_s=seated_s,
        standing_s=standing_s,
        stands=stands,
        stands_per_hour=stands_ph,
        seated_bouts=bouts,
        longest_seated_bout_s=longest_bout,
        unknown=tuple(unknown),
    )


def cadence_on_clock(rs: RideSeconds, t_s: FloatArray) -> FloatArray:
    """The ride's cadence at each time of another recording on the same (Unix) clock:
    NaN outside the ride, while the timer is stopped and where the file has none."""
    idx = np.floor(t_s).astype(np.int64) - rs.t0_s
    inside = (idx >= 0) & (idx < rs.n)
    out = np.full(t_s.shape[0], np.nan)
    out[inside] = rs.cadence_rpm[idx[inside]]
    return out


def ride_count(tl: Timeline, gap_max_s: float = RideParams().break_s) -> int:
    """Rides in a timeline: spells of riding (seated or standing) joined across gaps
    shorter than a break off the saddle."""
    riding = tl.posture >= Posture.RIDING_SEATED
    idx = np.flatnonzero(riding)
    if idx.size == 0:
        return 0
    gaps = np.diff(idx) - 1
    return 1 + int(np.count_nonzero(gaps * tl.dt_s >= gap_max_s))
