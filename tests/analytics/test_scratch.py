from __future__ import annotations

import threading

import numpy as np

from analytics.bouts import compression
from analytics.records import Posture, Timeline
from analytics.scratch import MAX_CACHED_STEPS, scratch


def test_a_slot_is_reused_and_large_requests_are_fresh() -> None:
    a = scratch("t-slot", 1000, np.float64)
    b = scratch("t-slot", 500, np.float64)
    assert np.shares_memory(a, b)
    assert not np.shares_memory(a, scratch("t-other", 1000, np.float64))
    big1 = scratch("t-big", MAX_CACHED_STEPS + 1, np.bool_)
    big2 = scratch("t-big", MAX_CACHED_STEPS + 1, np.bool_)
    assert not np.shares_memory(big1, big2)


def test_threads_do_not_share_buffers() -> None:
    mine = scratch("t-thread", 100, np.float64)
    theirs: list[np.ndarray] = []
    t = threading.Thread(target=lambda: theirs.append(scratch("t-thread", 100, np.float64)))
    t.start()
    t.join()
    assert not np.shares_memory(mine, theirs[0])


def test_results_do_not_alias_scratch_buffers() -> None:
    def tl(hip: float) -> Timeline:
        posture = np.full(3600, int(Posture.SITTING), dtype=np.int8)
        return Timeline(t0_s=0, posture=posture, hip_flexion_deg=np.full(3600, hip))

    first = compression(tl(100.0))
    snapshot = [(b.hip_gt90_s, b.hip_dose_deg_min) for b in first.bouts]
    compression(tl(80.0))  # reuses the same scratch buffers
    assert [(b.hip_gt90_s, b.hip_dose_deg_min) for b in first.bouts] == snapshot
    assert snapshot == [(3600.0, 600.0)]
