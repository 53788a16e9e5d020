"""Seeded synthetic thigh/trunk signals with exact, hand-set truth (test helper).

Geometry as in docs/posture.md: thigh body frame U (knee→hip), F (front of thigh),
L = U×F; a still thigh at inclination θ and roll ψ reads
cos θ·U + sin θ·(cos ψ·F + sin ψ·L); a trunk leaning forward by φ reads
cos φ·U_t − sin φ·F_t. Sensor reading = mounting @ body vector.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analytics.records import FloatArray, Posture, Recording

U = np.array([1.0, 0.0, 0.0])
F = np.array([0.0, 1.0, 0.0])
L = np.array([0.0, 0.0, 1.0])


def rotation_from_quaternion(q: FloatArray) -> FloatArray:
    w, x, y, z = q / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def random_rotation(rng: np.random.Generator) -> FloatArray:
    return rotation_from_quaternion(rng.normal(size=4))


@dataclass(frozen=True)
class Part:
    """One stretch of activity. ``kind``: stand, walk, sit, pedal, stand_pedal, gap."""

    kind: str
    duration_s: float
    theta_deg: float | None = None
    psi_deg: float = 0.0
    phi_deg: float = 0.0
    cadence_rpm: float = 80.0


@dataclass
class Built:
    recording: Recording
    truth: np.ndarray  # per-second Posture codes
    hip_truth: np.ndarray  # per-second mean true hip angle
    t0_s: int
    extras: dict[str, object] = field(default_factory=dict)


DEFAULT_THETA = {"stand": 0.0, "walk": 4.0, "sit": 88.0, "pedal": 60.0, "stand_pedal": 30.0}
TRUTH = {
    "stand": Posture.UPRIGHT,
    "walk": Posture.UPRIGHT,
    "sit": Posture.SITTING,
    "pedal": Posture.RIDING_SEATED,
    "stand_pedal": Posture.RIDING_STANDING,
    "gap": Posture.NONWEAR,
    "offbody": Posture.NONWEAR,
    "lie": Posture.LYING,
}


def build(
    parts: list[Part],
    *,
    seed: int = 0,
    fs_hz: float = 50.0,
    mounting: FloatArray | None = None,
    trunk_mounting: FloatArray | None = None,
    trunk: bool = False,
    cadence: bool = False,
    noise_g: float = 0.008,
    t0_s: float = 1_000_000.0,
    offbody_vector: FloatArray | None = None,
) -> Built:
    rng = np.random.default_rng(seed)
    m = np.eye(3) if mounting is None else mounting
    mt = np.eye(3) if trunk_mounting is None else trunk_mounting
    ts, th, tr, cad, lab, hips = [], [], [], [], [], []
    t = 0.0
    for part in parts:
        n = round(part.duration_s * fs_hz)
        tt = t + np.arange(n) / fs_hz
        t += part.duration_s
        if part.kind == "gap":
            continue
        theta = np.full(
            n, part.theta_deg if part.theta_deg is not None else DEFAULT_THETA.get(part.kind, 88.0)
        )
        psi = np.full(n, part.psi_deg)
        phi = np.full(n, part.phi_deg)
        if part.kind == "sit" and part.duration_s > 10:
            # standing up from / sitting down on a chair: the trunk leans forward
            edge = np.minimum(tt - tt[0], tt[-1] - tt)
            phi = phi + 35.0 * np.clip(1.0 - edge / 1.5, 0.0, 1.0)
        dyn = np.zeros((n, 3))
        pulse = np.zeros(n)
        if part.kind == "walk":
            f = 0.9
            theta = theta + 22.0 * np.sin(2 * np.pi * f * tt)
            # a landing at every step (two per stride), as the simulator has it
            dyn += np.outer(0.5 * np.maximum(np.sin(2 * np.pi * 2 * f * tt), 0.0) ** 2 - 0.12, U)
        elif part.kind in ("pedal", "stand_pedal"):
            f = part.cadence_rpm / 60.0
            theta = theta + 22.0 * np.cos(2 * np.pi * f * tt)
            # the knee rides the pedal circle: the force along the vertical pulses
            # once per revolution, lowest at the top of the stroke (cos = 1)
            knee_g = (2 * np.pi * f) ** 2 * 0.055 / 9.80665
            pulse = -knee_g * np.cos(2 * np.pi * f * tt)
        elif part.kind in ("sit", "stand", "lie"):
            theta = theta + 1.5 * np.sin(2 * np.pi * tt / 37.0)
        th_r, ps_r = np.radians(theta), np.radians(psi)
        body = (
            np.outer(np.cos(th_r), U)
            + (np.sin(th_r) * np.cos(ps_r))[:, None] * F
            + (np.sin(th_r) * np.sin(ps_r))[:, None] * L
        ) * (1.0 + pulse)[:, None] + dyn
        if part.kind == "offbody":
            vec = offbody_vector if offbody_vector is not None else -U
            body = np.tile(vec, (n, 1))
            reading = body + rng.normal(0, noise_g / 2, (n, 3))
        else:
            reading = body @ m.T + rng.normal(0, noise_g, (n, 3))
        ph_r = np.radians(phi)
        tbody = np.outer(np.cos(ph_r), U) - np.sin(ph_r)[:, None] * F
        ts.append(tt)
        th.append(reading)
        tr.append(tbody @ mt.T + rng.normal(0, noise_g, (n, 3)))
        cad.append(np.full(n, part.cadence_rpm if part.kind in ("pedal", "stand_pedal") else 0.0))
        lab.append(np.full(n, TRUTH[part.kind]))
        hips.append(theta + phi)
    t_s = np.concatenate(ts) + t0_s
    rec = Recording(
        t_s=t_s,
        thigh_acc_g=np.concatenate(th),
        trunk_acc_g=np.concatenate(tr) if trunk else None,
        cadence_rpm=np.concatenate(cad) if cadence else None,
    )
    n_sec = int(np.floor(t0_s + t)) - int(np.floor(t0_s))
    truth = np.full(n_sec, Posture.NONWEAR, dtype=np.int8)
    hip_truth = np.full(n_sec, np.nan)
    sec = (np.floor(t_s) - np.floor(t0_s)).astype(np.int64)
    labels = np.concatenate(lab)
    truth[sec] = labels  # last sample of a second wins; parts are whole seconds
    hip_all = np.concatenate(hips)
    counts = np.bincount(sec, minlength=n_sec)
    sums = np.bincount(sec, weights=hip_all, minlength=n_sec)
    has = counts > 0
    hip_truth[has] = sums[has] / counts[has]
    return Built(recording=rec, truth=truth, hip_truth=hip_truth, t0_s=int(np.floor(t0_s)))


DESK_DAY = [
    Part("walk", 120),
    Part("stand", 60),
    Part("sit", 1800),
    Part("stand", 90),
    Part("walk", 60),
    Part("sit", 1200, theta_deg=95),
    Part("walk", 300),
    Part("stand", 120),
    Part("sit", 900, theta_deg=80),
    Part("walk", 90),
]
