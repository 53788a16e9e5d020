"""What the live engine does with a step's final seconds: the alert policy walks
them (runs of seconds without valid data in one go, valid seconds one by one: the hip
and milestone clocks are per second) and the local day's totals grow by them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from analytics.alert_params import AlertParams
from analytics.alert_records import Alert, AlertInput
from analytics.alert_rules import run
from analytics.alert_state import AlertState
from analytics.compression import CompressionBout, EventKind, ExposureEvent
from analytics.hip_revision import HipRevision
from analytics.live import DATA_OK, WindowSeconds
from analytics.live_state import DayTotals, add_seconds, local_day
from analytics.live_status import DATA_STATE, LiveStatus
from analytics.records import FloatArray, IntArray, Posture

_POSTURE_OF = {int(p): p for p in Posture}
"""Each posture code's member (a dict lookup costs less than ``Posture(code)``)."""


@dataclass(frozen=True, slots=True)
class EngineOutput:
    seconds: WindowSeconds | None = None
    events: tuple[ExposureEvent, ...] = ()
    alerts: tuple[Alert, ...] = ()
    status: LiveStatus | None = None
    bouts: tuple[CompressionBout, ...] = ()
    """Compression bouts released by the streaming engine (complete: their break or
    gap has ended)."""
    revisions: tuple[HipRevision, ...] = ()
    """Stored hip angles revised with the calibration known now (a local day closed
    by these seconds, or before a recalibration; :mod:`analytics.hip_revision`)."""


@dataclass
class EngineCounters:
    samples: int = 0
    late_samples: int = 0
    gaps: int = 0
    seconds: int = 0
    alerts: int = 0
    restart_pauses: int = 0
    calibration_failures: int = 0


def alert_steps(
    state: AlertState,
    params: AlertParams,
    sec: WindowSeconds,
    hip_gt90_s: FloatArray,
    utc_offset_s: Callable[[float], float],
    *,
    battery_low: bool,
) -> tuple[AlertState, list[Alert]]:
    """The alert policy over the seconds ``sec`` (``hip_gt90_s``: the streaming
    engine's hip clock at each of them), as one batch of steps (the policy's state is
    thawed and frozen once per engine step, not once per second)."""
    data = sec.data.tolist()
    posture = sec.posture.tolist()
    hip = hip_gt90_s.tolist()
    inputs: list[AlertInput] = []
    i, n = 0, sec.n
    while i < n:
        t = float(sec.t0_s + i)
        j = i + 1
        if data[i] != DATA_OK:  # a run of seconds without valid data: one step
            while j < n and data[j] == data[i]:
                j += 1
            inp = AlertInput(
                t_s=t,
                posture=Posture.NONWEAR,
                dt_s=float(j - i),
                local_offset_s=utc_offset_s(t),
                data=DATA_STATE[data[i]],
                battery_low=battery_low,
            )
        else:
            inp = AlertInput(
                t_s=t,
                posture=_POSTURE_OF[posture[i]],
                local_offset_s=utc_offset_s(t),
                battery_low=battery_low,
                hip_gt90_s=hip[i],
            )
        inputs.append(inp)
        i = j
    return run(state, params, inputs)


def step_days(sec: WindowSeconds, utc_offset_s: Callable[[float], float]) -> IntArray:
    """The local day of each of the seconds ``sec``."""
    first = local_day(sec.t0_s, utc_offset_s(sec.t0_s))
    last_t = sec.t0_s + sec.n - 1
    last = local_day(last_t, utc_offset_s(last_t))
    if first == last:
        return np.full(sec.n, first, dtype=np.int64)
    return np.array(
        [local_day(t, utc_offset_s(t)) for t in range(sec.t0_s, last_t + 1)], dtype=np.int64
    )


def step_totals(
    totals: DayTotals | None,
    sec: WindowSeconds,
    days: IntArray,
    events: tuple[ExposureEvent, ...],
    utc_offset_s: Callable[[float], float],
    milestone_min: float,
) -> list[DayTotals]:
    """The totals of every local day the seconds ``sec`` (of local ``days``) close or
    add to, in order: the last is the day in progress (``milestone_min``: the bout
    length counted as a long bout). A day before the seconds' first one is closed
    by them as ``totals`` left it."""
    out = [] if totals is None or totals.day >= int(days[0]) else [totals]
    for day in range(int(days[0]), int(days[-1]) + 1):
        mask = days == day
        if not mask.any():
            continue
        reached = sum(
            1
            for e in events
            if e.kind == EventKind.BOUT_MINUTES
            and e.value == milestone_min
            and local_day(e.t_s, utc_offset_s(e.t_s)) == day
        )
        totals = add_seconds(
            totals or DayTotals(day=day),
            day,
            sec.posture[mask],
            sec.hip_flexion_deg[mask],
            bouts_reached=reached,
        )
        out.append(totals)
    return out


M_contra = TypeVar("M_contra", contravariant=True)


class SteppedEngine(Protocol[M_contra]):
    """What :func:`run_steps` needs of a live engine."""

    def accept(self, message: M_contra) -> None: ...

    def process(self, *, flush: bool = False) -> EngineOutput: ...


def run_steps(
    engine: SteppedEngine[M_contra],
    steps: Iterable[Iterable[M_contra]],
    revisions: list[HipRevision] | None = None,
) -> list[WindowSeconds]:
    """Replay ``steps`` (the messages of each, e.g. one block per sensor) through
    ``engine``: accept a step's messages, process, and flush after the last step.
    Returns every second the engine emitted, in order (as emitted: the revisions of
    their hip angle are appended to ``revisions`` when given)."""
    parts = []
    for messages in steps:
        for message in messages:
            engine.accept(message)
        out = engine.process()
        if out.seconds is not None:
            parts.append(out.seconds)
        if revisions is not None:
            revisions += out.revisions
    out = engine.process(flush=True)
    if out.seconds is not None:
        parts.append(out.seconds)
    if revisions is not None:
        revisions += out.revisions
    return parts
