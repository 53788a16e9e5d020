"""The simulator's signals: random sensor mountings, smooth noise, jittered sample
times, the accelerometer of a mounted sensor and the seat mat's pressure map, as
array operations (:mod:`collector.sources.simulator` puts them together)."""

from __future__ import annotations

import math

import numpy as np

from analytics.records import FloatArray, IntArray, SeatLayout

SEAT_ROWS = 8
SEAT_COLS = 8
ISCHIAL_HALF_SPACING_M = 0.04


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


def check_rotation(m: FloatArray) -> FloatArray:
    a = np.asarray(m, dtype=np.float64)
    if a.shape != (3, 3) or not np.isfinite(a).all():
        raise ValueError("mounting must be a finite 3x3 matrix")
    if not np.allclose(a @ a.T, np.eye(3), atol=1e-6) or abs(np.linalg.det(a) - 1.0) > 1e-6:
        raise ValueError("mounting must be a proper rotation (orthonormal, det +1)")
    return a.copy()


def unit_random(rng: np.random.Generator) -> FloatArray:
    v = rng.standard_normal(3)
    return np.asarray(v / np.linalg.norm(v), dtype=np.float64)


def smooth_noise(rng: np.random.Generator, n: int, knot_s: float) -> FloatArray:
    """Unit-variance noise with knots every ``knot_s`` seconds, linearly interpolated."""
    n_knots = int(n / knot_s) + 2
    x = np.arange(n_knots, dtype=np.float64) * knot_s
    y = rng.standard_normal(n_knots)
    return np.interp(np.arange(n, dtype=np.float64), x, y)


TIMES_BLOCK = 1 << 18
"""Sample times are drawn this many at a time (a day of 50 Hz times at once would need
several day-long temporaries)."""


def sample_times(
    rng: np.random.Generator, start_t_s: float, duration_s: float, fs_hz: float
) -> tuple[int, FloatArray]:
    """Irregular sample times ``t += 1/fs (1 + noise)`` on [start, start + duration), as
    offsets from ``t0 = floor(start)``.

    The steps of a batch of ``n_gen`` samples are drawn and summed in blocks of
    :data:`TIMES_BLOCK` (the running sum carried over: the same numbers as the batch
    drawn and summed at once)."""
    t0 = math.floor(start_t_s)
    n_gen = int(duration_s * fs_hz * 1.02) + 64
    out = np.empty(n_gen)
    n = 0
    offset = start_t_s - t0
    end = offset + duration_s
    while True:
        # rel = offset + (0, cumsum(step[:-1])) of the batch, a block at a time
        total = 0.0  # the sum of the batch's steps before the block
        last_step = rel_last = 0.0
        for lo in range(0, n_gen, TIMES_BLOCK):
            step = (
                1.0 + np.clip(rng.normal(0.0, 0.02, min(TIMES_BLOCK, n_gen - lo)), -0.25, 0.25)
            ) / fs_hz
            sums = np.cumsum(np.concatenate(([total], step[:-1])))
            rel = offset + sums
            total = float(sums[-1] + step[-1])
            last_step, rel_last = float(step[-1]), float(rel[-1])
            kept = rel[rel < end]
            if n + kept.shape[0] > out.shape[0]:
                out = np.concatenate((out[:n], np.empty(max(n_gen, kept.shape[0]))))
            out[n : n + kept.shape[0]] = kept
            n += kept.shape[0]
        if rel_last >= end:
            break
        offset = rel_last + last_step
    return t0, out[:n]


def rotate_about_second_axis(
    a: FloatArray, c: FloatArray, beta_rad: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Rotate the (first, third) components of vectors by ``beta`` about the second axis."""
    cb = np.cos(beta_rad)
    sb = np.sin(beta_rad)
    return a * cb - c * sb, a * sb + c * cb


def mount(m: FloatArray, u: FloatArray, f: FloatArray, lat: FloatArray) -> FloatArray:
    """Body-frame components (rows ``u, f, lat``) rotated into the sensor frame:
    ``m @ (u, f, lat)`` per sample, as an (n, 3) array."""
    out = np.empty((u.shape[0], 3))
    for i in range(3):
        out[:, i] = u * m[i, 0] + f * m[i, 1] + lat * m[i, 2]
    return out


class SeatMat:
    """An 8x8 mat in counts: two ischial blobs 0.08 m apart while seated (centre of
    pressure back when slumped, forward when leaning forward), thigh contact in front,
    per-cell offsets drifting slowly, noise. Always numbers (>= 0).

    The per-second pattern is drawn at once; :meth:`samples` adds the noise of the
    samples given, drawn in order (the samples of a recording may come in parts)."""

    def __init__(
        self,
        rng: np.random.Generator,
        load: FloatArray,
        thigh_load: FloatArray,
        slump: FloatArray,
        phi_deg: FloatArray,
        psi_deg: FloatArray,
    ) -> None:
        layout = SeatLayout.grid(SEAT_ROWS, SEAT_COLS)
        n_sec = load.shape[0]
        peak = rng.uniform(450.0, 700.0)
        sigma = rng.uniform(0.022, 0.03)
        lean = np.clip((phi_deg - 10.0) / 30.0, 0.0, 1.0)
        cop_y = -0.02 - 0.03 * slump + 0.025 * lean
        cop_x = 0.02 * np.sin(np.radians(psi_deg)) + 0.004 * smooth_noise(rng, n_sec, 300.0)
        dx_l = layout.x_m[None, :] - (cop_x[:, None] - ISCHIAL_HALF_SPACING_M)
        dx_r = layout.x_m[None, :] - (cop_x[:, None] + ISCHIAL_HALF_SPACING_M)
        dy = layout.y_m[None, :] - cop_y[:, None]
        blobs = np.exp(-(dx_l**2 + dy**2) / (2 * sigma**2)) + np.exp(
            -(dx_r**2 + dy**2) / (2 * sigma**2)
        )
        thigh = np.exp(
            -((layout.y_m[None, :] - cop_y[:, None] - 0.09) ** 2) / (2 * 0.03**2)
        ) * np.exp(-((np.abs(layout.x_m[None, :]) - 0.05) ** 2) / (2 * 0.04**2))
        pattern = peak * (load[:, None] * blobs + 0.3 * thigh_load[:, None] * thigh)
        base = rng.uniform(5.0, 30.0, layout.n_cells)
        drift = np.stack(
            [3.0 * smooth_noise(rng, n_sec, 600.0) for _ in range(layout.n_cells)], axis=1
        )
        pattern += base[None, :] + drift
        self.pattern = pattern
        self.noise_sd = rng.uniform(1.5, 3.0)
        self.rng = rng

    def samples(self, sec: IntArray) -> FloatArray:
        """The mat's samples in the whole seconds ``sec`` (the next samples: the noise
        goes on from the samples of the call before)."""
        out = np.empty((sec.shape[0], self.pattern.shape[1]), dtype=np.float64)
        chunk = 1 << 18
        for a in range(0, sec.shape[0], chunk):
            b = min(a + chunk, sec.shape[0])
            block = self.pattern[sec[a:b]]
            block += self.noise_sd * self.rng.standard_normal(block.shape, dtype=np.float32)
            np.maximum(block, 0.0, out=block)
            out[a:b] = block
        return out
