"""The incremental live window (per-second statistics kept across steps) gives exactly
what re-computing every window from the merged samples gives, in any chunking of the
data and any rhythm of process calls."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from analytics.live import WindowSeconds
from analytics.live_steps import EngineOutput
from analytics.live_window import WindowSamples
from analytics.records import Recording
from collector.service.engine import LiveEngine
from collector.sources.messages import Role, SampleBlock
from collector.sources.simulator import Profile, simulate

T0 = 1_795_420_800.0


class MergedEngine(LiveEngine):
    """Today's reference: every window merged and analysed from its samples."""

    def _window_samples(self, from_s: float, to_s: float) -> WindowSamples | None:
        return self._window(from_s, to_s)  # type: ignore[return-value]


def feed(
    engine: LiveEngine, rec: Recording, cuts: list[int], flush_every: int
) -> list[EngineOutput]:
    outs: list[EngineOutput] = []
    t = rec.t_s
    columns = [(Role.THIGH, rec.thigh_acc_g), (Role.TRUNK, rec.trunk_acc_g)]
    for k, (a, c) in enumerate(itertools.pairwise(cuts)):
        if c <= a:
            continue
        for role, col in columns:
            if col is None:
                continue
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
    outs.append(engine.process(flush=True))
    return outs


def seconds_of(outs: list[EngineOutput]) -> list[WindowSeconds]:
    return [o.seconds for o in outs if o.seconds is not None]


@pytest.mark.parametrize(("profile", "seed"), [("desk", 1), ("cyclist", 2), ("desk", 7)])
def test_same_output_as_merged_windows_in_any_chunking(profile: Profile, seed: int) -> None:
    rec = simulate(profile, 0.6, seed, start_t_s=T0).recording
    rng = np.random.default_rng(seed)
    n = rec.t_s.shape[0]
    sizes = rng.integers(1, 1500, size=n // 10)
    cuts = [0, *np.minimum(np.cumsum(sizes), n).tolist()]
    cuts = sorted(set(cuts))
    flush_every = int(rng.integers(1, 4))
    roles = {Role.THIGH, Role.TRUNK} | ({Role.BIKE} if rec.cadence_rpm is not None else set())
    new = feed(LiveEngine(roles), rec, cuts, flush_every)
    old = feed(MergedEngine(roles), rec, cuts, flush_every)
    a, b = seconds_of(new), seconds_of(old)
    assert [s.t0_s for s in a] == [s.t0_s for s in b]
    assert sum(s.n for s in a) > 0.6 * 3600 - 60
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.posture, y.posture)
        np.testing.assert_array_equal(x.hip_flexion_deg, y.hip_flexion_deg)
        np.testing.assert_array_equal(x.data, y.data)
    assert [o.events for o in new] == [o.events for o in old]
    assert [o.alerts for o in new] == [o.alerts for o in old]
    assert [o.bouts for o in new] == [o.bouts for o in old]
