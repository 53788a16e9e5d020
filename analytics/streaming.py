"""The streaming exposure engine: a small explicit state advanced chunk by chunk.

Chunks may have any size, down to one step. Over a whole recording the engine
yields exactly the bouts, breaks and events of
:func:`analytics.compression.compression` (a property test over random chunkings
checks it), each event as soon as the data decides it: "bout started" on the first
seated step, "30 minutes" when the clock gets there, "break taken" the moment an
upright spell reaches ``break_s``, "micro-break" when sitting resumes earlier,
"bout ended" with a break or at the start of a gap once that gap has lasted
``break_s`` (a shorter gap pauses the bout, see :mod:`analytics.pauses`: until a
gap ends or reaches the break length, the span before it stays open). A bout record
is released once it is complete: after its break (whose full length it reports) or
its gap (whose length it reports) has ended, or by :func:`finish` at the end of the
data.

The state serialises to a plain dict (``to_dict`` / ``from_dict``), so a restarted
process resumes a bout where it was. The loop runs over *runs* of equal steps in a
chunk, not over steps: a day of 1 Hz data costs a few hundred iterations.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.compression import (
    GAP,
    QUANTUM,
    RELIEF,
    SEATED,
    BoutEnd,
    Break,
    CompressionBout,
    EventKind,
    ExposureEvent,
    ExposureParams,
    break_steps,
    hip_hold_steps,
    hip_step_values,
    milestone_minutes,
    quantize,
    seat_load_seated,
    seat_peak_seated,
    step_classes,
    step_time,
)
from analytics.pauses import bout_clock, paused_time
from analytics.records import BoolArray, FloatArray, Int8Array, Timeline
from analytics.rules import RULES
from analytics.smoothing import runs

STATE_VERSION = 1


@dataclass(frozen=True, slots=True)
class StreamState:
    """Everything the engine remembers between chunks (plain values only)."""

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
    breaks: list[dict[str, Any]] = field(default_factory=list)
    """Break records of the current bout, released with it."""
    held_bout: dict[str, Any] | None = None
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
        d["version"] = STATE_VERSION
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> StreamState:
        d = dict(d)
        version = d.pop("version", None)
        if version != STATE_VERSION:
            raise ValueError(
                f"the saved exposure state has version {version}, this sitload reads "
                f"{STATE_VERSION}; delete the state file to start a fresh bout clock"
            )
        try:
            return StreamState(**d)
        except TypeError as exc:
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


class _Work:
    """Mutable working copy of the state during one call."""

    def __init__(self, st: StreamState, p: ExposureParams) -> None:
        self.v: dict[str, Any] = dataclasses.asdict(st)
        self.p = p
        self.events: list[ExposureEvent] = []
        self.bouts: list[CompressionBout] = []
        self.breaks: list[Break] = []
        self.prev_steps = 0
        """Own steps of the span closed last (set by close_span)."""

    def t(self, index: int) -> float:
        return step_time(self.v["t0_s"], self.v["dt_s"], index)

    def state(self) -> StreamState:
        return StreamState(**self.v)

    # --- bouts -------------------------------------------------------------------
    def start_bout(self, i: int) -> None:
        self.v.update(
            in_bout=True,
            bout_start=i,
            last_seated_end=i,
            seated_steps=0,
            micro_breaks=0,
            micro_steps=0,
            above_steps=0,
            excess_q=0,
            seat_q=0,
            seat_peak=None,
            milestones_done=0,
            breaks=[],
            paused_steps=0,
            seated_end_paused=0,
        )
        self.events.append(ExposureEvent(self.t(i), EventKind.BOUT_STARTED))

    def milestones_before(self, limit_t: float, *, at_limit: bool = False) -> None:
        v = self.v
        start_t = self.t(v["bout_start"])
        todo = milestone_minutes(self.p, max(0.0, limit_t - start_t))
        while v["milestones_done"] < len(todo):
            m = todo[v["milestones_done"]]
            t = paused_time(start_t + m * 60.0, v["paused_steps"], v["dt_s"])
            if not (t < limit_t or (at_limit and t == limit_t)):
                break
            self.events.append(ExposureEvent(t, EventKind.BOUT_MINUTES, m))
            v["milestones_done"] += 1

    def bout_record(self, ended: BoutEnd, gap_s: float | None, closed_t: float) -> dict[str, Any]:
        v = self.v
        dt = v["dt_s"]
        bout = CompressionBout(
            start_s=self.t(v["bout_start"]),
            end_s=self.t(v["last_seated_end"]),
            seated_s=v["seated_steps"] * dt,
            micro_breaks=v["micro_breaks"],
            micro_break_s=v["micro_steps"] * dt,
            hip_gt90_s=v["above_steps"] * dt,
            hip_dose_deg_min=v["excess_q"] * QUANTUM * dt / 60.0,
            seat_dose=v["seat_q"] * QUANTUM * dt if v["has_seat"] else None,
            seat_peak=v["seat_peak"],
            ended_by=ended,
            gap_s=gap_s,
            closed_at_s=closed_t,
            paused_s=v["seated_end_paused"] * dt,
        )
        return dataclasses.asdict(bout)

    def add_break(self, start: int, steps: int, met: bool) -> None:
        v = self.v
        start_t = self.t(start)
        before = bout_clock(self.t(v["bout_start"]), start_t, v["span_bout_paused"], v["dt_s"])
        v["breaks"].append(
            dataclasses.asdict(
                Break(
                    start_s=start_t,
                    duration_s=steps * v["dt_s"],
                    met_rule=met,
                    sitting_before_s=before,
                    within_guidance=before <= self.p.guidance_max_s,
                )
            )
        )

    def release(self, gap_s: float | None = None) -> None:
        """Release the held bout and its breaks."""
        v = self.v
        held = dict(v["held_bout"])
        held["ended_by"] = BoutEnd(held["ended_by"])
        if held["ended_by"] == BoutEnd.GAP:
            held["gap_s"] = gap_s
        self.bouts.append(CompressionBout(**held))
        self.breaks.extend(Break(**b) for b in v["breaks"])
        v["breaks"] = []
        v["held_bout"] = None

    # --- spans ---------------------------------------------------------------------
    def close_span(self, end: int) -> None:
        v = self.v
        cls, start = v["span_cls"], v["span_start"]
        steps = end - start - v["span_paused"]
        self.prev_steps = steps
        if cls == SEATED:
            v["last_seated_end"] = end
            v["seated_end_paused"] = v["paused_steps"]
        elif cls == RELIEF and v["held_bout"] is not None and v["relief_in_bout"]:
            self.add_break(start, steps, met=True)  # the break that ended the bout
            self.release()
        elif cls == GAP:
            self.events.append(ExposureEvent(self.t(end), EventKind.GAP_ENDED, steps * v["dt_s"]))
            if v["held_bout"] is not None:
                self.release(gap_s=steps * v["dt_s"])

    def open_span(self, cls: int, start: int) -> None:
        v = self.v
        prev_cls, prev_start = v["span_cls"], v["span_start"]
        if cls == SEATED:
            if v["in_bout"] and prev_cls == RELIEF and v["relief_in_bout"]:
                steps = self.prev_steps  # sitting resumed before a break: micro-break
                v["micro_breaks"] += 1
                v["micro_steps"] += steps
                self.add_break(prev_start, steps, met=False)
                ev = ExposureEvent(self.t(start), EventKind.MICRO_BREAK, steps * v["dt_s"])
                self.events.append(ev)
            elif not v["in_bout"]:
                self.start_bout(start)
        elif cls == GAP and v["in_bout"]:  # as long as a break: interrupted
            closed = self.t(start)
            v["held_bout"] = self.bout_record(BoutEnd.GAP, None, closed)
            duration = bout_clock(
                self.t(v["bout_start"]),
                self.t(v["last_seated_end"]),
                v["seated_end_paused"],
                v["dt_s"],
            )
            self.events.append(ExposureEvent(closed, EventKind.BOUT_ENDED, duration))
            v["in_bout"] = False
        v["relief_in_bout"] = cls == RELIEF and v["in_bout"]
        v["span_cls"], v["span_start"] = cls, start
        v["span_paused"], v["span_bout_paused"] = 0, v["paused_steps"]

    # --- gaps ----------------------------------------------------------------------
    def long_gap(self) -> None:
        """The pending gap has lasted a break: it is a gap span from its start."""
        v = self.v
        g = v["gap_start"]
        v["gap_start"] = -1
        if v["span_cls"] >= 0:
            self.close_span(g)
        self.open_span(GAP, g)

    def short_gap_ended(self, end: int, cls: int) -> None:
        """The pending gap ended before a break's length: a pause. The span before it
        goes on if the same class follows; the bout clock skips the gap."""
        v = self.v
        g = v["gap_start"]
        steps = end - g
        v["gap_start"] = -1
        self.events.append(ExposureEvent(self.t(end), EventKind.GAP_ENDED, steps * v["dt_s"]))
        if v["in_bout"]:  # a milestone reached as the data stopped is due then
            self.milestones_before(self.t(g), at_limit=True)
        if cls == v["span_cls"]:
            v["span_paused"] += steps
            if v["in_bout"]:
                v["paused_steps"] += steps
            return
        if v["span_cls"] >= 0:
            self.close_span(g)
        if v["in_bout"]:
            v["paused_steps"] += steps
        self.open_span(cls, end)


def advance(
    state: StreamState,
    posture: Int8Array,
    hip_flexion_deg: FloatArray,
    params: ExposureParams | None = None,
    *,
    seat_load: FloatArray | None = None,
    seat_peak: FloatArray | None = None,
) -> tuple[StreamState, StreamOutput]:
    """Consume the next steps, contiguous with what came before."""
    p = params or ExposureParams()
    n = int(posture.shape[0])
    if n == 0:
        return state, StreamOutput((), (), ())
    w = _Work(state, p)
    v = w.v
    base = v["index"]
    dt = v["dt_s"]
    need = break_steps(p, dt)
    cls = step_classes(posture)
    above, excess = hip_step_values(
        Timeline(t0_s=0, posture=posture, hip_flexion_deg=hip_flexion_deg),
        RULES.hip_flexion_limit_deg,
    )
    exq = quantize(excess)
    seat_q = quantize(seat_load_seated(posture, seat_load)) if seat_load is not None else None
    peaks = seat_peak_seated(posture, seat_peak) if seat_peak is not None else None

    starts, lengths, values = runs(cls)
    for lo, length, c in zip(starts.tolist(), lengths.tolist(), values.tolist(), strict=True):
        s, e, hi = base + lo, base + lo + length, lo + length
        if c == GAP and v["span_cls"] != GAP:
            if v["gap_start"] < 0:
                v["gap_start"] = s
                w.events.append(ExposureEvent(w.t(s), EventKind.GAP_STARTED))
            if v["gap_start"] + need <= e:
                w.long_gap()
            continue  # a gap pauses the clock
        if v["gap_start"] >= 0:
            w.short_gap_ended(s, c)
        elif c != v["span_cls"]:
            if v["span_cls"] >= 0:
                w.close_span(s)
            w.open_span(c, s)
        if not v["in_bout"] or c == GAP:
            continue
        if c == SEATED:
            v["seated_steps"] += length
            v["above_steps"] += int(np.count_nonzero(above[lo:hi]))
            v["excess_q"] += int(exq[lo:hi].sum())  # whole numbers: exact in any order
            if seat_q is not None:
                v["seat_q"] += int(seat_q[lo:hi].sum())
            if peaks is not None and np.isfinite(peaks[lo:hi]).any():
                mx = float(np.nanmax(peaks[lo:hi]))
                v["seat_peak"] = mx if v["seat_peak"] is None else max(v["seat_peak"], mx)
        elif (
            c == RELIEF
            and v["relief_in_bout"]
            and s - v["span_paused"] < v["span_start"] + need <= e - v["span_paused"]
        ):
            # the relief reaches the break length inside this run: the bout is over
            t_done = paused_time(w.t(v["span_start"]) + p.break_s, v["span_paused"], dt)
            w.milestones_before(t_done)
            before = bout_clock(
                w.t(v["bout_start"]), w.t(v["span_start"]), v["span_bout_paused"], dt
            )
            w.events.append(ExposureEvent(t_done, EventKind.BREAK_TAKEN, p.break_s))
            w.events.append(ExposureEvent(t_done, EventKind.BOUT_ENDED, before))
            v["held_bout"] = w.bout_record(BoutEnd.BREAK, None, t_done)
            v["in_bout"] = False
            continue
        w.milestones_before(w.t(e))
    v["index"] = base + n
    hip_s = _hip_events(w, above, base)
    events = tuple(sorted(w.events, key=ExposureEvent.sort_key))
    return w.state(), StreamOutput(events, tuple(w.bouts), tuple(w.breaks), hip_s)


def _hip_events(w: _Work, above: BoolArray, base: int) -> FloatArray:
    """Debounced like compression.hip_span_changes: a run counts once it has lasted
    the minimum, which may be chunks later; the event carries the run's start.
    Returns the debounced span's length after each step (0 where not above)."""
    v = w.v
    need = hip_hold_steps(w.p, v["dt_s"])
    n = int(above.shape[0])
    steps = np.arange(base + 1, base + n + 1, dtype=np.float64)  # index after each step
    since = np.empty(n)
    on = np.empty(n, dtype=np.bool_)
    starts, _lengths, values = runs(above)
    bounds = [*starts.tolist(), n]
    for k, a in enumerate(values.tolist()):
        lo, hi = bounds[k], bounds[k + 1]
        s = base + lo
        continues = k == 0 and v["hip_run_start"] >= 0 and a == v["hip_run_value"]
        if not continues:
            v["hip_run_value"], v["hip_run_start"] = a, s
        # the debounced state switches at the step where the run reaches the minimum
        switch = hi
        if a != v["above"]:
            switch = min(hi, max(lo, v["hip_run_start"] + need - 1 - base))
        on[lo:switch], since[lo:switch] = v["above"], v["above_since"]
        if switch < hi:
            on[switch:hi], since[switch:hi] = a, v["hip_run_start"]
        if base + hi - v["hip_run_start"] >= need and a != v["above"]:
            t = w.t(v["hip_run_start"])
            if a:
                w.events.append(ExposureEvent(t, EventKind.HIP_GT90_STARTED))
            else:
                steps_up = v["hip_run_start"] - v["above_since"]
                w.events.append(ExposureEvent(t, EventKind.HIP_GT90_ENDED, steps_up * v["dt_s"]))
            v["above"], v["above_since"] = a, v["hip_run_start"]
    out: FloatArray = np.where(on, (steps - since) * v["dt_s"], 0.0)
    return out


def finish(state: StreamState, params: ExposureParams | None = None) -> StreamOutput:
    """What the end of the data closes (as the batch function reports it): a held
    bout with its break or gap measured to the end, or the open bout. ``state`` is
    not changed (live use keeps streaming)."""
    w = _Work(state, params or ExposureParams())
    v = w.v
    data_end = end = v["index"]
    if v["gap_start"] >= 0:  # the data ends in a gap shorter than a break: a pause
        end = v["gap_start"]
    if v["held_bout"] is not None:
        if v["span_cls"] == GAP:
            w.release(gap_s=(end - v["span_start"]) * v["dt_s"])
        else:
            w.add_break(v["span_start"], end - v["span_start"] - v["span_paused"], met=True)
            w.release()
    elif v["in_bout"]:
        if v["span_cls"] == SEATED:
            v["last_seated_end"] = end
            v["seated_end_paused"] = v["paused_steps"]
        v["held_bout"] = w.bout_record(BoutEnd.OPEN, None, w.t(data_end))
        w.release()
    return StreamOutput((), tuple(w.bouts), tuple(w.breaks))


def run_chunks(
    tl: Timeline,
    sizes: list[int],
    params: ExposureParams | None = None,
    *,
    round_trip: bool = True,
) -> StreamOutput:
    """Stream a timeline in chunks of the given sizes (the rest as one last chunk),
    optionally through the serialised state at every boundary, then finish."""
    st = begin(tl.t0_s, tl.dt_s, has_seat=tl.seat_load is not None)
    events: list[ExposureEvent] = []
    bouts: list[CompressionBout] = []
    breaks: list[Break] = []
    i = 0
    for size in [*sizes, tl.n]:
        j = min(tl.n, i + max(size, 0))
        if j <= i:
            continue
        sl = slice(i, j)
        st, out = advance(
            st,
            tl.posture[sl],
            tl.hip_flexion_deg[sl],
            params,
            seat_load=None if tl.seat_load is None else tl.seat_load[sl],
            seat_peak=None if tl.seat_peak is None else tl.seat_peak[sl],
        )
        events += out.events
        bouts += out.bouts
        breaks += out.breaks
        i = j
        if round_trip:
            st = StreamState.from_dict(st.to_dict())
    tail = finish(st, params)
    return StreamOutput(
        tuple(sorted(events, key=ExposureEvent.sort_key)),
        (*bouts, *tail.bouts),
        (*breaks, *tail.breaks),
    )


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
