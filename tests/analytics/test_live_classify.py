"""The live engine's classification step (work shared between the posture rules and
kept across steps) gives exactly what classifying every window whole gives
(tests/analytics/live_reference.py): in any chunking of the data, any rhythm of
process calls, with gaps in either sensor and with the calibration changing (learned
from the data, and on the person's ``calibrate`` command)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from analytics import live_engine
from analytics.alert_records import Alert
from analytics.calibration_evidence import gather
from analytics.epoch_terms import EpochTerms
from analytics.live import evidence_of
from analytics.live_steps import EngineOutput
from analytics.params import PostureParams
from analytics.pipeline import Analysis
from analytics.records import (
    Epochs,
    FloatArray,
    Posture,
    Recording,
    ThighCalibration,
    Timeline,
    TrunkCalibration,
)
from collector.service.engine import LiveEngine
from collector.sources.messages import Role, SampleBlock
from collector.sources.simulator import Profile, simulate
from tests.analytics import live_reference

T0 = 1_795_420_800.0


def with_gaps(rec: Recording, rng: np.random.Generator) -> Recording:
    """``rec`` with a few spans of one sensor's or both sensors' samples missing."""
    thigh, trunk = rec.thigh_acc_g, rec.trunk_acc_g
    assert thigh is not None
    assert trunk is not None
    thigh, trunk = thigh.copy(), trunk.copy()
    t = rec.t_s
    for _ in range(int(rng.integers(2, 5))):
        start = float(rng.uniform(t[0], t[-1]))
        length = float(rng.choice([3.0, 20.0, 90.0, 400.0, 900.0]) * rng.uniform(0.5, 1.5))
        lo, hi = np.searchsorted(t, [start, start + length])
        which = int(rng.integers(0, 3))
        if which in (0, 2):
            thigh[lo:hi] = np.nan
        if which in (1, 2):
            trunk[lo:hi] = np.nan
    return Recording(t_s=t, thigh_acc_g=thigh, trunk_acc_g=trunk, cadence_rpm=rec.cadence_rpm)


def feed(
    engine: LiveEngine, rec: Recording, cuts: list[int], flush_every: int, calibrate_at: set[int]
) -> tuple[list[EngineOutput], list[Alert]]:
    outs: list[EngineOutput] = []
    answers: list[Alert] = []
    t = rec.t_s
    columns: list[tuple[Role, FloatArray | None]] = [
        (Role.THIGH, rec.thigh_acc_g),
        (Role.TRUNK, rec.trunk_acc_g),
    ]
    for k, (a, c) in enumerate(itertools.pairwise(cuts)):
        for role, col in columns:
            assert col is not None
            ok = np.isfinite(col[a:c]).all(axis=1)
            if ok.any():
                engine.accept(SampleBlock("d", "sim", role, t[a:c][ok], acc_g=col[a:c][ok]))
        if rec.cadence_rpm is not None:
            cad = rec.cadence_rpm[a:c]
            ok = np.isfinite(cad)
            if ok.any():
                engine.accept(
                    SampleBlock("b", "sim", Role.BIKE, t[a:c][ok], cadence_rpm=cad[ok, None])
                )
        if k % flush_every == 0:
            outs.append(engine.process())
        if k in calibrate_at:
            answers += engine.command("calibrate")
    outs.append(engine.process(flush=True))
    return outs, answers


@pytest.mark.parametrize(
    ("profile", "seed"), [("desk", 1), ("cyclist", 2), ("desk", 7), ("cyclist", 5)]
)
def test_same_output_as_classifying_every_window_whole(
    profile: Profile, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    rec = with_gaps(simulate(profile, 0.8, seed, start_t_s=T0).recording, rng)
    n = rec.t_s.shape[0]
    sizes = rng.integers(1, 1500, size=n // 10)
    cuts = sorted(set([0, *np.minimum(np.cumsum(sizes), n).tolist()]))
    flush_every = int(rng.integers(1, 4))
    n_chunks = len(cuts) - 1
    calibrate_at = {int(k) for k in rng.integers(n_chunks // 3, n_chunks, size=2)}
    roles = {Role.THIGH, Role.TRUNK} | ({Role.BIKE} if rec.cadence_rpm is not None else set())

    new_engine = LiveEngine(roles)
    new, new_answers = feed(new_engine, rec, cuts, flush_every, calibrate_at)
    with monkeypatch.context() as m:
        m.setattr(live_engine, "decide_window", live_reference.decide_window)
        ref_engine = LiveEngine(roles)
        ref, ref_answers = feed(ref_engine, rec, cuts, flush_every, calibrate_at)

    a = [o.seconds for o in new if o.seconds is not None]
    b = [o.seconds for o in ref if o.seconds is not None]
    assert [s.t0_s for s in a] == [s.t0_s for s in b]
    assert sum(s.n for s in a) > 0.5 * 3600  # most seconds (gaps of a break are skipped)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.posture, y.posture)
        np.testing.assert_array_equal(x.hip_flexion_deg, y.hip_flexion_deg)
        np.testing.assert_array_equal(x.data, y.data)
    assert [o.events for o in new] == [o.events for o in ref]
    assert [o.alerts for o in new] == [o.alerts for o in ref]
    assert [o.bouts for o in new] == [o.bouts for o in ref]
    assert new_answers == ref_answers
    new_rev = [r for o in new for r in o.revisions]
    ref_rev = [r for o in ref for r in o.revisions]
    assert [(r.day, r.t0_s, r.hip_gt90_s, r.totals) for r in new_rev] == [
        (r.day, r.t0_s, r.hip_gt90_s, r.totals) for r in ref_rev
    ]
    for x, y in zip(new_rev, ref_rev, strict=True):
        np.testing.assert_array_equal(x.hip_flexion_deg, y.hip_flexion_deg)
    # the calibration learned and its evidence, to the last bit
    assert json.dumps(new_engine.state_dict()) == json.dumps(ref_engine.state_dict())


def random_analysis(rng: np.random.Generator, n: int) -> Analysis:
    """A window's analysis with a posture that changes every few seconds and a trunk
    that tilts at random (many transitions, each with its own tilt)."""
    thigh_mean = rng.normal(size=(n, 3))
    thigh_mean[rng.random(n) < 0.05] = np.nan
    trunk_mean = np.array([0.0, 0.0, 1.0]) + rng.normal(scale=0.4, size=(n, 3))
    trunk_mean[rng.random(n) < 0.05] = np.nan
    ep = Epochs(
        t0_s=1000,
        count=rng.integers(0, 3, size=n) * 25,
        thigh_mean_g=thigh_mean / np.linalg.norm(thigh_mean, axis=1)[:, None],
        thigh_std_g=rng.uniform(0.0, 0.1, size=n),
        thigh_range_g=rng.uniform(0.0, 0.5, size=n),
        trunk_mean_g=trunk_mean,
    )
    kinds = np.array([Posture.SITTING, Posture.UPRIGHT, Posture.LYING, Posture.RIDING_SEATED])
    posture = np.repeat(kinds[rng.integers(0, 4, size=n)], rng.integers(1, 6, size=n))[:n]
    thigh = ThighCalibration(up=np.array([0.0, 0.0, 1.0]), forward=np.array([1.0, 0.0, 0.0]))
    trunk = TrunkCalibration(up=np.array([0.0, 0.0, 1.0]), forward=np.array([0.0, 1.0, 0.0]))
    timeline = Timeline(t0_s=1000, posture=posture.astype(np.int8), hip_flexion_deg=np.zeros(n))
    terms = EpochTerms.of(ep, PostureParams(), thigh, trunk) if rng.random() < 0.5 else None
    return Analysis(timeline=timeline, epochs=ep, thigh=thigh, trunk=trunk, terms=terms)


def test_evidence_of_the_kept_seconds_is_that_of_the_whole_window() -> None:
    rng = np.random.default_rng(3)
    p = PostureParams()
    for _ in range(300):
        n = int(rng.integers(1, 120))
        a = random_analysis(rng, n)
        lo = int(rng.integers(0, n + 1))
        hi = int(rng.integers(lo, n + 1))
        assert a.epochs is not None
        assert a.thigh is not None
        whole = gather(a.epochs, a.timeline.posture, a.thigh, a.trunk, lo, hi, p)
        assert evidence_of(a, lo, hi, p).to_dict() == whole.to_dict()
