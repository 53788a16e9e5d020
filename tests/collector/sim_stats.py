"""Per-second statistics of simulated recordings, computed from the raw samples
(independently of ``analytics.epochs``) so that the simulator tests check the
simulator alone; and the simulated days they share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest

from analytics.records import BoolArray, FloatArray, Int8Array, IntArray, Posture, Recording
from collector.sources.simulator import Simulated, simulate


@dataclass(frozen=True)
class PerSecond:
    count: IntArray
    mean: FloatArray  # (n, 3) thigh mean, NaN in empty seconds
    std: FloatArray  # RMS deviation of the thigh vector
    trunk_mean: FloatArray | None


def per_second(rec: Recording, t0_s: int, n_sec: int) -> PerSecond:
    assert rec.thigh_acc_g is not None
    sec = np.floor(rec.t_s - t0_s).astype(np.int64)
    count = np.bincount(sec, minlength=n_sec)
    assert count.shape[0] == n_sec

    def mean3(a: FloatArray) -> FloatArray:
        sums = np.stack([np.bincount(sec, a[:, k], n_sec) for k in range(3)], axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = sums / count[:, None]
        return out

    mean = mean3(rec.thigh_acc_g)
    sq = np.bincount(sec, np.einsum("ij,ij->i", rec.thigh_acc_g, rec.thigh_acc_g), n_sec)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = sq / count - np.einsum("ij,ij->i", mean, mean)
    trunk = None if rec.trunk_acc_g is None else mean3(rec.trunk_acc_g)
    return PerSecond(count, mean, np.sqrt(np.maximum(var, 0.0)), trunk)


def angle_deg(rows: FloatArray, v: FloatArray) -> FloatArray:
    d = rows / np.linalg.norm(rows, axis=1)[:, None]
    out: FloatArray = np.degrees(np.arccos(np.clip(d @ v, -1.0, 1.0)))
    return out


def runs(values: npt.ArrayLike) -> tuple[IntArray, IntArray, IntArray]:
    """(start, length, value) of runs of equal values."""
    v = np.asarray(values)
    change = np.flatnonzero(v[1:] != v[:-1]) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [v.shape[0]])))
    return starts, lengths, v[starts]


def interior(posture: Int8Array, p: Posture, margin: int = 3) -> BoolArray:
    """Seconds in posture ``p`` with ``margin`` seconds of the same posture each side."""
    m: BoolArray = posture == p
    out = m.copy()
    for k in range(1, margin + 1):
        out[k:] &= m[:-k]
        out[:-k] &= m[k:]
        out[:k] = False
        out[-k:] = False
    return out


@pytest.fixture(scope="module")
def desk() -> Simulated:
    return simulate("desk", 12.0, 11, fs_hz=20.0)


@pytest.fixture(scope="module")
def desk_stats(desk: Simulated) -> PerSecond:
    return per_second(desk.recording, desk.truth.t0_s, desk.truth.n)


@pytest.fixture(scope="module")
def cyclist() -> Simulated:
    return simulate("cyclist", 5.0, 12, fs_hz=25.0)


@pytest.fixture(scope="module")
def cyclist_stats(cyclist: Simulated) -> PerSecond:
    return per_second(cyclist.recording, cyclist.truth.t0_s, cyclist.truth.n)
