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
The day plan is :mod:`collector.sources.sim_plan`, the signal pieces (mountings,
noise, sample times, the seat mat) :mod:`collector.sources.sim_signals`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

import numpy as np

from analytics.records import FloatArray, Posture, Recording, Timeline
from collector.sources.sim_plan import (
    GAP,
    LIE,
    OFF,
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
from collector.sources.sim_signals import (
    check_rotation,
    mount,
    random_rotation,
    rotate_about_second_axis,
    sample_times,
    seat_pressure,
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


__all__ = ["PERIOD_FLOOR_S", "Profile", "Simulated", "random_rotation", "simulate"]

G_MS2 = 9.80665
THIGH_LEVER_M = 0.20
"""Distance of the thigh sensor from the hip joint, along the thigh (m)."""


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


SAMPLE_CHUNK_S = 3600
"""Samples are made this many seconds at a time (see :func:`simulate`)."""
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

    # ---- samples, about an hour of them at a time (every per-sample intermediate of
    # a whole day at once would need several times the recording's own size) -------
    sec = np.floor(rel).astype(np.int64)
    keep = kind_sec[sec] != GAP
    rel = rel[keep]
    sec = sec[keep]
    n = rel.shape[0]
    centres = np.arange(n_sec, dtype=np.float64) + 0.5

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

    thigh = np.empty((n, 3))
    trunk_acc: FloatArray | None = np.empty((n, 3)) if trunk else None
    hip = np.empty(n)
    phase_sum = 0.0
    cuts = np.searchsorted(sec, np.arange(0, n_sec, SAMPLE_CHUNK_S))
    for lo, hi in itertools.pairwise([*cuts.tolist(), n]):
        if hi <= lo:
            continue
        r, sc = rel[lo:hi], sec[lo:hi]

        def interp(values: FloatArray, r: FloatArray = r) -> FloatArray:
            return np.asarray(np.interp(r, centres, values), dtype=np.float64)

        freq = interp(freq_s)
        dt = np.diff(r, prepend=rel[max(lo - 1, 0)])
        # the running sum goes on from the chunk before, added in the same order
        cum = np.cumsum(np.concatenate(([phase_sum], freq * dt)))[1:]
        phase_sum = float(cum[-1])
        phase = 2.0 * np.pi * cum
        sin_ph = np.sin(phase)
        cos_ph = np.cos(phase)
        amp = interp(prm["amp_deg"])
        theta_deg = interp(theta_s) + amp * sin_ph
        swaying = np.flatnonzero(prm["sway_deg"][sc] > 0.0)  # standing still: slow sway
        r_sw = r[swaying]
        theta_deg[swaying] += prm["sway_deg"][sc[swaying]] * np.sin(
            2 * np.pi * 0.23 * r_sw + 0.8 * np.sin(2 * np.pi * 0.07 * r_sw)
        )
        phi_deg = interp(phi_s) + prm["phi_osc_deg"][sc] * sin_ph
        hip[lo:hi] = theta_deg + phi_deg

        # Thigh: gravity, rocking, centripetal / tangential terms, impacts at twice the
        # stride.
        th = np.radians(theta_deg)
        ps = np.radians(interp(psi_s))
        sin_th = np.sin(th)
        fu = np.cos(th)
        ff = sin_th * np.cos(ps)
        fl = sin_th * np.sin(ps)
        rocking = np.flatnonzero(prm["rock_deg"][sc] > 0.0)  # standing on the pedals
        beta = np.radians(prm["rock_deg"][sc[rocking]] * sin_ph[rocking])
        fu[rocking], fl[rocking] = rotate_about_second_axis(fu[rocking], fl[rocking], beta)
        omega = np.radians(amp) * 2 * np.pi * freq * cos_ph
        alpha = -np.radians(amp) * (2 * np.pi * freq) ** 2 * sin_ph
        sin_2ph = 2.0 * sin_ph * cos_ph
        impact = prm["impact_g"][sc] * (np.maximum(sin_2ph, 0.0) ** 2 - 0.25)
        impact += 1.0
        fu *= impact
        fu += THIGH_LEVER_M / G_MS2 * omega**2
        ff *= impact
        ff += THIGH_LEVER_M / G_MS2 * alpha
        fl *= impact
        th_acc = mount(m_thigh, fu, ff, fl)

        off = kind_sec[sc] == OFF
        off_idx = prm["off_index"][sc].astype(np.int64)
        if off.any():
            th_acc[off] = off_thigh[off_idx[off]]
        noise_sd = np.sqrt(sigma_thigh**2 + prm["vib_g"][sc] ** 2)
        th_acc += rng_noise.standard_normal((hi - lo, 3), dtype=np.float32) * noise_sd[:, None]
        thigh[lo:hi] = th_acc

        if trunk_acc is not None:
            ph = np.radians(phi_deg)
            pt = np.radians(interp(prm["psi_trunk_deg"]))
            sin_phi = np.sin(ph)
            tu = np.cos(ph)
            tf = -sin_phi * np.cos(pt)
            tl = -sin_phi * np.sin(pt)
            tu[rocking], tl[rocking] = rotate_about_second_axis(
                tu[rocking], tl[rocking], 0.5 * beta
            )
            bob = 1.0 + prm["trunk_bob_g"][sc] * sin_2ph
            tr_acc = mount(m_trunk, tu * bob, tf * bob, tl * bob)
            if off.any():
                tr_acc[off] = off_trunk[off_idx[off]]
            trunk_sd = np.sqrt(sigma_trunk**2 + 0.5 * prm["vib_g"][sc] ** 2)
            tr_acc += (
                rng_noise_t.standard_normal((hi - lo, 3), dtype=np.float32) * trunk_sd[:, None]
            )
            trunk_acc[lo:hi] = tr_acc

    cadence: FloatArray | None = None
    if profile == "cyclist":
        # what a crank sensor reports: the current cadence, 0 while not pedalling
        pedal_sec = np.isin(kind_sec, (RIDE, RSTAND))
        cadence = np.where(pedal_sec, np.round(freq_s * 60.0, 1), 0.0)[sec]

    seat_p: FloatArray | None = None
    if seat:
        seat_p = seat_pressure(
            rng_seat, sec, prm["seat_load"], prm["seat_thigh"], prm["slump"], phi_s, psi_s
        )

    # ---- truth ---------------------------------------------------------------------
    counts = np.bincount(sec, minlength=n_sec)
    hip_sum = np.bincount(sec, weights=hip, minlength=n_sec)
    with np.errstate(invalid="ignore", divide="ignore"):
        hip_sec = hip_sum / counts
    posture = TRUTH_OF_KIND[kind_sec]
    hip_sec[posture == Posture.NONWEAR] = np.nan
    reclined = (kind_sec == LIE) & (np.abs(prm["psi_deg"]) > 50.0)

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
