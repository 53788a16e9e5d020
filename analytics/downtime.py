"""Downtime as one gap: the streaming exposure engine moved over any number of steps
without data at a cost independent of their number.

A service that was down for a night, a month or a year (or whose saved state is that
old) resumes with a gap as long as the downtime. Fed to
:func:`analytics.streaming.advance` as no-data steps, that gap would cost memory and
time in proportion to its length (31.5 million steps for a year). Nothing in the
engine changes after the first few steps of a gap, though: the running bout ends at
the gap's start, the debounced hip span ends once the gap has lasted
``hip_event_hold_s``, and from then on each further step only moves the step index.
:func:`skip_gap` feeds those first steps and then moves the index, which gives
exactly the state and events of feeding all of them (a property test checks it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from analytics.compression import ExposureParams, break_steps, hip_hold_steps
from analytics.records import Posture
from analytics.stream_state import StreamOutput, StreamState
from analytics.streaming import advance


@dataclass(frozen=True, slots=True)
class DowntimeParams:
    fill_max_s: int = 3600
    """Silence the live service fills second by second as "no data" in one go (the
    status and the history show the sensor off). A longer jump of the clock in one go
    (a restart after long downtime, the wall clock set forward) is one gap instead, so
    memory and time do not grow with it. Real silence while the service runs is
    filled a few seconds at a time and never reaches this."""

    def __post_init__(self) -> None:
        if self.fill_max_s < 60:
            raise ValueError(f"fill_max_s must be at least 60 s, got {self.fill_max_s}")


def settle_steps(params: ExposureParams, dt_s: float) -> int:
    """Steps of a gap after which further gap steps change nothing but the index:
    longer than a break (a gap that long ends any bout) and than the hip debounce."""
    return break_steps(params, dt_s) + hip_hold_steps(params, dt_s) + 1


def skip_gap(
    state: StreamState, steps: int, params: ExposureParams | None = None
) -> tuple[StreamState, StreamOutput]:
    """``advance`` over ``steps`` steps without data, in O(1) memory and time. The gap's
    length is reported as usual once data resume (GAP_ENDED, the bout's ``gap_s``)."""
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    p = params or ExposureParams()
    head = min(steps, settle_steps(p, state.dt_s))
    state, out = advance(
        state, np.full(head, Posture.NONWEAR, dtype=np.int8), np.full(head, np.nan), p
    )
    if steps > head:
        state = dataclasses.replace(state, index=state.index + (steps - head))
    return state, StreamOutput(out.events, out.bouts, out.breaks)
