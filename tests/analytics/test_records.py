"""The records' own helpers (analytics/records.py)."""

from __future__ import annotations

import dataclasses

import numpy as np

from analytics.records import Epochs


def test_a_part_of_epochs_holds_those_seconds_of_every_array() -> None:
    n = 8
    rng = np.random.default_rng(1)
    ep = Epochs(
        t0_s=1000,
        count=np.arange(n),
        thigh_mean_g=rng.normal(size=(n, 3)),
        thigh_std_g=rng.random(n),
        thigh_range_g=rng.random(n),
        trunk_mean_g=rng.normal(size=(n, 3)),
        cadence_rpm=rng.random(n),
        thigh_rhythm_steady=rng.random(n) > 0.5,
    )
    part = ep.part(2, 5)
    assert part.t0_s == 1002
    assert part.n == 3
    for f in dataclasses.fields(Epochs):
        if f.name == "t0_s":
            continue
        whole, cut = getattr(ep, f.name), getattr(part, f.name)
        if whole is None:  # a sensor or feature not there stays absent
            assert cut is None, f.name
        else:
            np.testing.assert_array_equal(cut, whole[2:5], err_msg=f.name)
    assert part.trunk_std_g is None
    assert np.shares_memory(part.thigh_mean_g, ep.thigh_mean_g)  # views, not copies
