"""skip_gap: a gap of any length in O(1), identical to feeding every no-data step."""

from __future__ import annotations

import tracemalloc

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.compression import EventKind, ExposureParams
from analytics.downtime import settle_steps, skip_gap
from analytics.records import Posture
from analytics.stream_state import StreamState, begin
from analytics.streaming import advance

P = ExposureParams()
CODES = [Posture.NONWEAR, Posture.SITTING, Posture.UPRIGHT, Posture.LYING]


def _runs(draw_runs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    posture = np.concatenate(
        [np.full(n, CODES[c], dtype=np.int8) for c, n in draw_runs] or [np.zeros(0, np.int8)]
    )
    hip = np.where(posture == Posture.SITTING, 95.0, 40.0)
    return posture, hip


runs_st = st.lists(st.tuples(st.integers(0, 3), st.integers(1, 900)), max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=runs_st, gap=st.integers(0, 3000), after=runs_st)
def test_skip_gap_is_advance_over_no_data(
    before: list[tuple[int, int]], gap: int, after: list[tuple[int, int]]
) -> None:
    st0, _ = advance(begin(1_700_000_000.0), *_runs(before), P)
    fed, fed_out = advance(
        st0, np.full(gap, Posture.NONWEAR, dtype=np.int8), np.full(gap, np.nan), P
    )
    skipped, skip_out = skip_gap(st0, gap, P)
    assert skipped == fed
    assert skip_out.events == fed_out.events
    assert skip_out.bouts == fed_out.bouts
    assert skip_out.breaks == fed_out.breaks
    # and what follows the gap is the same too
    posture, hip = _runs(after)
    a, out_a = advance(fed, posture, hip, P)
    b, out_b = advance(skipped, posture, hip, P)
    assert a == b
    assert out_a.events == out_b.events
    assert out_a.bouts == out_b.bouts


def test_a_year_long_gap_costs_no_memory_and_reports_its_length() -> None:
    sit = np.full(2400, Posture.SITTING, dtype=np.int8)
    state, _ = advance(begin(1_700_000_000.0), sit, np.full(2400, 70.0), P)
    assert state.in_bout
    year = 365 * 86_400
    tracemalloc.start()
    skipped, out = skip_gap(state, year, P)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1 << 20  # a year of float64 seconds would be 250 MB
    assert {e.kind for e in out.events} == {EventKind.GAP_STARTED, EventKind.BOUT_ENDED}
    assert skipped.index == state.index + year
    later, out2 = advance(skipped, sit[:5], np.full(5, 70.0), P)
    ended = [e for e in out2.events if e.kind == EventKind.GAP_ENDED]
    assert [e.value for e in ended] == [float(year)]
    assert [b.gap_s for b in out2.bouts] == [float(year)]
    assert isinstance(later, StreamState)


def test_settle_steps_covers_break_and_hip_debounce() -> None:
    assert settle_steps(P, 1.0) > P.break_s
    assert settle_steps(P, 1.0) > P.hip_event_hold_s
