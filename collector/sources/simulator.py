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
sample times and evaluated with array operations, an hour of samples at a time
(:mod:`collector.sources.sim_samples`): 24 h at 50 Hz takes a few seconds, and
:func:`simulate_parts` gives those hours one after the other without ever holding the
whole recording. The day plan is :mod:`collector.sources.sim_plan`, the signal pieces
(mountings, noise, sample times, the seat mat) :mod:`collector.sources.sim_signals`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace

import numpy as np

from analytics.records import FloatArray, IntArray, Posture, Recording, Timeline
from collector.sources.sim_plan import (
    GAP,
    LIE,
    PERIOD_FLOOR_S,
    RIDE,
    RSTAND,
    SIT,
    TRUTH_OF_KIND,
    Plan,
    Profile,
    Seg,
    insert_gaps,
    per_second,
)
from collector.sources.sim_ride import CyclistPlan
from collector.sources.sim_samples import SAMPLE_CHUNK_S, SampleMaker
from collector.sources.sim_signals import (
    SeatMat,
    check_rotation,
    random_rotation,
    sample_times,
    smooth_noise,
    unit_random,
)


def build_schedule(profile: Profile, n_sec: int, rng: np.random.Generator) -> list[Seg]:
    """The profile's days one after another, cut at ``n_sec`` seconds."""
    plan: Plan
    day: Callable[[], None]
    if profile == "desk":
        plan = Plan(rng)
        day = plan.desk_day
    else:
        rider = CyclistPlan(rng)
        plan, day = rider, rider.cyclist_day
    while plan.total_s < n_sec:
        day()
    # Truncate to n_sec; never leave a last segment shorter than the minimum period.
    segs: list[Seg] = []
    total = 0
    for seg in plan.segs:
        if total >= n_sec:
            break
        dur = min(seg.dur_s, n_sec - total)
        segs.append(replace(seg, dur_s=dur))
        total += dur
    if len(segs) > 1 and segs[-1].dur_s < PERIOD_FLOOR_S:
        last = segs.pop()
        segs[-1].dur_s += last.dur_s
    return segs


__all__ = [
    "PERIOD_FLOOR_S",
    "Profile",
    "Simulated",
    "random_rotation",
    "simulate",
    "simulate_parts",
]


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


DEFAULT_START_S = 1_795_420_800.0
"""2026-11-23 08:00 UTC, a Monday morning: a simulated day starts at work."""


@dataclass(frozen=True, slots=True)
class _Setup:
    t0: int
    maker: SampleMaker
    kind_sec: IntArray
    psi_deg: FloatArray
    m_thigh: FloatArray
    m_trunk: FloatArray


def _setup(
    profile: Profile,
    hours: float,
    seed: int,
    fs_hz: float,
    start_t_s: float,
    trunk: bool,
    seat: bool,
    mounting: FloatArray | None,
    schedule: Callable[[np.random.Generator, int], list[Seg]] | None,
) -> _Setup:
    """Everything drawn for the whole recording, and the maker of its samples."""
    if profile not in ("desk", "cyclist"):
        raise ValueError(f"unknown profile {profile!r}; expected 'desk' or 'cyclist'")
    if not (math.isfinite(hours) and hours * 3600.0 >= 2 * PERIOD_FLOOR_S):
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

    m_thigh = random_rotation(rng_mount) if mounting is None else check_rotation(mounting)
    m_trunk = random_rotation(rng_mount_t)

    duration_s = hours * 3600.0
    t0, rel = sample_times(rng_times, start_t_s, duration_s, fs_hz)
    n_sec = math.floor(rel[-1]) + 1

    if schedule is None:
        segs = build_schedule(profile, n_sec, rng_plan)
    else:
        segs = schedule(rng_plan, n_sec)
        if sum(s.dur_s for s in segs) != n_sec:
            raise ValueError(f"the schedule must cover exactly {n_sec} s")
    segs = insert_gaps(segs, hours, rng_gap)

    # ---- per-second parameters ------------------------------------------------------
    kind_sec = np.repeat(
        np.array([s.kind for s in segs], dtype=np.int64),
        np.array([s.dur_s for s in segs], dtype=np.int64),
    )
    prm = {f.name: per_second(segs, f.name) for f in fields(Seg) if f.name not in ("kind", "dur_s")}
    is_sit = kind_sec == SIT
    drift_scale = prm["drift_deg"]
    theta_s = prm["theta_deg"] + drift_scale * smooth_noise(rng_drift, n_sec, 30.0)
    phi_s = prm["phi_deg"] + drift_scale * smooth_noise(rng_drift, n_sec, 45.0)
    psi_s = prm["psi_deg"] + drift_scale * smooth_noise(rng_drift, n_sec, 40.0)
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
        1.0 + prm["cad_drift_rpm"] / 80.0 * smooth_noise(rng_drift, n_sec, 20.0)
    )

    keep = np.empty(rel.shape[0], dtype=bool)  # the samples in worn seconds
    for lo in range(0, rel.shape[0], 1 << 18):  # no day-long int64 temporaries
        keep[lo : lo + (1 << 18)] = (
            kind_sec[np.floor(rel[lo : lo + (1 << 18)]).astype(np.int64)] != GAP
        )
    if not keep.all():
        rel = rel[keep]
    del keep

    n_off = max(s.off_index for s in segs) + 1
    off_thigh = np.zeros((max(n_off, 1), 3))
    off_trunk = np.zeros((max(n_off, 1), 3))
    for k in range(n_off):
        if rng_off.random() < 0.5:
            off_thigh[k] = unit_random(rng_off)
        else:  # far from any worn posture: upside down (thigh angle 150-180)
            a = np.radians(rng_off.uniform(150.0, 180.0))
            b = np.radians(rng_off.uniform(-180.0, 180.0))
            body_v = np.array([np.cos(a), np.sin(a) * np.cos(b), np.sin(a) * np.sin(b)])
            off_thigh[k] = m_thigh @ body_v
        off_trunk[k] = unit_random(rng_off)
    sigma_thigh = rng_noise.uniform(0.005, 0.01)
    sigma_trunk = rng_noise_t.uniform(0.005, 0.01) if trunk else 0.0

    cadence_sec: FloatArray | None = None
    if profile == "cyclist":
        # what a crank sensor reports: the current cadence, 0 while not pedalling
        pedal_sec = np.isin(kind_sec, (RIDE, RSTAND))
        cadence_sec = np.where(pedal_sec, np.round(freq_s * 60.0, 1), 0.0)
    mat = None
    if seat:
        mat = SeatMat(rng_seat, prm["seat_load"], prm["seat_thigh"], prm["slump"], phi_s, psi_s)
    maker = SampleMaker(
        rel=rel,
        kind_sec=kind_sec,
        prm=prm,
        theta_s=theta_s,
        phi_s=phi_s,
        psi_s=psi_s,
        freq_s=freq_s,
        m_thigh=m_thigh,
        m_trunk=m_trunk if trunk else None,
        off_thigh=off_thigh,
        off_trunk=off_trunk,
        sigma_thigh=sigma_thigh,
        sigma_trunk=sigma_trunk,
        rng_noise=rng_noise,
        rng_noise_t=rng_noise_t,
        cadence_sec=cadence_sec,
        seat=mat,
    )
    return _Setup(t0, maker, kind_sec, prm["psi_deg"], m_thigh, m_trunk)


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
    schedule: Callable[[np.random.Generator, int], list[Seg]] | None = None,
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
    setup = _setup(profile, hours, seed, fs_hz, start_t_s, trunk, seat, mounting, schedule)
    t0, maker, kind_sec = setup.t0, setup.maker, setup.kind_sec
    n, n_sec = maker.n, kind_sec.shape[0]
    thigh = np.empty((n, 3))
    trunk_acc: FloatArray | None = np.empty((n, 3)) if trunk else None
    cadence: FloatArray | None = np.empty(n) if maker.cadence_sec is not None else None
    seat_p: FloatArray | None = None
    counts = np.zeros(n_sec, dtype=np.int64)
    hip_sum = np.zeros(n_sec)
    lo = 0
    for part in maker.parts():
        hi = lo + part.rel.shape[0]
        thigh[lo:hi] = part.thigh
        if trunk_acc is not None and part.trunk is not None:
            trunk_acc[lo:hi] = part.trunk
        if cadence is not None and part.cadence is not None:
            cadence[lo:hi] = part.cadence
        if part.seat is not None:
            if seat_p is None:
                seat_p = np.empty((n, part.seat.shape[1]))
            seat_p[lo:hi] = part.seat
        # the per-second sums, added in sample order as one bincount over all would
        counts += np.bincount(part.sec, minlength=n_sec)
        hip_sum += np.bincount(part.sec, weights=part.hip, minlength=n_sec)
        lo = hi

    # ---- truth ---------------------------------------------------------------------
    with np.errstate(invalid="ignore", divide="ignore"):
        hip_sec = hip_sum / counts
    posture = TRUTH_OF_KIND[kind_sec]
    hip_sec[posture == Posture.NONWEAR] = np.nan
    reclined = (kind_sec == LIE) & (np.abs(setup.psi_deg) > 50.0)

    recording = Recording(
        t_s=t0 + maker.rel,
        thigh_acc_g=thigh,
        thigh_gyro_dps=None,
        trunk_acc_g=trunk_acc,
        seat_p=seat_p,
        cadence_rpm=cadence,
        seat_unit="counts",
        source=_source(profile, seed),
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
        mounting=setup.m_thigh,
        trunk_mounting=setup.m_trunk if trunk else None,
    )


def _source(profile: Profile, seed: int) -> str:
    return f"simulator:{profile}:seed={seed}"


def simulate_parts(
    profile: Profile,
    hours: float,
    seed: int,
    *,
    fs_hz: float = 50.0,
    start_t_s: float = DEFAULT_START_S,
    trunk: bool = True,
    seat: bool = False,
    part_s: int = SAMPLE_CHUNK_S,
) -> Iterator[Recording]:
    """The recording of :func:`simulate` with the same arguments, in consecutive parts
    of ``part_s`` seconds (the same samples, bit for bit, never all in memory at once:
    what a replay of a long simulation needs). The work starts at the first ``next``."""
    setup = _setup(profile, hours, seed, fs_hz, start_t_s, trunk, seat, None, None)
    source = _source(profile, seed)
    for part in setup.maker.parts(part_s):
        yield Recording(
            t_s=setup.t0 + part.rel,
            thigh_acc_g=part.thigh,
            thigh_gyro_dps=None,
            trunk_acc_g=part.trunk,
            seat_p=part.seat,
            cadence_rpm=part.cadence,
            seat_unit="counts",
            source=source,
        )
