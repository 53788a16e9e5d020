"""Spearman's rank correlation (analytics/rank_correlation.py)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.rank_correlation import rank, spearman


def test_spearman_and_ranks() -> None:
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(0.8207826816681233)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(0.9486832980505138)
    assert spearman([3, 2, 1], [1, 2, 3]) == pytest.approx(-1.0)
    assert spearman([1, 1, 1], [1, 2, 3]) is None
    assert spearman([1], [2]) is None
    assert list(rank(np.array([10.0, 20.0, 20.0, 5.0]))) == [2.0, 3.5, 3.5, 1.0]
    with pytest.raises(ValueError, match="same length"):
        spearman([1, 2], [1, 2, 3])
