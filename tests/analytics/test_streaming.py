"""The streaming engine gives exactly what the batch function gives, for any chunking."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.bouts import compression
from analytics.compression import ExposureParams
from analytics.records import Posture, Timeline
from analytics.stream_state import StreamState, begin
from analytics.streaming import advance, finish, run_chunks

LENGTHS = st.one_of(
    st.integers(1, 30), st.sampled_from([9, 10, 119, 120, 121, 1799, 1800]), st.integers(30, 4000)
)


@st.composite
def timelines(draw: st.DrawFn) -> Timeline:
    parts = draw(
        st.lists(st.tuples(st.sampled_from(list(Posture)), LENGTHS), min_size=1, max_size=25)
    )
    posture = np.concatenate([np.full(n, int(p), dtype=np.int8) for p, n in parts])
    n = posture.shape[0]
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    hip = 90.0 + np.cumsum(rng.normal(0, 3, n))
    hip[rng.random(n) < 0.05] = np.nan
    hip[posture == Posture.NONWEAR] = np.nan
    dt = draw(st.sampled_from([1.0, 0.1]))
    seat = draw(st.booleans())
    load = peak = None
    if seat:
        load = np.abs(rng.normal(500, 100, n))
        peak = np.abs(rng.normal(40, 10, n))
        peak[rng.random(n) < 0.1] = np.nan
    return Timeline(
        t0_s=draw(st.integers(0, 2_000_000_000)),
        posture=posture,
        hip_flexion_deg=hip,
        dt_s=dt,
        seat_load=load,
        seat_peak=peak,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tl=timelines(), data=st.data())
def test_streaming_equals_batch_for_any_chunking(tl: Timeline, data: st.DataObject) -> None:
    p = ExposureParams(break_s=data.draw(st.sampled_from([120.0, 30.0, 300.0])))
    batch = compression(tl, p)
    sizes = data.draw(st.lists(st.integers(1, max(1, tl.n)), max_size=12))
    stream = run_chunks(tl, sizes, p)
    assert stream.bouts == batch.bouts
    assert stream.breaks == batch.breaks
    assert stream.events == batch.events


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tl=timelines())
def test_one_step_at_a_time(tl: Timeline) -> None:
    if tl.n > 3000:
        tl = Timeline(
            t0_s=tl.t0_s, posture=tl.posture[:3000], hip_flexion_deg=tl.hip_flexion_deg[:3000]
        )
    batch = compression(tl)
    stream = run_chunks(tl, [1] * tl.n, round_trip=False)
    assert stream.bouts == batch.bouts
    assert stream.breaks == batch.breaks
    assert stream.events == batch.events


def test_state_survives_a_restart_mid_bout() -> None:
    posture = np.full(3600, Posture.SITTING, dtype=np.int8)
    hip = np.full(3600, 95.0)
    st0 = begin(1_700_000_000.0)
    st1, out1 = advance(st0, posture[:1500], hip[:1500])
    saved = st1.to_dict()
    import json

    restored = StreamState.from_dict(json.loads(json.dumps(saved)))
    st2, out2 = advance(restored, posture[1500:], hip[1500:])
    minutes = [e.value for e in (*out1.events, *out2.events) if e.kind == "bout_minutes"]
    assert minutes == [30.0, 40.0, 50.0]
    bout = finish(st2).bouts[0]
    assert bout.start_s == 1_700_000_000.0
    assert bout.seated_s == 3600.0
    assert bout.hip_gt90_s == 3600.0
    assert abs(bout.hip_dose_deg_min - 5.0 * 60.0) < 1e-9


def test_a_damaged_state_is_a_clear_error() -> None:
    import pytest

    with pytest.raises(ValueError, match="version"):
        StreamState.from_dict({"t0_s": 0.0, "dt_s": 1.0})
    with pytest.raises(ValueError, match="damaged"):
        StreamState.from_dict({"t0_s": 0.0, "dt_s": 1.0, "version": 1, "bogus": 3})


def test_issue_16_an_11_s_dropout_pauses_the_bout_one_step_at_a_time() -> None:
    s, n = int(Posture.SITTING), int(Posture.NONWEAR)
    posture = np.array([s] * 1500 + [n] * 11 + [s] * 1020, dtype=np.int8)
    tl = Timeline(t0_s=1_000, posture=posture, hip_flexion_deg=np.full(posture.shape[0], 80.0))
    out = run_chunks(tl, [1] * tl.n)
    (bout,) = out.bouts
    assert (bout.ended_by, bout.duration_s, bout.paused_s) == ("open", 2520.0, 11.0)
    minutes = [(e.t_s - 1_000, e.value) for e in out.events if e.kind == "bout_minutes"]
    assert minutes == [(1811.0, 30.0), (2411.0, 40.0)]
    assert [e.kind for e in out.events].count("bout_ended") == 0
