"""The rhythm of thigh movement (steps vs pedal strokes) and what it anchors."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.calibration_errors import CalibrationError
from analytics.epochs import epochs_from_recording
from analytics.orientation import PEDALLING_SOURCE, calibrate_thigh, walking_seconds
from analytics.params import PostureParams
from analytics.pipeline import analyze_thigh
from analytics.records import Posture, Recording
from analytics.rhythm import _window_means, rhythm_features
from tests.analytics.signals import Part, build, random_rotation

P = PostureParams()


def _features(parts: list[Part], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rec = build(parts, seed=seed, mounting=random_rotation(np.random.default_rng(seed)))
    ep = epochs_from_recording(rec.recording)
    assert ep.thigh_pedal_share is not None
    assert ep.thigh_stride_ratio is not None
    inner = slice(5, ep.n - 5)
    return ep.thigh_pedal_share[inner], ep.thigh_stride_ratio[inner]


def test_walking_has_its_power_at_the_step_rate_and_swings_once_per_stride() -> None:
    share, stride = _features([Part("walk", 60)])
    assert np.nanmedian(share) <= P.step_share_max
    assert np.nanmedian(stride) >= P.stride_ratio_min


@pytest.mark.parametrize("rpm", [50.0, 70.0, 85.0])
def test_pedalling_puts_its_power_at_the_cadence(rpm: float) -> None:
    share, stride = _features([Part("pedal", 60, cadence_rpm=rpm)])
    assert np.nanmedian(share) >= P.pedal_share_min
    assert np.nanmedian(stride) < P.stride_ratio_min


def test_a_fast_cadence_reaches_step_rates_but_swings_once_per_stroke() -> None:
    """95 rpm pulses at walking rates; the thigh swings at the same rate, not half."""
    share, stride = _features([Part("pedal", 60, cadence_rpm=95.0)])
    assert np.nanmedian(share) < P.pedal_share_min
    assert np.nanmedian(stride) < P.stride_ratio_min


def test_a_gap_makes_the_rhythm_unknown_around_it() -> None:
    t = np.arange(0.0, 60.0, 0.02)
    keep = (t < 20.0) | (t >= 25.0)
    acc = np.tile([0.0, 0.0, 1.0], (keep.sum(), 1))
    count = np.bincount(np.floor(t[keep]).astype(np.int64), minlength=60)
    share, stride, steady = rhythm_features(t[keep], acc, 0, count, 6.0, 1.45)
    assert np.isnan(share[17:28]).all()
    assert np.isnan(stride[17:28]).all()
    assert np.isnan(share[:3]).all()  # the window runs past the start
    assert not steady[17:28].any()


def test_a_fast_ride_is_not_taken_for_walking() -> None:
    parts = [Part("walk", 90), Part("stand", 30), Part("pedal", 600, cadence_rpm=95.0)]
    b = build(parts, seed=4, mounting=random_rotation(np.random.default_rng(4)))
    ep = epochs_from_recording(b.recording)
    walk = walking_seconds(ep, P)
    assert not walk[130:].any()
    tl = analyze_thigh(b.recording).timeline
    assert np.mean(tl.posture[140:700] == Posture.RIDING_SEATED) > 0.95


def test_a_ride_without_walking_is_riding_from_pedalling_alone() -> None:
    parts = [Part("pedal", 900, cadence_rpm=75.0), Part("sit", 40), Part("pedal", 600)]
    b = build(parts, seed=5, mounting=random_rotation(np.random.default_rng(5)))
    a = analyze_thigh(b.recording)
    assert a.thigh is not None
    assert a.thigh.source == PEDALLING_SOURCE
    riding = np.isin(a.timeline.posture, (Posture.RIDING_SEATED, Posture.RIDING_STANDING))
    assert np.mean(riding) > 0.95
    assert np.isnan(a.timeline.hip_flexion_deg).all()


def _car_ride(seed: int) -> Recording:
    """Sit/stand exercises and a bumpy car ride: seated vibration, never a step."""
    parts = [Part("sit", 600), Part("stand", 40), Part("sit", 300), Part("stand", 40)]
    parts += [Part("sit", 300)]
    b = build(parts, seed=seed, mounting=random_rotation(np.random.default_rng(seed)))
    rec = b.recording
    assert rec.thigh_acc_g is not None
    rng = np.random.default_rng(seed)
    car = (rec.t_s - rec.t_s[0]) < 600.0
    bumps = rng.normal(0.0, 0.25, (int(car.sum()), 3))
    acc = rec.thigh_acc_g.copy()
    acc[car] += bumps
    return Recording(t_s=rec.t_s, thigh_acc_g=acc)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_car_ride_never_inverts_sitting_and_standing(seed: int) -> None:
    """Issue 11 #3: road vibration passed for walking and anchored "up" in the seated
    direction, confidence 1.0. Now it is refused (no walking) or right."""
    rec = _car_ride(seed)
    ep = epochs_from_recording(rec)
    with pytest.raises(CalibrationError, match="walking"):
        calibrate_thigh(ep, P)


def test_a_commute_by_car_is_sitting_not_riding() -> None:
    """Walking calibrates; then 20 min in a car seat (level thigh, road vibration)."""
    parts = [Part("walk", 120), Part("stand", 30), Part("sit", 1200), Part("walk", 60)]
    b = build(parts, seed=6, mounting=random_rotation(np.random.default_rng(6)))
    rec = b.recording
    assert rec.thigh_acc_g is not None
    rel = rec.t_s - rec.t_s[0]
    car = (rel >= 160.0) & (rel < 1340.0)
    acc = rec.thigh_acc_g.copy()
    acc[car] += np.random.default_rng(6).normal(0.0, 0.25, (int(car.sum()), 3))
    tl = analyze_thigh(Recording(t_s=rec.t_s, thigh_acc_g=acc)).timeline
    riding = np.isin(tl.posture, (Posture.RIDING_SEATED, Posture.RIDING_STANDING))
    assert not riding.any()
    assert np.mean(tl.posture[170:1330] == Posture.SITTING) > 0.99


def test_rows_of_another_sensor_leave_the_rhythm_unchanged() -> None:
    """In a recording of thigh and trunk on the union of their times, the thigh column
    is missing (NaN) on the trunk's rows: the rhythm comes from the thigh's own."""
    b = build([Part("walk", 60)], seed=7)
    rec = b.recording
    assert rec.thigh_acc_g is not None
    t, acc = rec.t_s, rec.thigh_acc_g
    t2 = np.sort(np.concatenate((t, t[:-1] + 0.004)))
    acc2 = np.full((t2.shape[0], 3), np.nan)
    acc2[np.isin(t2, t)] = acc
    count = np.bincount(np.floor(t - np.floor(t[0])).astype(np.int64))
    t0 = int(np.floor(t[0]))
    one = rhythm_features(t, acc, t0, count, 6.0, 1.45, 0.3)
    two = rhythm_features(t2, acc2, t0, count, 6.0, 1.45, 0.3)
    assert np.isfinite(one[0]).sum() > 40
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[2], two[2])


@pytest.mark.parametrize("n_windows", [1, 2, 16, 32, 33, 80])
def test_window_means_sum_each_window_in_order_for_few_and_many_windows(n_windows: int) -> None:
    rng = np.random.default_rng(n_windows)
    points = (rng.normal(size=(n_windows * 30 + 200, 3)) * 9.81).astype(np.float32)
    starts = rng.integers(0, n_windows * 30, size=n_windows)
    axes = points[starts[:, None] + np.arange(150)[None, :]].transpose(2, 0, 1)
    want = axes[..., 0].copy()
    for i in range(1, axes.shape[-1]):
        want += axes[..., i]
    np.true_divide(want, np.intp(axes.shape[-1]), out=want, casting="unsafe")  # as ndarray.mean
    got = _window_means(axes)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got[..., 0], want)


@pytest.mark.parametrize("seed", range(40))
def test_rhythm_centres_skip_nothing_to_look_for(seed: int) -> None:
    """No second wanted, or no gap: the centres of the full convolutions."""
    from analytics.rhythm import STEADY_LAG_S, rhythm_centres

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 900))
    count = np.where(rng.random(n) < rng.choice([0.0, 0.01, 0.2]), 0, 50)
    wanted = rng.random(n) < rng.choice([0.0, 0.002, 0.3])
    window_s = float(rng.choice([4.0, 6.0, 10.0]))
    half = round(window_s / 2.0)
    got = rhythm_centres(count, window_s, wanted)
    if n < 2 * half + 1:
        assert got is None
        return
    lag = STEADY_LAG_S
    need = np.convolve(wanted.astype(np.int64), np.ones(2 * lag + 1, np.int64), "same") > 0
    bad = np.convolve(count <= 0, np.ones(2 * half + 1, dtype=np.int64), mode="same") > 0
    centres = np.arange(half, n - half)
    centres = centres[need[centres] & ~bad[centres]]
    if centres.shape[0] == 0:
        assert got is None
    else:
        assert got is not None
        assert got[0] == half
        np.testing.assert_array_equal(got[1], centres)


@pytest.mark.parametrize("n", [1, 7, 30, 745])
@pytest.mark.parametrize("window", [1, 15, 30])
def test_centred_fraction_of_no_true_second_is_the_convolution(n: int, window: int) -> None:
    """A mask without a True second skips the convolution: the same zeros."""
    from analytics.orientation import centred_fraction

    got = centred_fraction(np.zeros(n, dtype=np.bool_), window)
    full = np.convolve(np.zeros(n), np.ones(window) / window, mode="full")
    lo = (window - 1) // 2
    want = full[lo : lo + n] if window > 1 else np.zeros(n)
    assert got.dtype == np.float64
    assert got.tobytes() == want.tobytes()


def test_spectrum_terms_are_shared_read_only_and_bins_clip_as_numpy() -> None:
    from analytics.rhythm import BAND_HZ, RESAMPLE_HZ, _clipped, _spectrum_terms

    freqs, band, slow, hann = _spectrum_terms(150, 1.4)
    assert _spectrum_terms(150, 1.4)[0] is freqs  # computed once
    np.testing.assert_array_equal(freqs, np.fft.rfftfreq(150, 1.0 / RESAMPLE_HZ))
    np.testing.assert_array_equal(
        band, np.flatnonzero((freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1]))
    )
    np.testing.assert_array_equal(slow, band[freqs[band] < 1.4])
    assert hann.tobytes() == np.hanning(150).astype(np.float32).tobytes()
    for a in (freqs, band, slow, hann):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 0
    k = np.arange(-5, 80)
    np.testing.assert_array_equal(_clipped(k, 75), np.clip(k, 0, 75))
