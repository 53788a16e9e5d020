"""Seeded, deterministic simulator of realistic recordings with per-second ground truth.

Used by tests, benchmarks and the demo. Everything random comes from one
``numpy.random.SeedSequence(seed)`` (split into independent streams, so switching the
trunk sensor or the seat mat on or off does not change the thigh signal); there is no
clock.

Geometry (the contract with the posture code)
---------------------------------------------
Thigh body frame: ``U`` = long axis from knee to hip, ``F`` = anterior, ``L = U x F``;
as vectors ``U=(1,0,0)``, ``F=(0,1,0)``, ``L=(0,0,1)`` before mounting. Thigh
inclination ``theta`` (0 standing, 90 sitting with a level thigh, > 90 knee above hip)
and rotation about the long axis ``psi``. A still accelerometer reads, in body frame::

    f = cos(theta) U + sin(theta) (cos(psi) F + sin(psi) L)      [g]

and the sensor reads ``mounting @ f + dynamic + noise`` with ``mounting`` a uniformly
random proper rotation (any orientation, upside down included) unless given.

Trunk body frame ``U_t`` (up the spine), ``F_t`` (anterior), ``L_t = U_t x F_t``. Forward
lean ``phi`` (0 upright, +90 prone, -90 supine) and side-lying rotation ``psi_t``::

    f_t = cos(phi) U_t - sin(phi) (cos(psi_t) F_t + sin(psi_t) L_t)

The trunk sensor has its own independent random mounting. Hip flexion (truth) is
``theta + phi``.

The whole recording is built as a schedule of segments on whole seconds (one posture
each, at least 10 s long), turned into per-second parameter arrays, interpolated to the
sample times and evaluated with array operations: 24 h at 50 Hz takes a few seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np

from analytics.records import FloatArray, IntArray, Posture, Recording, SeatLayout, Timeline

__all__ = ["Profile", "Simulated", "random_rotation", "simulate"]

Profile = Literal["desk", "cyclist"]

G_MS2 = 9.80665
THIGH_LEVER_M = 0.20
"""Distance of the thigh sensor from the hip joint, along the thigh (m)."""
MIN_PERIOD_S = 10
SEAT_ROWS = 8
SEAT_COLS = 8
ISCHIAL_HALF_SPACING_M = 0.04

# Segment kinds (internal).
_SIT, _STAND, _WALK, _LIE, _OFF, _GAP, _RIDE, _COAST, _RSTAND = range(9)
_TRUTH_OF_KIND = np.array(
    [
        Posture.SITTING,
        Posture.UPRIGHT,
        Posture.UPRIGHT,
        Posture.LYING,
        Posture.NONWEAR,
        Posture.NONWEAR,
        Posture.RIDING_SEATED,
        Posture.RIDING_SEATED,
        Posture.RIDING_STANDING,
    ],
    dtype=np.int8,
)


@dataclass(frozen=True, slots=True)
class Simulated:
    """A simulated recording and what really happened.

    ``truth`` is per second on ``t0_s = floor(first t_s)``: posture (NONWEAR in gaps,
    i.e. whole seconds without samples, and while the sensor is off the body) and the
    true hip flexion ``theta + phi`` averaged over the second (NaN in gaps and non-wear).
    ``truth.reclined`` marks lying on the side. ``mounting`` is the thigh sensor's
    rotation (body frame -> sensor frame); ``trunk_mounting`` the trunk sensor's (None
    without a trunk sensor).
    """

    recording: Recording
    truth: Timeline
    mounting: FloatArray
    trunk_mounting: FloatArray | None = None


@dataclass(slots=True)
class _Seg:
    """One schedule segment: a whole number of seconds in one posture."""

    kind: int
    dur_s: int
    theta_deg: float = 0.0
    amp_deg: float = 0.0
    freq_hz: float = 0.0
    phi_deg: float = 0.0
    phi_osc_deg: float = 0.0
    psi_deg: float = 0.0
    psi_trunk_deg: float = 0.0
    rock_deg: float = 0.0
    impact_g: float = 0.0
    trunk_bob_g: float = 0.0
    vib_g: float = 0.0
    sway_deg: float = 0.0
    drift_deg: float = 0.0
    cad_drift_rpm: float = 0.0
    seat_load: float = 0.0
    seat_thigh: float = 0.0
    slump: float = 0.0
    off_index: int = -1


# --------------------------------------------------------------------------- helpers


def random_rotation(rng: np.random.Generator) -> FloatArray:
    """A uniformly distributed proper rotation (from a normalised Gaussian quaternion)."""
    q = rng.standard_normal(4)
    w, x, y, z = q / np.linalg.norm(q)
    m = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ],
        dtype=np.float64,
    )
    return m


def _check_rotation(m: FloatArray) -> FloatArray:
    a = np.asarray(m, dtype=np.float64)
    if a.shape != (3, 3) or not np.isfinite(a).all():
        raise ValueError("mounting must be a finite 3x3 matrix")
    if not np.allclose(a @ a.T, np.eye(3), atol=1e-6) or abs(np.linalg.det(a) - 1.0) > 1e-6:
        raise ValueError("mounting must be a proper rotation (orthonormal, det +1)")
    return a.copy()


def _unit_random(rng: np.random.Generator) -> FloatArray:
    v = rng.standard_normal(3)
    return np.asarray(v / np.linalg.norm(v), dtype=np.float64)


def _smooth_noise(rng: np.random.Generator, n: int, knot_s: float) -> FloatArray:
    """Unit-variance noise with knots every ``knot_s`` seconds, linearly interpolated."""
    n_knots = int(n / knot_s) + 2
    x = np.arange(n_knots, dtype=np.float64) * knot_s
    y = rng.standard_normal(n_knots)
    return np.interp(np.arange(n, dtype=np.float64), x, y)


# --------------------------------------------------------------------------- the plan


class _Plan:
    """Builds the segment schedule of one profile."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.segs: list[_Seg] = []
        self.total_s = 0
        self.n_off = 0

    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def secs(self, lo: float, hi: float) -> int:
        return max(MIN_PERIOD_S, round(self.u(lo, hi)))

    def add(self, seg: _Seg) -> None:
        if seg.dur_s < MIN_PERIOD_S:
            raise AssertionError("segment shorter than the minimum period")
        self.segs.append(seg)
        self.total_s += seg.dur_s

    # -- everyday postures ------------------------------------------------------

    def walk(self, dur_s: int) -> None:
        self.add(
            _Seg(
                _WALK,
                dur_s,
                theta_deg=self.u(4.0, 8.0),
                amp_deg=self.u(20.0, 25.0),
                freq_hz=self.u(0.8, 1.0),
                phi_deg=self.u(0.0, 5.0),
                phi_osc_deg=self.u(1.0, 3.0),
                impact_g=self.u(0.4, 0.65),
                trunk_bob_g=self.u(0.15, 0.3),
                drift_deg=1.0,
            )
        )

    def stand(self, dur_s: int, *, theta_hi: float = 10.0) -> None:
        self.add(
            _Seg(
                _STAND,
                dur_s,
                # standing is the reference posture: hip flexion ≈ 0° by definition,
                # so thigh and trunk vary around zero from one stand to the next
                theta_deg=self.u(-2.0, min(theta_hi, 3.0)),
                phi_deg=self.u(-3.0, 3.0),
                sway_deg=self.u(1.0, 2.5),
                drift_deg=1.5,
            )
        )

    def sit(
        self,
        dur_s: int,
        theta_deg: float,
        phi_deg: float,
        psi_deg: float,
        slump: float,
        *,
        seat_load: float = 1.0,
    ) -> None:
        self.add(
            _Seg(
                _SIT,
                dur_s,
                theta_deg=theta_deg,
                phi_deg=phi_deg,
                psi_deg=psi_deg,
                drift_deg=2.5,
                seat_load=seat_load,
                seat_thigh=seat_load,
                slump=slump,
            )
        )

    def sitting_period(self, dur_s: int, *, sofa: bool = False) -> None:
        """One uninterrupted sitting period made of sub-postures (upright, leaning
        forward, legs crossed), each at least a minute."""
        deep = sofa or self.rng.random() < 0.12
        theta_base = self.u(100.0, 110.0) if deep else self.u(82.0, 98.0)
        slump_base = self.u(0.4, 1.0) if deep else self.u(0.0, 0.6)
        remaining = dur_s
        while remaining > 0:
            r = self.rng.random()
            theta = theta_base + self.u(-3.0, 3.0)
            psi = self.u(-8.0, 8.0)
            slump = float(np.clip(slump_base + self.u(-0.15, 0.15), 0.0, 1.0))
            if sofa:
                phi = self.u(-20.0, -5.0)
                d = self.u(300.0, 1800.0)
            elif r < 0.55:
                phi = self.u(0.0, 15.0)
                d = self.u(120.0, 1200.0)
            elif r < 0.8:  # leaning forward over the desk: hip past 90
                phi = self.u(20.0, 40.0)
                d = self.u(60.0, 600.0)
                slump = 0.0
            else:  # legs crossed: thigh raised and rolled
                theta += self.u(3.0, 8.0)
                psi = float(self.rng.choice([-1.0, 1.0])) * self.u(10.0, 30.0)
                phi = self.u(0.0, 12.0)
                d = self.u(60.0, 900.0)
            n = max(60, round(d))
            if remaining - n < 60:
                n = remaining
            self.sit(n, theta, phi, psi, slump)
            remaining -= n

    def lie(self, dur_s: int, side: int) -> None:
        """Lying: ``side`` 0 supine, +1 / -1 on one side (thigh and trunk rolled)."""
        if side == 0:
            theta = self.u(85.0, 95.0)
            psi = float(self.rng.choice([-1.0, 1.0])) * self.u(10.0, 30.0)
            psi_t = self.u(-10.0, 10.0)
        else:
            theta = self.u(100.0, 130.0)
            psi = side * self.u(70.0, 90.0)
            psi_t = side * self.u(75.0, 95.0)
        self.add(
            _Seg(
                _LIE,
                dur_s,
                theta_deg=theta,
                psi_deg=psi,
                phi_deg=self.u(-95.0, -85.0),
                psi_trunk_deg=psi_t,
                drift_deg=1.5,
            )
        )

    def off(self, dur_s: int) -> None:
        self.add(_Seg(_OFF, dur_s, off_index=self.n_off))
        self.n_off += 1

    # -- desk day ---------------------------------------------------------------

    def sitting_length_s(self) -> int:
        r = self.rng.random()
        if r < 0.4:
            return round(self.u(10.0, 30.0) * 60)
        if r < 0.75:
            return round(self.u(30.0, 60.0) * 60)
        return round(self.u(60.0, 90.0) * 60)

    def real_break(self) -> None:
        self.walk(self.secs(30, 120))
        self.stand(self.secs(60, 300))
        self.walk(self.secs(30, 120))

    def nonwear_episode(self) -> None:
        self.walk(self.secs(30, 120))
        self.off(self.secs(20 * 60, 60 * 60))
        self.walk(self.secs(30, 120))

    def work_block(self, dur_s: float, *, with_nonwear: bool) -> None:
        start = self.total_s
        end = start + dur_s
        pending = with_nonwear
        while end - self.total_s > 300:
            self.sitting_period(min(self.sitting_length_s(), max(600, round(end - self.total_s))))
            if pending and self.total_s > start + dur_s / 3:
                self.nonwear_episode()
                pending = False
            elif self.rng.random() < 0.55:
                self.stand(self.secs(20, 100))  # micro-break
            else:
                self.real_break()
        if pending:
            self.nonwear_episode()

    def desk_day(self) -> None:
        self.walk(self.secs(300, 900))  # arrive
        self.stand(self.secs(20, 90))
        self.work_block(self.u(3.0, 4.0) * 3600, with_nonwear=False)
        # lunch walk
        self.walk(self.secs(600, 1200))
        self.stand(self.secs(60, 300))
        self.sit(self.secs(900, 1800), self.u(85, 95), self.u(10, 25), self.u(-5, 5), 0.2)
        self.walk(self.secs(300, 900))
        self.work_block(self.u(3.0, 4.0) * 3600, with_nonwear=True)
        # home, a nap, the evening
        self.walk(self.secs(600, 1200))
        self.stand(self.secs(60, 300))
        self.lie(self.secs(1200, 2400), 0)
        self.walk(self.secs(60, 180))
        self.sitting_period(self.secs(1800, 3600), sofa=True)
        self.walk(self.secs(60, 180))
        self.stand(self.secs(300, 1200))
        self.sitting_period(self.secs(3600, 7200), sofa=True)
        self.walk(self.secs(60, 180))
        # night: supine and on either side
        night_end = self.total_s + self.u(7.0, 8.5) * 3600
        side = 0
        while self.total_s < night_end:
            self.lie(self.secs(15 * 60, 120 * 60), side)
            side = int(self.rng.choice([s for s in (-1, 0, 1) if s != side]))
        # morning
        self.walk(self.secs(60, 180))
        self.stand(self.secs(300, 900))
        self.sit(self.secs(600, 1500), self.u(85, 95), self.u(5, 20), self.u(-5, 5), 0.3)
        self.stand(self.secs(120, 600))

    # -- cyclist ------------------------------------------------------------------

    def ride_seated(self, dur_s: int, cadence: float, phi: float, *, coast: bool) -> None:
        self.add(
            _Seg(
                _COAST if coast else _RIDE,
                dur_s,
                theta_deg=self.u(55.0, 65.0),
                amp_deg=self.u(20.0, 25.0),
                freq_hz=0.0 if coast else cadence / 60.0,
                phi_deg=phi,
                phi_osc_deg=0.5,
                psi_deg=self.u(-5.0, 5.0),
                trunk_bob_g=0.02,
                vib_g=self.u(0.02, 0.05),
                drift_deg=2.0,
                cad_drift_rpm=0.0 if coast else 6.0,
                seat_load=0.6,
                slump=0.3,
            )
        )

    def ride_standing(self, dur_s: int) -> None:
        self.add(
            _Seg(
                _RSTAND,
                dur_s,
                theta_deg=self.u(25.0, 35.0),
                amp_deg=self.u(18.0, 22.0),
                freq_hz=self.u(55.0, 75.0) / 60.0,
                phi_deg=self.u(15.0, 30.0),
                phi_osc_deg=2.0,
                rock_deg=self.u(5.0, 10.0),
                impact_g=0.1,
                trunk_bob_g=0.08,
                vib_g=self.u(0.02, 0.05),
                drift_deg=1.5,
                cad_drift_rpm=3.0,
            )
        )

    def ride(self, dur_s: float) -> None:
        end = self.total_s + dur_s
        cad_base = self.u(75.0, 92.0)
        phi_base = self.u(38.0, 52.0)
        while self.total_s < end:
            cadence = float(np.clip(cad_base + self.rng.normal(0.0, 6.0), 60.0, 100.0))
            phi = float(np.clip(phi_base + self.rng.normal(0.0, 4.0), 35.0, 55.0))
            self.ride_seated(self.secs(120, 1200), cadence, phi, coast=False)
            r = self.rng.random()
            if r < 0.5:
                self.ride_standing(self.secs(10, 60))
            elif r < 0.8:
                self.ride_seated(self.secs(10, 40), cadence, phi, coast=True)
            else:  # a stop: foot down, standing astride the bike
                self.stand(self.secs(30, 180), theta_hi=15.0)

    def cyclist_day(self) -> None:
        self.walk(self.secs(120, 300))  # walk to the bike
        self.stand(self.secs(10, 30))
        self.ride(self.u(1.0, 3.0) * 3600)
        self.stand(self.secs(10, 30))
        self.walk(self.secs(120, 300))  # walk away
        self.sitting_period(self.secs(20 * 60, 60 * 60))
        self.stand(self.secs(300, 900))


# --------------------------------------------------------------------------- schedule


def _build_schedule(profile: Profile, n_sec: int, rng: np.random.Generator) -> list[_Seg]:
    plan = _Plan(rng)
    day: Callable[[], None] = plan.desk_day if profile == "desk" else plan.cyclist_day
    while plan.total_s < n_sec:
        day()
    # Truncate to n_sec; never leave a last segment shorter than the minimum period.
    segs: list[_Seg] = []
    total = 0
    for seg in plan.segs:
        if total >= n_sec:
            break
        dur = min(seg.dur_s, n_sec - total)
        segs.append(replace(seg, dur_s=dur))
        total += dur
    if len(segs) > 1 and segs[-1].dur_s < MIN_PERIOD_S:
        last = segs.pop()
        segs[-1].dur_s += last.dur_s
    return segs


def _insert_gaps(segs: list[_Seg], hours: float, rng: np.random.Generator) -> list[_Seg]:
    """Cut gaps (5-300 s without samples) into worn segments, leaving >= 10 s either side."""
    n_gaps = int(rng.poisson(hours / 3.0)) + (1 if hours >= 1.0 else 0)
    for _ in range(n_gaps):
        gap = round(math.exp(rng.uniform(math.log(5.0), math.log(300.0))))
        ok = [
            i
            for i, s in enumerate(segs)
            if s.kind not in (_GAP, _OFF) and s.dur_s >= gap + 2 * MIN_PERIOD_S
        ]
        if not ok:
            continue
        w = np.array([segs[i].dur_s for i in ok], dtype=np.float64)
        i = ok[int(rng.choice(len(ok), p=w / w.sum()))]
        seg = segs[i]
        a = int(rng.integers(MIN_PERIOD_S, seg.dur_s - gap - MIN_PERIOD_S + 1))
        before = replace(seg, dur_s=a)
        hole = replace(seg, kind=_GAP, dur_s=gap)
        after = replace(seg, dur_s=seg.dur_s - a - gap)
        segs[i : i + 1] = [before, hole, after]
    return segs


def _per_second(segs: list[_Seg], name: str) -> FloatArray:
    values = np.array([getattr(s, name) for s in segs], dtype=np.float64)
    durs = np.array([s.dur_s for s in segs], dtype=np.int64)
    return np.repeat(values, durs)


# --------------------------------------------------------------------------- signals


def _sample_times(
    rng: np.random.Generator, start_t_s: float, duration_s: float, fs_hz: float
) -> tuple[int, FloatArray]:
    """Irregular sample times ``t += 1/fs (1 + noise)`` on [start, start + duration), as
    offsets from ``t0 = floor(start)``."""
    t0 = math.floor(start_t_s)
    n_gen = int(duration_s * fs_hz * 1.02) + 64
    rel_parts: list[FloatArray] = []
    offset = start_t_s - t0
    end = offset + duration_s
    while True:
        step = (1.0 + np.clip(rng.normal(0.0, 0.02, n_gen), -0.25, 0.25)) / fs_hz
        rel = offset + np.concatenate(([0.0], np.cumsum(step[:-1])))
        rel_parts.append(rel[rel < end])
        if rel[-1] >= end:
            break
        offset = float(rel[-1] + step[-1])
    return t0, np.concatenate(rel_parts)


def _rotate_about_second_axis(
    a: FloatArray, c: FloatArray, beta_rad: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Rotate the (first, third) components of vectors by ``beta`` about the second axis."""
    cb = np.cos(beta_rad)
    sb = np.sin(beta_rad)
    return a * cb - c * sb, a * sb + c * cb


def _mount(m: FloatArray, u: FloatArray, f: FloatArray, lat: FloatArray) -> FloatArray:
    """Body-frame components (rows ``u, f, lat``) rotated into the sensor frame:
    ``m @ (u, f, lat)`` per sample, as an (n, 3) array."""
    out = np.empty((u.shape[0], 3))
    for i in range(3):
        out[:, i] = u * m[i, 0] + f * m[i, 1] + lat * m[i, 2]
    return out


def _seat_pressure(
    rng: np.random.Generator,
    sec: IntArray,
    load: FloatArray,
    thigh_load: FloatArray,
    slump: FloatArray,
    phi_deg: FloatArray,
    psi_deg: FloatArray,
) -> FloatArray:
    """An 8x8 mat in counts: two ischial blobs 0.08 m apart while seated (centre of
    pressure back when slumped, forward when leaning forward), thigh contact in front,
    per-cell offsets drifting slowly, noise. Always numbers (>= 0)."""
    layout = SeatLayout.grid(SEAT_ROWS, SEAT_COLS)
    n_sec = load.shape[0]
    peak = rng.uniform(450.0, 700.0)
    sigma = rng.uniform(0.022, 0.03)
    lean = np.clip((phi_deg - 10.0) / 30.0, 0.0, 1.0)
    cop_y = -0.02 - 0.03 * slump + 0.025 * lean
    cop_x = 0.02 * np.sin(np.radians(psi_deg)) + 0.004 * _smooth_noise(rng, n_sec, 300.0)
    dx_l = layout.x_m[None, :] - (cop_x[:, None] - ISCHIAL_HALF_SPACING_M)
    dx_r = layout.x_m[None, :] - (cop_x[:, None] + ISCHIAL_HALF_SPACING_M)
    dy = layout.y_m[None, :] - cop_y[:, None]
    blobs = np.exp(-(dx_l**2 + dy**2) / (2 * sigma**2)) + np.exp(
        -(dx_r**2 + dy**2) / (2 * sigma**2)
    )
    thigh = np.exp(-((layout.y_m[None, :] - cop_y[:, None] - 0.09) ** 2) / (2 * 0.03**2)) * np.exp(
        -((np.abs(layout.x_m[None, :]) - 0.05) ** 2) / (2 * 0.04**2)
    )
    pattern = peak * (load[:, None] * blobs + 0.3 * thigh_load[:, None] * thigh)
    base = rng.uniform(5.0, 30.0, layout.n_cells)
    drift = np.stack(
        [3.0 * _smooth_noise(rng, n_sec, 600.0) for _ in range(layout.n_cells)], axis=1
    )
    pattern += base[None, :] + drift
    noise_sd = rng.uniform(1.5, 3.0)
    out = np.empty((sec.shape[0], layout.n_cells), dtype=np.float64)
    chunk = 1 << 18
    for a in range(0, sec.shape[0], chunk):
        b = min(a + chunk, sec.shape[0])
        block = pattern[sec[a:b]]
        block += noise_sd * rng.standard_normal(block.shape, dtype=np.float32)
        np.maximum(block, 0.0, out=block)
        out[a:b] = block
    return out


DEFAULT_START_S = 1_795_420_800.0
"""2026-11-23 08:00 UTC, a Monday morning: a simulated day starts at work."""


def simulate(
    profile: Profile,
    hours: float,
    seed: int,
    *,
    fs_hz: float = 50.0,
    start_t_s: float = DEFAULT_START_S,
    trunk: bool = True,
    seat: bool = False,
    mounting: FloatArray | None = None,
    schedule: Callable[[np.random.Generator, int], list[_Seg]] | None = None,
) -> Simulated:
    """Simulate ``hours`` of a ``desk`` worker or a ``cyclist``, reproducibly from ``seed``.

    The thigh accelerometer is always present (no gyroscope); ``trunk`` adds a trunk
    accelerometer, ``seat`` an 8x8 seat-pressure mat (counts; it has 64 columns per
    sample, so 24 h at 50 Hz needs about 2.2 GB); the cyclist profile adds the cadence
    column (rpm while pedalling, 0 while coasting or off the bike). ``mounting`` fixes
    the thigh sensor's rotation instead of drawing a random one. ``schedule(rng,
    n_sec)`` replaces the profile's day plan (collector.sources.sim_days: days on
    the calendar); it returns segments covering exactly ``n_sec`` seconds.
    """
    if profile not in ("desk", "cyclist"):
        raise ValueError(f"unknown profile {profile!r}; expected 'desk' or 'cyclist'")
    if not (math.isfinite(hours) and hours * 3600.0 >= 2 * MIN_PERIOD_S):
        raise ValueError("hours must be finite and cover at least 20 s")
    if not (math.isfinite(fs_hz) and fs_hz >= 2.0):
        raise ValueError("fs_hz must be at least 2 Hz (every worn second needs a sample)")
    if not math.isfinite(start_t_s):
        raise ValueError("start_t_s must be finite")
    if seed < 0:
        raise ValueError("seed must be >= 0")

    streams = np.random.SeedSequence(seed).spawn(10)
    rng_plan, rng_times, rng_mount, rng_mount_t, rng_drift = (
        np.random.default_rng(s) for s in streams[:5]
    )
    rng_off, rng_noise, rng_noise_t, rng_seat, rng_gap = (
        np.random.default_rng(s) for s in streams[5:]
    )

    m_thigh = random_rotation(rng_mount) if mounting is None else _check_rotation(mounting)
    m_trunk = random_rotation(rng_mount_t)

    duration_s = hours * 3600.0
    t0, rel = _sample_times(rng_times, start_t_s, duration_s, fs_hz)
    n_sec = math.floor(rel[-1]) + 1

    if schedule is None:
        segs = _build_schedule(profile, n_sec, rng_plan)
    else:
        segs = schedule(rng_plan, n_sec)
        if sum(s.dur_s for s in segs) != n_sec:
            raise ValueError(f"the schedule must cover exactly {n_sec} s")
    segs = _insert_gaps(segs, hours, rng_gap)

    # ---- per-second parameters ------------------------------------------------------
    kind_sec = np.repeat(
        np.array([s.kind for s in segs], dtype=np.int64),
        np.array([s.dur_s for s in segs], dtype=np.int64),
    )
    prm = {
        f.name: _per_second(segs, f.name) for f in fields(_Seg) if f.name not in ("kind", "dur_s")
    }
    is_sit = kind_sec == _SIT
    drift_scale = prm["drift_deg"]
    theta_s = prm["theta_deg"] + drift_scale * _smooth_noise(rng_drift, n_sec, 30.0)
    phi_s = prm["phi_deg"] + drift_scale * _smooth_noise(rng_drift, n_sec, 45.0)
    psi_s = prm["psi_deg"] + drift_scale * _smooth_noise(rng_drift, n_sec, 40.0)
    # Fidgeting while sitting: brief shifts of a few degrees and of the leg's roll.
    starts = np.flatnonzero(is_sit & (rng_drift.random(n_sec) < 1.0 / 120.0))
    if starts.size:
        ends = np.minimum(starts + rng_drift.integers(3, 31, starts.size), n_sec)
        for target, sd in ((theta_s, 4.0), (psi_s, 8.0)):
            step = rng_drift.normal(0.0, sd, starts.size)
            diff = np.zeros(n_sec + 1)
            np.add.at(diff, starts, step)
            np.add.at(diff, ends, -step)
            target += np.where(is_sit, np.cumsum(diff[:-1]), 0.0)
    # Standing up from and sitting down on a chair: the trunk leans forward for ~2 s
    # ("nose over toes"), which is also what tells a trunk sensor's forward direction.
    edges = np.flatnonzero(np.diff(is_sit.astype(np.int8)) != 0) + 1
    bump = np.zeros(n_sec)
    for e in edges:
        side = slice(int(e), int(e) + 2) if is_sit[e] else slice(int(e) - 2, int(e))
        bump[side] = rng_drift.uniform(25.0, 40.0)
    phi_s = phi_s + np.where(is_sit, bump, 0.0)
    freq_s = prm["freq_hz"] * (
        1.0 + prm["cad_drift_rpm"] / 80.0 * _smooth_noise(rng_drift, n_sec, 20.0)
    )

    # ---- samples -------------------------------------------------------------------
    sec = np.floor(rel).astype(np.int64)
    keep = kind_sec[sec] != _GAP
    rel = rel[keep]
    sec = sec[keep]
    n = rel.shape[0]
    centres = np.arange(n_sec, dtype=np.float64) + 0.5

    def interp(values: FloatArray) -> FloatArray:
        return np.asarray(np.interp(rel, centres, values), dtype=np.float64)

    freq = interp(freq_s)
    dt = np.diff(rel, prepend=rel[0])
    phase = 2.0 * np.pi * np.cumsum(freq * dt)
    sin_ph = np.sin(phase)
    cos_ph = np.cos(phase)
    amp = interp(prm["amp_deg"])
    theta_deg = interp(theta_s) + amp * sin_ph
    swaying = np.flatnonzero(prm["sway_deg"][sec] > 0.0)  # standing still: slow sway
    r_sw = rel[swaying]
    theta_deg[swaying] += prm["sway_deg"][sec[swaying]] * np.sin(
        2 * np.pi * 0.23 * r_sw + 0.8 * np.sin(2 * np.pi * 0.07 * r_sw)
    )
    phi_deg = interp(phi_s) + prm["phi_osc_deg"][sec] * sin_ph
    hip = theta_deg + phi_deg

    # Thigh: gravity, rocking, centripetal / tangential terms, impacts at twice the stride.
    th = np.radians(theta_deg)
    ps = np.radians(interp(psi_s))
    sin_th = np.sin(th)
    fu = np.cos(th)
    ff = sin_th * np.cos(ps)
    fl = sin_th * np.sin(ps)
    del th, ps, sin_th
    rocking = np.flatnonzero(prm["rock_deg"][sec] > 0.0)  # standing on the pedals
    beta = np.radians(prm["rock_deg"][sec[rocking]] * sin_ph[rocking])
    fu[rocking], fl[rocking] = _rotate_about_second_axis(fu[rocking], fl[rocking], beta)
    omega = np.radians(amp) * 2 * np.pi * freq * cos_ph
    alpha = -np.radians(amp) * (2 * np.pi * freq) ** 2 * sin_ph
    sin_2ph = 2.0 * sin_ph * cos_ph
    impact = prm["impact_g"][sec] * (np.maximum(sin_2ph, 0.0) ** 2 - 0.25)
    impact += 1.0
    fu *= impact
    fu += THIGH_LEVER_M / G_MS2 * omega**2
    ff *= impact
    ff += THIGH_LEVER_M / G_MS2 * alpha
    fl *= impact
    del omega, alpha, amp, impact
    thigh = _mount(m_thigh, fu, ff, fl)
    del fu, ff, fl

    off = kind_sec[sec] == _OFF
    off_idx = prm["off_index"][sec].astype(np.int64)
    n_off = max(s.off_index for s in segs) + 1
    off_thigh = np.zeros((max(n_off, 1), 3))
    off_trunk = np.zeros((max(n_off, 1), 3))
    for k in range(n_off):
        if rng_off.random() < 0.5:
            off_thigh[k] = _unit_random(rng_off)
        else:  # far from any worn posture: upside down (thigh angle 150-180)
            a = np.radians(rng_off.uniform(150.0, 180.0))
            b = np.radians(rng_off.uniform(-180.0, 180.0))
            body_v = np.array([np.cos(a), np.sin(a) * np.cos(b), np.sin(a) * np.sin(b)])
            off_thigh[k] = m_thigh @ body_v
        off_trunk[k] = _unit_random(rng_off)
    if off.any():
        thigh[off] = off_thigh[off_idx[off]]

    sigma_thigh = rng_noise.uniform(0.005, 0.01)
    noise_sd = np.sqrt(sigma_thigh**2 + prm["vib_g"][sec] ** 2)
    thigh += rng_noise.standard_normal((n, 3), dtype=np.float32) * noise_sd[:, None]

    trunk_acc: FloatArray | None = None
    if trunk:
        ph = np.radians(phi_deg)
        pt = np.radians(interp(prm["psi_trunk_deg"]))
        sin_phi = np.sin(ph)
        tu = np.cos(ph)
        tf = -sin_phi * np.cos(pt)
        tl = -sin_phi * np.sin(pt)
        del ph, pt, sin_phi
        tu[rocking], tl[rocking] = _rotate_about_second_axis(tu[rocking], tl[rocking], 0.5 * beta)
        bob = 1.0 + prm["trunk_bob_g"][sec] * sin_2ph
        trunk_acc = _mount(m_trunk, tu * bob, tf * bob, tl * bob)
        del tu, tf, tl, bob
        if off.any():
            trunk_acc[off] = off_trunk[off_idx[off]]
        sigma_trunk = rng_noise_t.uniform(0.005, 0.01)
        trunk_sd = np.sqrt(sigma_trunk**2 + 0.5 * prm["vib_g"][sec] ** 2)
        trunk_acc += rng_noise_t.standard_normal((n, 3), dtype=np.float32) * trunk_sd[:, None]

    cadence: FloatArray | None = None
    if profile == "cyclist":
        # what a crank sensor reports: the current cadence, 0 while not pedalling
        pedal_sec = np.isin(kind_sec, (_RIDE, _RSTAND))
        cadence = np.where(pedal_sec, np.round(freq_s * 60.0, 1), 0.0)[sec]

    seat_p: FloatArray | None = None
    if seat:
        seat_p = _seat_pressure(
            rng_seat, sec, prm["seat_load"], prm["seat_thigh"], prm["slump"], phi_s, psi_s
        )

    # ---- truth ---------------------------------------------------------------------
    counts = np.bincount(sec, minlength=n_sec)
    hip_sum = np.bincount(sec, weights=hip, minlength=n_sec)
    with np.errstate(invalid="ignore", divide="ignore"):
        hip_sec = hip_sum / counts
    posture = _TRUTH_OF_KIND[kind_sec]
    hip_sec[posture == Posture.NONWEAR] = np.nan
    reclined = (kind_sec == _LIE) & (np.abs(prm["psi_deg"]) > 50.0)

    recording = Recording(
        t_s=t0 + rel,
        thigh_acc_g=thigh,
        thigh_gyro_dps=None,
        trunk_acc_g=trunk_acc,
        seat_p=seat_p,
        cadence_rpm=cadence,
        seat_unit="counts",
        source=f"simulator:{profile}:seed={seed}",
    )
    truth = Timeline(
        t0_s=t0,
        posture=posture,
        hip_flexion_deg=hip_sec.astype(np.float64),
        reclined=reclined,
        hip_from_trunk=True,
    )
    return Simulated(
        recording=recording,
        truth=truth,
        mounting=m_thigh,
        trunk_mounting=m_trunk if trunk else None,
    )
