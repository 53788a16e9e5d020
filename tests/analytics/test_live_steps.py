"""run_steps: the replay loop every live-engine bench and test shares."""

from __future__ import annotations

import numpy as np

from analytics.live import WindowSeconds
from analytics.live_steps import EngineOutput, run_steps


class FakeEngine:
    """Emits one second per step that saw a message, and one more at the flush."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self._pending = 0
        self._t_s = 0

    def accept(self, message: str) -> None:
        self.log.append(message)
        self._pending += 1

    def process(self, *, flush: bool = False) -> EngineOutput:
        self.log.append("flush" if flush else "process")
        n = self._pending + (1 if flush else 0)
        self._pending = 0
        if n == 0:
            return EngineOutput()
        sec = WindowSeconds(
            self._t_s,
            np.zeros(n, dtype=np.int8),
            np.full(n, np.nan),
            np.zeros(n, dtype=np.int8),
        )
        self._t_s += n
        return EngineOutput(seconds=sec)


def test_run_steps_accepts_processes_each_step_and_flushes_at_the_end() -> None:
    eng = FakeEngine()
    parts = run_steps(eng, [["a", "b"], [], ["c"]])
    assert eng.log == ["a", "b", "process", "process", "c", "process", "flush"]
    assert [(p.t0_s, p.posture.size) for p in parts] == [(0, 2), (2, 1), (3, 1)]


def test_run_steps_without_steps_only_flushes() -> None:
    eng = FakeEngine()
    parts = run_steps(eng, iter(()))
    assert eng.log == ["flush"]
    assert [(p.t0_s, p.posture.size) for p in parts] == [(0, 1)]
