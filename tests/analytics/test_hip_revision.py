"""Revising the live hip angle once the calibration has moved (issue 11): the stored
seconds of a day whose early reference was one leaning stance end up as the batch
pipeline gives them on the same data."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

from analytics.hip_revision import (
    REVISE_FROM_DEG,
    Directions,
    HipDay,
    HipRevision,
    hip_gt90_s,
    revised_hip_deg,
    revised_over,
)
from analytics.live import WindowSeconds
from analytics.live_engine import LiveEngine
from analytics.pipeline import analyze_recording
from analytics.records import Posture, Recording, ThighCalibration, TrunkCalibration
from tests.analytics.signals import Part, build, random_rotation

DAY_S = 86400
ONE_STANCE_FIRST = [
    Part("walk", 60),
    Part("stand", 20, theta_deg=4.0, phi_deg=4.0),  # the only stance for a while, leaning
    Part("sit", 1800, phi_deg=6.0),  # hip 94°: beyond 90°
    Part("stand", 600),  # upright: the reference moves here
    Part("sit", 1200, phi_deg=6.0),
    Part("walk", 60),
]


def _tilted(deg: float) -> np.ndarray:
    """The unit vector ``deg`` from +x towards +y."""
    r = np.radians(deg)
    return np.array([np.cos(r), np.sin(r), 0.0])


def test_revised_angles_follow_the_new_reference_and_never_change_what_is_unknown() -> None:
    up, forward = _tilted(0.0), _tilted(90.0)
    sitting = np.tile(_tilted(92.0), (4, 1)).astype(np.float32)
    trunk_dirs = np.tile(np.cos(np.radians(5.0)) * up - np.sin(np.radians(5.0)) * forward, (4, 1))
    directions = Directions(sitting, trunk_dirs.astype(np.float32))
    posture = np.array([Posture.SITTING] * 3 + [Posture.NONWEAR], dtype=np.int8)
    early = ThighCalibration(up=_tilted(4.0), forward=_tilted(94.0))
    stored = revised_hip_deg(posture, np.zeros(4), directions, early, None)
    np.testing.assert_allclose(stored[:3], 88.0, atol=1e-4)  # thigh-only, off by the lean
    assert np.isnan(stored[3])
    stored[1] = np.nan  # unknown when emitted: stays unknown
    later = ThighCalibration(up=up, forward=forward)
    trunk = TrunkCalibration(up=up, forward=forward)
    hip = revised_hip_deg(posture, stored, directions, later, trunk)
    np.testing.assert_allclose(hip[[0, 2]], 97.0, atol=1e-4)  # 92° thigh + 5° lean
    assert np.isnan(hip[1])
    assert np.isnan(hip[3])
    # the provisional trunk (forward unknown) is not used
    provisional = TrunkCalibration(up=up, forward=forward, source="auto-provisional")
    hip = revised_hip_deg(posture, stored, directions, later, provisional)
    np.testing.assert_allclose(hip[[0, 2]], 92.0, atol=1e-4)


def test_a_day_is_revised_once_when_the_reference_moved_and_not_again() -> None:
    day = HipDay()
    n = 100
    directions = Directions(np.tile(_tilted(92.0), (n, 1)).astype(np.float32), None)
    posture = np.full(n, Posture.SITTING, dtype=np.int8)
    early = ThighCalibration(up=_tilted(4.0), forward=_tilted(94.0))
    hip = revised_hip_deg(posture, np.zeros(n), directions, early, None)
    data = np.zeros(n, dtype=np.int8)
    day.add(7, 1000, posture[:60], data[:60], hip[:60], Directions(directions.thigh[:60], None))
    # a hole of 10 s (no data), then the rest
    day.add(7, 1070, posture[60:], data[60:], hip[60:], Directions(directions.thigh[60:], None))
    assert day.n == n + 10
    assert day.revise(early, None) is None  # the same reference: nothing moved
    later = ThighCalibration(up=_tilted(0.0), forward=_tilted(90.0))
    rev = day.revise(later, None)
    assert isinstance(rev, HipRevision)
    assert (rev.day, rev.t0_s, rev.n) == (7, 1000, n + 10)
    assert (rev.hip_gt90_before_s, rev.hip_gt90_s) == (0.0, float(n))
    assert np.all(rev.posture[60:70] == Posture.NONWEAR)
    assert np.isnan(rev.hip_flexion_deg[60:70]).all()
    assert day.revise(later, None) is None  # the revised angles are the stored ones now
    slightly = ThighCalibration(up=_tilted(REVISE_FROM_DEG / 2), forward=_tilted(90.0))
    assert day.revise(slightly, None) is None  # not a material move
    assert day.nbytes < 40 * 3600  # bounded: a few tens of bytes a second


def _run_engine(rec: Recording) -> tuple[list[WindowSeconds], list[HipRevision], LiveEngine]:
    """Every second the engine emits (UTC days), and every revision of their hip
    angle (the last: the end of the run's)."""
    eng = LiveEngine({"thigh", "trunk"})
    t = rec.t_s
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + 2, 1.0))
    parts, revisions = [], []
    for a, c in itertools.pairwise(cuts):
        if c > a:
            eng.add_samples("thigh", t[a:c], rec.thigh_acc_g[a:c])
            eng.add_samples("trunk", t[a:c], rec.trunk_acc_g[a:c])
            out = eng.process()
            parts += [] if out.seconds is None else [out.seconds]
            revisions += out.revisions
    out = eng.process(flush=True)
    parts += [] if out.seconds is None else [out.seconds]
    revisions += [*out.revisions, *eng.revise_day()]  # the end of a run
    return parts, revisions, eng


def _one_stance_day(t0_s: float) -> Recording:
    rng = np.random.default_rng(5)
    return build(
        ONE_STANCE_FIRST,
        seed=3,
        trunk=True,
        mounting=random_rotation(rng),
        trunk_mounting=random_rotation(rng),
        t0_s=t0_s,
    ).recording


def test_the_revision_gives_the_batch_minutes_beyond_90_after_an_early_leaning_stance() -> None:
    rec = _one_stance_day(1_000_000.0)
    parts, revisions, eng = _run_engine(rec)
    t0 = parts[0].t0_s
    posture = np.concatenate([p.posture for p in parts])
    prompt_hip = np.concatenate([p.hip_flexion_deg for p in parts])
    hip = prompt_hip
    for rev in revisions:
        hip = revised_over(t0, hip, rev)
    batch = analyze_recording(rec).timeline
    b0, n = t0 - batch.t0_s, posture.shape[0]
    assert np.array_equal(posture, batch.posture[b0 : b0 + n])
    batch_s = hip_gt90_s(batch.posture[b0 : b0 + n], batch.hip_flexion_deg[b0 : b0 + n])
    assert batch_s >= 2900  # both sittings beyond 90°
    assert hip_gt90_s(posture, prompt_hip) < 0.5 * batch_s  # the case: the first sitting missed
    assert abs(hip_gt90_s(posture, hip) - batch_s) <= 0.01 * batch_s
    worn = np.isfinite(batch.hip_flexion_deg[b0 : b0 + n])
    np.testing.assert_allclose(hip[worn], batch.hip_flexion_deg[b0 : b0 + n][worn], atol=0.2)
    # the day's totals (the live status, the daily record) are the revised figure
    assert len(revisions) == 1
    assert eng.totals is not None
    assert revisions[0].totals == eng.totals
    assert eng.totals.hip_gt90_s == hip_gt90_s(posture, hip)


def test_a_day_closed_by_midnight_is_revised_with_its_totals() -> None:
    midnight = 20_000 * DAY_S
    rec = _one_stance_day(midnight - 2400.0)  # midnight in the first sitting
    parts, revisions, eng = _run_engine(rec)
    t0 = parts[0].t0_s
    posture = np.concatenate([p.posture for p in parts])
    hip = np.concatenate([p.hip_flexion_deg for p in parts])
    closed = [r for r in revisions if r.day == midnight // DAY_S - 1]
    assert len(closed) == 1
    first = closed[0]
    assert first.t0_s == t0
    assert first.t0_s + first.n == midnight
    assert first.totals is not None
    assert first.totals.day == first.day
    for rev in revisions:
        hip = revised_over(t0, hip, rev)
    before = slice(0, midnight - t0)
    assert first.totals.hip_gt90_s == hip_gt90_s(posture[before], hip[before])
    assert first.hip_gt90_s > first.hip_gt90_before_s
    assert eng.totals is not None
    assert eng.totals.day == midnight // DAY_S


def test_a_calibrate_command_revises_the_day_so_far_with_the_calibration_before_it() -> None:
    """The sensor may have moved: the seconds before the command are revised with the
    calibration they belong to, and the next revision starts after them."""
    rec = _one_stance_day(1_000_000.0)
    eng = LiveEngine({"thigh", "trunk"})
    t = rec.t_s
    assert rec.thigh_acc_g is not None
    assert rec.trunk_acc_g is not None
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + 2, 1.0))  # to the last walk
    for a, c in itertools.pairwise(cuts):
        eng.add_samples("thigh", t[a:c], rec.thigh_acc_g[a:c])
        eng.add_samples("trunk", t[a:c], rec.trunk_acc_g[a:c])
        assert eng.process().revisions == ()
    expected = copy.deepcopy(eng.hip_day).revise(eng.thigh, eng.trunk)
    assert expected is not None
    assert eng.thigh is not None
    up_before = eng.thigh.up
    (answer,) = eng.command("calibrate")
    assert answer.kind.value == "status"
    assert eng.thigh is not None
    assert float(np.degrees(np.arccos(np.clip(up_before @ eng.thigh.up, -1, 1)))) > 1.0
    assert eng.hip_day.n == 0  # forgotten: the next revision starts after the command
    (rev,) = eng.process(flush=True).revisions
    assert (rev.t0_s, rev.n) == (expected.t0_s, expected.n)
    np.testing.assert_array_equal(rev.hip_flexion_deg, expected.hip_flexion_deg)
    assert rev.hip_gt90_s > rev.hip_gt90_before_s  # the first sitting, now beyond 90°


@pytest.mark.parametrize("seed", range(30))
def test_directions_from_the_windows_unit_rows_are_the_sliced_ones(seed: int) -> None:
    """directions_of with the unit rows of the whole window (what the live step has
    already) gives the same bits as scaling the seconds' own rows."""
    from analytics.geometry import unit_rows
    from analytics.hip_revision import directions_of
    from analytics.records import Epochs

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 800))
    thigh = rng.normal(size=(n, 3)) * 10 ** rng.uniform(-2, 0.5, size=(n, 1))
    trunk = rng.normal(size=(n, 3))
    thigh[rng.random(n) < 0.05] = np.nan
    ep = Epochs(1000, np.full(n, 50), thigh, np.ones(n), np.ones(n), trunk_mean_g=trunk)
    from_s = 1000 + int(rng.integers(-20, n))
    k = int(rng.integers(1, 40))
    want = directions_of(ep, from_s, k)
    got = directions_of(ep, from_s, k, (unit_rows(thigh), unit_rows(trunk)))
    assert got.thigh.tobytes() == want.thigh.tobytes()
    assert got.trunk is not None
    assert want.trunk is not None
    assert got.trunk.tobytes() == want.trunk.tobytes()
