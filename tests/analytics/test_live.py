"""Live posture helpers, the per-step hip clock of the streaming engine, and the
pause of a restart."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import alert_rules, stream_state, streaming
from analytics.alert_params import AlertParams
from analytics.alert_records import AlertInput, AlertKind, hip_gt90_s_from_stream
from analytics.alert_state import AlertState
from analytics.epochs import epochs_from_recording
from analytics.live import (
    DATA_NONE,
    DATA_OFF,
    DATA_OK,
    LiveParams,
    calibrate_window,
    classify_window,
)
from analytics.live_state import DayTotals, add_seconds, calibration_from_dict, calibration_to_dict
from analytics.orientation import walking_seconds
from analytics.params import PostureParams
from analytics.records import Posture, Recording
from tests.analytics.signals import Part, build


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.sampled_from([1, 2, 3, 0]), st.booleans(), st.integers(1, 40)),
        min_size=1,
        max_size=25,
    ),
    cuts=st.lists(st.integers(1, 400), max_size=6),
)
def test_hip_series_matches_the_state_after_every_step(
    data: list[tuple[int, bool, int]], cuts: list[int]
) -> None:
    post = np.concatenate([np.full(n, p, dtype=np.int8) for p, _, n in data])
    hip = np.concatenate([np.full(n, 100.0 if up else 80.0) for _, up, n in data])
    ref = []
    s = stream_state.begin(0.0)
    for i in range(post.shape[0]):
        s, _ = streaming.advance(s, post[i : i + 1], hip[i : i + 1])
        ref.append(hip_gt90_s_from_stream(s))
    got: list[float] = []
    s2 = stream_state.begin(0.0)
    bounds = sorted({0, post.shape[0], *(c for c in cuts if c < post.shape[0])})
    for a, b in itertools.pairwise(bounds):
        s2, out = streaming.advance(s2, post[a:b], hip[a:b])
        assert out.hip_gt90_s is not None
        got += out.hip_gt90_s.tolist()
    assert got == pytest.approx(ref)


def _sitting(seconds: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full(seconds, Posture.SITTING, dtype=np.int8), np.full(seconds, 80.0)


def test_pause_keeps_the_bout_length_and_does_not_end_it() -> None:
    p, h = _sitting(1500)
    s, _ = streaming.advance(stream_state.begin(0.0), p, h)
    params = AlertParams(quiet_hours_s=())  # t = 0 is midnight UTC: no quiet hours here
    a, _ = alert_rules.run(
        AlertState(),
        params,
        [AlertInput(t_s=float(i), posture=Posture.SITTING) for i in range(1500)],
    )
    s = stream_state.pause(s, 60)
    a = alert_rules.pause(a, 60.0)
    assert a.bout_start_t_s == 60.0
    assert a.next_t_s == 1560.0
    s, out = streaming.advance(s, *_sitting(400))
    a, alerts = alert_rules.run(
        a,
        params,
        [AlertInput(t_s=1560.0 + i, posture=Posture.SITTING) for i in range(400)],
    )
    # 1500 s before the restart + 300 s after it: the 30-minute prompt, 60 s late in wall time
    prompt = [x for x in alerts if x.kind == AlertKind.PROMPT]
    assert len(prompt) == 1
    assert prompt[0].t_s == 1860.0
    assert prompt[0].bout_minutes == 30
    assert [e.t_s for e in out.events if e.kind.value == "bout_minutes"] == [1860.0]


def test_pause_rejects_negative() -> None:
    with pytest.raises(ValueError, match="steps"):
        stream_state.pause(stream_state.begin(0.0), -1)
    with pytest.raises(ValueError, match="gap_s"):
        alert_rules.pause(AlertState(), float("nan"))


def test_classify_window_marks_missing_and_off_seconds() -> None:
    b = build([Part("walk", 120), Part("stand", 60), Part("sit", 300)], seed=1, t0_s=1000.0)
    rec = b.recording
    keep = ~((rec.t_s >= 1300.0) & (rec.t_s < 1320.0))  # 20 s without samples
    rec = Recording(t_s=rec.t_s[keep], thigh_acc_g=rec.thigh_acc_g[keep])  # type: ignore[index]
    thigh, trunk = calibrate_window(rec)
    w = classify_window(rec, 1250, 1400, thigh=thigh, trunk=trunk)
    assert w.n == 150
    assert w.t0_s == 1250
    assert (w.data[50:70] == DATA_NONE).all()
    assert (w.posture[50:70] == Posture.NONWEAR).all()
    assert (w.data[:50] == DATA_OK).all()
    assert (w.posture[:50] == Posture.SITTING).all()
    assert DATA_OFF not in w.data[:50]
    # past the last sample: no data
    tail = classify_window(rec, 1470, 1500, thigh=thigh, trunk=trunk)
    assert (tail.data[-15:] == DATA_NONE).all()


def test_calibration_round_trips_through_json() -> None:
    b = build([Part("walk", 120), Part("stand", 60), Part("sit", 120)], seed=3, trunk=True)
    thigh, trunk = calibrate_window(b.recording)
    d = json.loads(json.dumps(calibration_to_dict(thigh, trunk)))
    th2, tr2 = calibration_from_dict(d)
    assert th2 is not None
    assert tr2 is not None
    assert trunk is not None
    np.testing.assert_allclose(th2.up, thigh.up)
    np.testing.assert_allclose(tr2.forward, trunk.forward)
    assert th2.sit_threshold_deg == thigh.sit_threshold_deg
    with pytest.raises(ValueError, match="calibrat"):
        calibration_from_dict({"thigh": {"up": [1, 0, 0]}})


def test_day_totals_start_afresh_on_a_new_day() -> None:
    post = np.array(
        [Posture.SITTING] * 3 + [Posture.RIDING_SEATED] * 2 + [Posture.UPRIGHT] * 5, dtype=np.int8
    )
    hip = np.array([95.0, 80, 95, 100, 80, 95, 95, 95, 95, 95])
    t = add_seconds(DayTotals(day=1), 1, post, hip, bouts_reached=1)
    assert (t.compression_s, t.hip_gt90_s, t.saddle_s, t.bouts_over_30) == (5.0, 3.0, 2.0, 1)
    t2 = add_seconds(t, 2, post, hip)
    assert t2.day == 2
    assert t2.compression_s == 5.0
    assert t2.bouts_over_30 == 0
    assert DayTotals.from_dict(t2.to_dict()) == t2


def test_live_params_are_checked() -> None:
    with pytest.raises(ValueError, match="lag_s"):
        LiveParams(lag_s=3)


def test_a_merged_window_still_shows_the_walking_rhythm() -> None:
    """The live engine merges the sensors' samples on one time axis (the thigh column
    is NaN on the trunk's rows): walking must be found as in the thigh's own samples,
    or a live window never calibrates from walking (issue 11, live = batch)."""
    b = build([Part("walk", 90), Part("stand", 30)], seed=3, trunk=True)
    rec = b.recording
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    n = rec.n
    merged = Recording(
        t_s=np.concatenate([rec.t_s, rec.t_s + 0.001]),
        thigh_acc_g=np.concatenate([rec.thigh_acc_g, np.full((n, 3), np.nan)]),
        trunk_acc_g=np.concatenate([np.full((n, 3), np.nan), rec.trunk_acc_g]),
    )
    order = np.argsort(merged.t_s, kind="stable")
    merged = Recording(
        t_s=merged.t_s[order],
        thigh_acc_g=merged.thigh_acc_g[order] if merged.thigh_acc_g is not None else None,
        trunk_acc_g=merged.trunk_acc_g[order] if merged.trunk_acc_g is not None else None,
    )
    p = PostureParams()
    alone = walking_seconds(epochs_from_recording(rec), p)
    together = walking_seconds(epochs_from_recording(merged), p)
    assert alone.sum() >= 30
    assert together.sum() == alone.sum()
    thigh, trunk = calibrate_window(merged)
    assert thigh.source == "auto"
    assert trunk is not None


def test_a_fast_replay_takes_longer_steps_and_sensors_keep_ten_seconds() -> None:
    live = LiveParams()
    assert live.paced(1.0).step_s == live.step_s == 10  # BLE sensors, real time
    assert live.paced(60.0).step_s == 10
    assert live.paced(1000.0).step_s == 100  # 0.1 s of wall time per step
    assert live.paced(1e6).step_s == live.replay_step_s == 600
    assert live.paced(float("inf")).step_s == 600  # replay as fast as it goes
    with pytest.raises(ValueError, match="replay_step_s"):
        LiveParams(step_s=30, replay_step_s=20)
