"""Time jumps split a recording into segments; segments share one calibration."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.epochs import epochs_from_recording, with_trunk_deviation
from analytics.pipeline import analyze_thigh
from analytics.records import Recording
from analytics.segments import (
    TimeJumpParams,
    TimeSegment,
    analyze_segments,
    jump_indices,
    split_times,
)
from collector.sources.simulator import simulate


def test_jumps_are_backwards_or_forward_beyond_the_limit() -> None:
    t = np.array([0.0, 1.0, 2.0, 1.5, 100.0, 101.0, 3e9])
    assert jump_indices(t, TimeJumpParams(max_time_jump_s=50.0)).tolist() == [3, 4, 6]
    assert jump_indices(t, TimeJumpParams(max_time_jump_s=1e10)).tolist() == [3]


def test_split_times_names_rows_times_and_the_jump() -> None:
    t = np.array([0.0, 0.5, 4e9, 4e9 + 1])
    assert split_times(t) == [
        TimeSegment(0, 2, 0.0, 0.5, 0.0),
        TimeSegment(2, 2, 4e9, 4e9 + 1, 4e9 - 0.5),
    ]
    assert split_times(np.zeros(0)) == []


def test_a_pause_below_the_limit_stays_inside_one_segment() -> None:
    day_s = TimeJumpParams().max_time_jump_s
    t = np.array([0.0, 0.02, 0.02 + day_s * 0.99])
    assert len(split_times(t)) == 1


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_the_limit_must_be_a_positive_time(bad: float) -> None:
    with pytest.raises(ValueError, match="max_time_jump_s"):
        TimeJumpParams(max_time_jump_s=bad)


def _part(rec: Recording, a: int, b: int, shift_s: float = 0.0) -> Recording:
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    return Recording(
        t_s=rec.t_s[a:b] + shift_s,
        thigh_acc_g=rec.thigh_acc_g[a:b],
        trunk_acc_g=rec.trunk_acc_g[a:b],
    )


def test_one_segment_is_the_usual_analysis() -> None:
    rec = simulate("desk", 0.5, 5).recording
    ep = epochs_from_recording(rec)
    (got,) = analyze_segments([(ep, lambda e, s: with_trunk_deviation(rec, e, s))])
    want = analyze_thigh(rec)
    assert np.array_equal(got.timeline.posture, want.timeline.posture)
    assert np.array_equal(
        got.timeline.hip_flexion_deg, want.timeline.hip_flexion_deg, equal_nan=True
    )


def test_segments_share_the_calibration_learnt_from_all_of_them() -> None:
    """A clock switching from uptime to Unix time half-way: both halves are classified
    with the calibration of the whole recording, the same as without the jump."""
    rec = simulate("desk", 1.0, 6).recording
    half = rec.n // 2
    parts = [_part(rec, 0, half), _part(rec, half, rec.n, 1.7e9)]
    eps = [epochs_from_recording(p) for p in parts]
    a, b = analyze_segments(
        [
            (eps[0], lambda e, s: with_trunk_deviation(parts[0], e, s)),
            (eps[1], lambda e, s: with_trunk_deviation(parts[1], e, s)),
        ]
    )
    assert a.thigh == b.thigh
    assert a.trunk == b.trunk
    whole = analyze_thigh(rec)
    assert whole.thigh is not None
    assert a.thigh is not None
    assert np.degrees(np.arccos(np.clip(a.thigh.up @ whole.thigh.up, -1, 1))) < 2.0
    assert b.timeline.t0_s >= 1.7e9
    assert b.timeline.n + a.timeline.n <= whole.timeline.n + 2
    agree = np.mean(
        np.concatenate([a.timeline.posture, b.timeline.posture])[: whole.timeline.n]
        == whole.timeline.posture[: a.timeline.n + b.timeline.n]
    )
    assert agree > 0.97
