"""Spearman's rank correlation with average ranks for ties (pure numpy)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from analytics.records import FloatArray


def rank(x: FloatArray) -> FloatArray:
    """Ranks 1 … n, ties given their average rank."""
    n = x.shape[0]
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = np.arange(1, n + 1, dtype=np.float64)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return np.asarray(sums[inverse] / counts[inverse], dtype=np.float64)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson's r of the average ranks); None with fewer
    than 2 pairs or when either series is constant."""
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("x and y must be 1-D and of the same length")
    if a.shape[0] < 2:
        return None
    ra, rb = rank(a), rank(b)
    da, db = ra - ra.mean(), rb - rb.mean()
    den = math.sqrt(float(np.dot(da, da)) * float(np.dot(db, db)))
    if den == 0.0:
        return None
    return max(-1.0, min(1.0, float(np.dot(da, db)) / den))


__all__ = ["rank", "spearman"]
