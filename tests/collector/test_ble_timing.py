"""Sample times from BLE notifications: latency, drift, losses, wraps, restarts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.records import FloatArray
from collector.ble.timing import ArrivalClock, CounterClock, Placement, SequenceTracker

RATE_HZ = 50.0
N = 5  # samples per notification
T0_S = 1.7e9  # host wall clock (Unix time) of the first sample
MIN_LATENCY_S = 0.030
PERIOD_S = 1.0 / RATE_HZ


def at(t_s: float) -> object:
    """Equal to a host time within 1 µs (a float64 near 1.7e9 resolves 0.24 µs)."""
    return pytest.approx(t_s, rel=0.0, abs=1e-6)


def simulate_arrivals(
    seed: int, duration_s: float, drift_ppm: float = 0.0, spike_p: float = 0.01
) -> tuple[FloatArray, FloatArray]:
    """True host times of every sample and arrival times of each N-sample batch:
    minimum latency + exponential jitter (mean 20 ms) + occasional 200 ms spikes,
    delivered in order (a late notification holds back the next ones)."""
    rng = np.random.default_rng(seed)
    n_batches = int(duration_s * RATE_HZ) // N
    k = np.arange(n_batches * N)
    true_t = T0_S + k / (RATE_HZ * (1.0 + drift_ppm * 1e-6))
    latency = MIN_LATENCY_S + rng.exponential(0.020, n_batches)
    latency += np.where(rng.random(n_batches) < spike_p, 0.200, 0.0)
    arrival = np.maximum.accumulate(true_t[N - 1 :: N] + latency)
    return true_t, arrival


def place_all(clock: CounterClock, arrival: FloatArray) -> tuple[FloatArray, list[Placement]]:
    placements = [clock.place(i * N, N, float(a)) for i, a in enumerate(arrival)]
    return np.concatenate([p.t_s for p in placements]), placements


# --------------------------------------------------------------------------- CounterClock


def test_counter_clock_settles_on_the_minimum_latency_despite_jitter_and_spikes() -> None:
    true_t, arrival = simulate_arrivals(seed=1, duration_s=3600.0)
    t, placements = place_all(CounterClock(RATE_HZ), arrival)
    assert t.shape == true_t.shape
    assert np.all(np.diff(t) > 0)
    assert not any(p.has_gap or p.lost_samples or p.restarted for p in placements)
    err = (t - (true_t + MIN_LATENCY_S))[true_t >= T0_S + 10.0]
    assert np.mean(np.abs(err) <= 0.005) >= 0.99
    # the arrival times themselves would not pass: the test can tell the difference
    naive = np.repeat(arrival, N) - np.tile(np.arange(N - 1, -1, -1) * PERIOD_S, arrival.size)
    naive_err = (naive - (true_t + MIN_LATENCY_S))[true_t >= T0_S + 10.0]
    assert np.mean(np.abs(naive_err) <= 0.005) < 0.5


@pytest.mark.parametrize("drift_ppm", [80.0, -80.0])
def test_counter_clock_follows_a_drifting_device_clock(drift_ppm: float) -> None:
    true_t, arrival = simulate_arrivals(seed=2, duration_s=6 * 3600.0, drift_ppm=drift_ppm)
    t, _ = place_all(CounterClock(RATE_HZ), arrival)
    assert np.all(np.diff(t) > 0)
    err = (t - (true_t + MIN_LATENCY_S))[true_t >= T0_S + 10.0]
    assert np.max(np.abs(err)) < 0.020
    # the run really drifts: 80 ppm × 6 h ≈ 1.7 s against the nominal rate
    assert abs(true_t[-1] - (T0_S + (true_t.size - 1) * PERIOD_S)) > 1.0


def test_counter_clock_rises_with_latency_no_faster_than_the_slew_limit() -> None:
    clock = CounterClock(RATE_HZ, max_slew_ppm=200.0)
    for i in range(100):  # 10 s at 30 ms
        clock.place(i * N, N, T0_S + (i * N + N - 1) * PERIOD_S + 0.030)
    errs = []
    for i in range(100, 100 + 10_000):  # latency steps up to 130 ms for 1000 s
        p = clock.place(i * N, N, T0_S + (i * N + N - 1) * PERIOD_S + 0.130)
        errs.append(p.t_s[0] - (T0_S + i * N * PERIOD_S))
    # after 50 s the offset has risen by at most 200 ppm × 50 s = 10 ms
    assert errs[499] == pytest.approx(0.030 + 0.010, abs=2e-4)
    assert errs[-1] == pytest.approx(0.130, abs=1e-6)  # and caught up within 500 s


def test_counter_clock_lost_batches_give_the_exact_count_and_gap() -> None:
    clock = CounterClock(RATE_HZ)
    lat = 0.040

    def arrive(first: int) -> float:
        return T0_S + (first + N - 1) * PERIOD_S + lat

    for first in (0, 5, 10):
        assert not clock.place(first, N, arrive(first)).has_gap
    last = clock.last_t_s
    assert last == at(T0_S + 14 * PERIOD_S + lat)
    p = clock.place(30, N, arrive(30))  # counters 15..29 never arrived
    assert p.lost_samples == 15
    assert not p.restarted
    assert p.gap_start_t_s == last
    assert p.gap_end_t_s == p.t_s[0]
    assert p.t_s[0] == at(T0_S + 30 * PERIOD_S + lat)
    np.testing.assert_allclose(np.diff(p.t_s), PERIOD_S, atol=1e-6)
    assert not clock.place(35, N, arrive(35)).has_gap


def test_counter_clock_uint32_wrap_is_not_a_gap() -> None:
    clock = CounterClock(RATE_HZ)
    start = 2**32 - 7
    placements = [
        clock.place((start + i * N) % 2**32, N, T0_S + (i * N + N - 1) * PERIOD_S + 0.03)
        for i in range(6)
    ]
    assert not any(p.has_gap or p.lost_samples or p.restarted for p in placements)
    t = np.concatenate([p.t_s for p in placements])
    np.testing.assert_allclose(np.diff(t), PERIOD_S, atol=1e-6)


@pytest.mark.parametrize("max_jump_s", [3600.0, 1e9])  # 1e9 s: only the step back tells
def test_counter_clock_counter_going_back_is_a_restart_with_a_gap(max_jump_s: float) -> None:
    clock = CounterClock(RATE_HZ, max_jump_s=max_jump_s)
    for i in range(10):
        clock.place(1000 + i * N, N, T0_S + (i * N + N - 1) * PERIOD_S + 0.03)
    last = clock.last_t_s
    assert last is not None
    arrival = last + 5.0
    p = clock.place(0, N, arrival)
    assert p.restarted
    assert p.lost_samples == 0
    assert p.gap_start_t_s == last
    assert p.gap_end_t_s == p.t_s[0]
    assert p.t_s[-1] == at(arrival)  # re-anchored on this batch
    follow = clock.place(N, N, arrival + N * PERIOD_S)
    assert not follow.has_gap
    assert follow.t_s[0] == at(p.t_s[-1] + PERIOD_S)


def test_counter_clock_restart_with_an_early_arrival_is_clamped_after_the_last_time() -> None:
    clock = CounterClock(RATE_HZ)
    clock.place(500, N, T0_S)
    p = clock.place(0, N, T0_S - 1.0)  # arrival says before the last sample
    assert p.restarted
    assert p.gap_start_t_s == T0_S
    assert p.t_s[0] == at(T0_S + PERIOD_S)
    assert np.all(np.diff(p.t_s) > 0)


def test_counter_clock_jump_beyond_max_jump_is_a_restart() -> None:
    clock = CounterClock(RATE_HZ, max_jump_s=60.0)
    clock.place(0, N, T0_S)
    ok = clock.place(N + int(59 * RATE_HZ), N, T0_S + 60.0)
    assert ok.lost_samples == int(59 * RATE_HZ)
    assert not ok.restarted
    p = clock.place(10**6, N, T0_S + 120.0)
    assert p.restarted
    assert p.has_gap


def test_counter_clock_reset_re_anchors_and_reports_the_gap_once() -> None:
    clock = CounterClock(RATE_HZ)
    clock.reset()  # nothing placed yet: nothing to report
    assert not clock.place(0, N, T0_S + 4 * PERIOD_S + 0.2).has_gap  # anchors with 200 ms
    clock.place(5, N, T0_S + 9 * PERIOD_S + 0.03)
    last = clock.last_t_s
    clock.reset()
    arrival = T0_S + 10.0
    p = clock.place(10, N, arrival)  # the counter went on: no loss, but a disconnect
    assert p.gap_start_t_s == last
    assert p.gap_end_t_s == p.t_s[0]
    assert p.lost_samples == 0
    assert not p.restarted
    assert p.t_s[-1] == at(arrival)  # re-anchored, not followed
    assert not clock.place(15, N, arrival + N * PERIOD_S).has_gap
    assert clock.last_t_s is not None


def test_clocks_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="rate"):
        CounterClock(0.0)
    with pytest.raises(ValueError, match="slew"):
        ArrivalClock(50.0, max_slew_ppm=-1.0)
    with pytest.raises(ValueError, match="at least one"):
        CounterClock(50.0).place(0, 0, T0_S)
    with pytest.raises(ValueError, match="finite"):
        ArrivalClock(50.0).place(5, float("nan"))


# --------------------------------------------------------------------------- SequenceTracker


def test_sequence_tracker_wrap_loss_and_duplicates() -> None:
    s = SequenceTracker()
    assert [s.update(q) for q in (65533, 65534, 65535, 0, 1)] == [0, 0, 0, 0, 0]
    assert s.update(5) == 3  # 2, 3, 4 lost
    assert s.update(5) == 0  # duplicate
    assert s.update(6) == 0
    assert s.update(65530) == 0  # a step back
    assert (s.lost, s.duplicates) == (3, 2)
    assert s.update(65531) == 0  # resynchronised on the step back
    assert s.update(2) == 6  # lost across the wrap: 65532..65535, 0, 1
    assert s.lost == 9
    assert s.update(2 + 1 + 32767) == 32767  # the largest step forward is a loss
    assert s.update(32770 + 1 + 32768) == 0  # half the range ahead counts as behind
    assert (s.lost, s.duplicates) == (9 + 32767, 3)


# --------------------------------------------------------------------------- ArrivalClock


def test_arrival_clock_regular_arrivals_have_no_gaps_and_nominal_spacing() -> None:
    clock = ArrivalClock(RATE_HZ)
    placements = [clock.place(N, T0_S + (i * N + N - 1) * PERIOD_S + 0.05) for i in range(3000)]
    assert not any(p.has_gap or p.late or p.lost_samples for p in placements)
    t = np.concatenate([p.t_s for p in placements])
    np.testing.assert_allclose(np.diff(t), PERIOD_S, atol=1e-6)
    assert t[0] == at(T0_S + 0.05)


def test_arrival_clock_jitter_stays_near_the_minimum_latency() -> None:
    true_t, arrival = simulate_arrivals(seed=3, duration_s=600.0)
    clock = ArrivalClock(RATE_HZ)
    placements = [clock.place(N, float(a)) for a in arrival]
    assert not any(p.has_gap or p.late for p in placements)  # 200 ms spikes are not late
    t = np.concatenate([p.t_s for p in placements])
    assert np.all(np.diff(t) > 0)
    err = (t - (true_t + MIN_LATENCY_S))[true_t >= T0_S + 10.0]
    assert np.mean(np.abs(err) <= 0.005) >= 0.99


def test_arrival_clock_pause_is_late_with_a_gap_and_the_lost_count() -> None:
    true_t, arrival = simulate_arrivals(seed=4, duration_s=60.0, spike_p=0.0)
    dropped = slice(100, 130)  # 30 batches = 150 samples = 3 s never arrive
    keep = np.ones(arrival.size, dtype=bool)
    keep[dropped] = False
    clock = ArrivalClock(RATE_HZ)
    placements = [clock.place(N, float(a)) for a in arrival[keep]]
    late = [i for i, p in enumerate(placements) if p.late]
    assert late == [100]
    p, before = placements[100], placements[99]
    assert abs(p.lost_samples - 150) <= 2
    assert p.gap_start_t_s == before.t_s[-1]
    assert p.gap_end_t_s == p.t_s[0]
    assert p.t_s[-1] == arrival[130]  # re-anchored so the batch ends at its arrival
    assert p.t_s[0] - before.t_s[-1] == pytest.approx(3.0 + PERIOD_S, abs=0.1)
    assert not any(q.has_gap for q in placements[101:])
    t = np.concatenate([q.t_s for q in placements])
    assert np.all(np.diff(t) > 0)
    err = (t - (true_t[np.repeat(keep, N)] + MIN_LATENCY_S))[-1000:]
    assert np.max(np.abs(err)) < 0.005  # back on the envelope after the pause


def test_arrival_clock_reset_reports_the_gap_on_the_next_batch() -> None:
    clock = ArrivalClock(RATE_HZ)
    clock.place(N, T0_S)
    clock.reset()
    p = clock.place(N, T0_S + 0.2)  # soon after: not late, but disconnected
    assert p.gap_start_t_s == T0_S
    assert not p.late
    assert p.t_s[-1] == at(T0_S + 0.2)


# --------------------------------------------------------------------------- properties

RATES_HZ = st.sampled_from([1.0, 12.5, 50.0, 400.0])


def check_times(placements: list[Placement], sizes: list[int]) -> None:
    last: float | None = None
    for p, n in zip(placements, sizes, strict=True):
        assert p.t_s.shape == (n,)
        assert np.all(np.isfinite(p.t_s))
        assert np.all(np.diff(p.t_s) > 0)
        if last is not None:
            assert p.t_s[0] > last
        if p.has_gap:
            assert p.gap_start_t_s == last
            assert p.gap_end_t_s == p.t_s[0]
        last = float(p.t_s[-1])


@settings(max_examples=150, deadline=None)
@given(
    rate_hz=RATES_HZ,
    batches=st.lists(
        st.tuples(
            st.one_of(st.just(0), st.integers(0, 2**32 - 1), st.integers(-20, 20)),
            st.integers(1, 40),
            st.floats(0.0, 10.0),
            st.booleans(),
        ),
        min_size=1,
        max_size=60,
    ),
    start=st.integers(0, 2**32 - 1),
)
def test_counter_clock_times_are_strictly_increasing_and_finite(
    rate_hz: float, batches: list[tuple[int, int, float, bool]], start: int
) -> None:
    clock = CounterClock(rate_hz)
    counter, device_s = start, 0.0
    placements: list[Placement] = []
    sizes: list[int] = []
    for step, n, latency_s, reset in batches:
        if reset and placements:
            clock.reset()
        counter = (counter + step) % 2**32
        if 0 < step < 2**31:
            device_s += step / rate_hz
        placements.append(clock.place(counter, n, T0_S + device_s + latency_s))
        sizes.append(n)
        counter += n
        device_s += n / rate_hz
    check_times(placements, sizes)


@settings(max_examples=150, deadline=None)
@given(
    rate_hz=RATES_HZ,
    batches=st.lists(
        st.tuples(st.integers(1, 40), st.floats(-5.0, 10.0), st.booleans()),
        min_size=1,
        max_size=60,
    ),
)
def test_arrival_clock_times_are_strictly_increasing_and_finite(
    rate_hz: float, batches: list[tuple[int, float, bool]]
) -> None:
    clock = ArrivalClock(rate_hz)
    device_s = 0.0
    placements: list[Placement] = []
    sizes: list[int] = []
    for n, latency_s, reset in batches:
        if reset and placements:
            clock.reset()
        device_s += n / rate_hz
        placements.append(clock.place(n, T0_S + device_s + latency_s))
        sizes.append(n)
    check_times(placements, sizes)
