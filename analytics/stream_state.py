"""The streaming exposure engine's state: everything it remembers between chunks
(:mod:`analytics.streaming`), typed, and its round trip through the state file."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from analytics.compression import BoutEnd, Break, CompressionBout, ExposureEvent
from analytics.records import FloatArray
from analytics.state_version import unversioned

STATE_VERSION = 1


@dataclass(slots=True)
class StreamState:
    """Everything the engine remembers between chunks. A value: the functions here
    work on a copy and never change the state they are given."""

    t0_s: float
    dt_s: float
    has_seat: bool = False
    index: int = 0
    """Global index of the next step."""
    span_cls: int = -1
    span_start: int = 0
    in_bout: bool = False
    """A bout is running (its clock counts)."""
    relief_in_bout: bool = False
    """The open relief span began inside the running bout."""
    bout_start: int = 0
    last_seated_end: int = 0
    seated_steps: int = 0
    micro_breaks: int = 0
    micro_steps: int = 0
    above_steps: int = 0
    excess_q: int = 0
    seat_q: int = 0
    seat_peak: float | None = None
    milestones_done: int = 0
    breaks: tuple[Break, ...] = ()
    """Break records of the current bout, released with it."""
    held_bout: CompressionBout | None = None
    """A finished bout waiting for the length of its break or gap."""
    above: bool = False
    """Debounced hip > 90° state (see compression.hip_span_changes)."""
    above_since: int = 0
    hip_run_value: bool = False
    hip_run_start: int = -1
    """The current (maybe unfinished) run of above/below: value and start (-1: none)."""
    gap_start: int = -1
    """Start of a gap not yet as long as a break (-1: none); the span before it stays
    open until the gap ends (short: a pause) or reaches the break length."""
    paused_steps: int = 0
    """Short-gap steps inside the running bout so far."""
    seated_end_paused: int = 0
    """``paused_steps`` where the bout's last seated span ended."""
    span_paused: int = 0
    """Short-gap steps inside the open span."""
    span_bout_paused: int = 0
    """``paused_steps`` when the open span began."""

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["breaks"] = [dataclasses.asdict(b) for b in self.breaks]
        d["version"] = STATE_VERSION
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> StreamState:
        d = unversioned(d, STATE_VERSION, "exposure")
        try:
            d["breaks"] = tuple(Break(**b) for b in d.get("breaks", ()))
            held = d.get("held_bout")
            if held is not None:
                d["held_bout"] = CompressionBout(**{**held, "ended_by": BoutEnd(held["ended_by"])})
            return StreamState(**d)
        except (TypeError, KeyError, ValueError) as exc:
            raise ValueError(f"the saved exposure state is damaged ({exc}); delete it") from None


@dataclass(frozen=True, slots=True)
class StreamOutput:
    events: tuple[ExposureEvent, ...]
    bouts: tuple[CompressionBout, ...]
    breaks: tuple[Break, ...]
    hip_gt90_s: FloatArray | None = None
    """Per step of the chunk: :func:`analytics.alert_records.hip_gt90_s_from_stream` as it
    would read after that step (how long the debounced hip > 90° span has lasted)."""


def begin(t0_s: float, dt_s: float = 1.0, *, has_seat: bool = False) -> StreamState:
    """A fresh state for a stream whose first step starts at ``t0_s``."""
    return StreamState(t0_s=t0_s, dt_s=dt_s, has_seat=has_seat)


def pause(state: StreamState, steps: int) -> StreamState:
    """Skip ``steps`` missing steps without a gap: the whole time base moves on, so a
    running bout keeps its length and simply does not count the skipped time.

    Only for the service's own downtime shorter than a break (a restart): no break
    can hide in it, so ending the bout there would be wrong. Real data gaps go
    through :func:`advance` as NONWEAR steps and interrupt the bout as usual.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    return dataclasses.replace(state, t0_s=state.t0_s + steps * state.dt_s)
