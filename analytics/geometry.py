"""Small vector helpers on unit directions (rotation-invariant building blocks)."""

from __future__ import annotations

import math

import numpy as np

from analytics.records import BoolArray, FloatArray


def unit_rows(v: FloatArray) -> FloatArray:
    """Rows scaled to unit length (NaN rows stay NaN, zero rows become NaN)."""
    norm = np.sqrt(np.einsum("ij,ij->i", v, v))
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = v / norm[:, None]
    return out


def unit(v: FloatArray) -> FloatArray:
    if v.ndim == 1 and v.dtype == np.float64:  # np.linalg.norm's own sum, without its wrapper
        n = math.sqrt(float(v.dot(v)))
    else:
        n = float(np.linalg.norm(v))
    if not np.isfinite(n) or n == 0.0:
        raise ValueError("cannot normalise a zero or non-finite vector")
    return np.asarray(v / n, dtype=np.float64)


def angle_deg(d: FloatArray, u: FloatArray) -> FloatArray:
    """Angle between each unit row of ``d`` and the unit vector ``u`` (0..180°)."""
    return np.asarray(np.degrees(np.arccos(np.clip(d @ u, -1.0, 1.0))), dtype=np.float64)


def axial_angle_deg(d: FloatArray, u: FloatArray) -> FloatArray:
    """Angle between each row of ``d`` and the *axis* ``±u`` (0..90°)."""
    return np.asarray(np.degrees(np.arccos(np.clip(np.abs(d @ u), 0.0, 1.0))), dtype=np.float64)


def perpendicular(u: FloatArray) -> FloatArray:
    """Some unit vector perpendicular to ``u``."""
    helper = np.eye(3)[int(np.argmin(np.abs(u)))]
    return unit(np.cross(u, helper))


def dominant_direction(
    d: FloatArray, cone_deg: float, *, max_points: int = 300, axial: bool = False
) -> tuple[FloatArray, BoolArray] | None:
    """The densest direction of unit rows ``d`` (mode within a cone), and its members.

    Deterministic: a strided subsample seeds the search, then the centre is refined
    on all rows. With ``axial`` the rows are treated as axes (±d is the same axis).
    Returns None when ``d`` is empty.
    """
    m = d.shape[0]
    if m == 0:
        return None
    cos_cone = float(np.cos(np.radians(cone_deg)))
    stride = max(1, m // max_points)
    sub = d[::stride]
    dots = sub @ sub.T
    if axial:
        dots = np.abs(dots)
    counts = np.count_nonzero(dots >= cos_cone, axis=1)
    center = sub[int(np.argmax(counts))]
    members = np.zeros(m, dtype=np.bool_)
    for _ in range(3):
        dots_all = d @ center
        if axial:
            members = np.abs(dots_all) >= cos_cone
            weights = np.where(members, np.sign(dots_all), 0.0)
        else:
            members = dots_all >= cos_cone
            weights = members.astype(np.float64)
        if not members.any():
            break
        new_center = unit(weights @ d)
        if float(new_center @ center) > 0.9999999:
            center = new_center
            break
        center = new_center
    return center, members
