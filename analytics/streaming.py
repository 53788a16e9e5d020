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
from analytics.stream_state import StreamOutput, StreamState, begin


class _Work:
    """Mutable working copy of the state during one call."""

    def __init__(self, st: StreamState, p: ExposureParams) -> None:
        self.v = dataclasses.replace(st)  # the working copy
        self.p = p
        self.events: list[ExposureEvent] = []
        self.bouts: list[CompressionBout] = []
        self.breaks: list[Break] = []
        self.prev_steps = 0
        """Own steps of the span closed last (set by close_span)."""

    def t(self, index: int) -> float:
        return step_time(self.v.t0_s, self.v.dt_s, index)

    def state(self) -> StreamState:
        return self.v

    # --- bouts -------------------------------------------------------------------
    def start_bout(self, i: int) -> None:
        v = self.v
        v.in_bout, v.bout_start, v.last_seated_end = True, i, i
        v.seated_steps = v.micro_breaks = v.micro_steps = v.above_steps = 0
        v.excess_q = v.seat_q = v.milestones_done = v.paused_steps = v.seated_end_paused = 0
        v.seat_peak = None
        v.breaks = ()
        self.events.append(ExposureEvent(self.t(i), EventKind.BOUT_STARTED))

    def milestones_before(self, limit_t: float, *, at_limit: bool = False) -> None:
        v = self.v
        start_t = self.t(v.bout_start)
        todo = milestone_minutes(self.p, max(0.0, limit_t - start_t))
        while v.milestones_done < len(todo):
            m = todo[v.milestones_done]
            t = paused_time(start_t + m * 60.0, v.paused_steps, v.dt_s)
            if not (t < limit_t or (at_limit and t == limit_t)):
                break
            self.events.append(ExposureEvent(t, EventKind.BOUT_MINUTES, m))
            v.milestones_done += 1

    def bout_record(self, ended: BoutEnd, gap_s: float | None, closed_t: float) -> CompressionBout:
        v = self.v
        dt = v.dt_s
        bout = CompressionBout(
            start_s=self.t(v.bout_start),
            end_s=self.t(v.last_seated_end),
            seated_s=v.seated_steps * dt,
            micro_breaks=v.micro_breaks,
            micro_break_s=v.micro_steps * dt,
            hip_gt90_s=v.above_steps * dt,
            hip_dose_deg_min=v.excess_q * QUANTUM * dt / 60.0,
            seat_dose=v.seat_q * QUANTUM * dt if v.has_seat else None,
            seat_peak=v.seat_peak,
            ended_by=ended,
            gap_s=gap_s,
            closed_at_s=closed_t,
            paused_s=v.seated_end_paused * dt,
        )
        return bout

    def add_break(self, start: int, steps: int, met: bool) -> None:
        v = self.v
        start_t = self.t(start)
        before = bout_clock(self.t(v.bout_start), start_t, v.span_bout_paused, v.dt_s)
        v.breaks = (
            *v.breaks,
            Break(
                start_s=start_t,
                duration_s=steps * v.dt_s,
                met_rule=met,
                sitting_before_s=before,
                within_guidance=before <= self.p.guidance_max_s,
            ),
        )

    def release(self, gap_s: float | None = None) -> None:
        """Release the held bout and its breaks."""
        v = self.v
        held = v.held_bout
        assert held is not None
        if held.ended_by == BoutEnd.GAP:
            held = dataclasses.replace(held, gap_s=gap_s)
        self.bouts.append(held)
        self.breaks.extend(v.breaks)
        v.breaks = ()
        v.held_bout = None

    # --- spans ---------------------------------------------------------------------
    def close_span(self, end: int) -> None:
        v = self.v
        cls, start = v.span_cls, v.span_start
        steps = end - start - v.span_paused
        self.prev_steps = steps
        if cls == SEATED:
            v.last_seated_end = end
            v.seated_end_paused = v.paused_steps
        elif cls == RELIEF and v.held_bout is not None and v.relief_in_bout:
            self.add_break(start, steps, met=True)  # the break that ended the bout
            self.release()
        elif cls == GAP:
            self.events.append(ExposureEvent(self.t(end), EventKind.GAP_ENDED, steps * v.dt_s))
            if v.held_bout is not None:
                self.release(gap_s=steps * v.dt_s)

    def open_span(self, cls: int, start: int) -> None:
        v = self.v
        prev_cls, prev_start = v.span_cls, v.span_start
        if cls == SEATED:
            if v.in_bout and prev_cls == RELIEF and v.relief_in_bout:
                steps = self.prev_steps  # sitting resumed before a break: micro-break
                v.micro_breaks += 1
                v.micro_steps += steps
                self.add_break(prev_start, steps, met=False)
                ev = ExposureEvent(self.t(start), EventKind.MICRO_BREAK, steps * v.dt_s)
                self.events.append(ev)
            elif not v.in_bout:
                self.start_bout(start)
        elif cls == GAP and v.in_bout:  # as long as a break: interrupted
            closed = self.t(start)
            v.held_bout = self.bout_record(BoutEnd.GAP, None, closed)
            duration = bout_clock(
                self.t(v.bout_start),
                self.t(v.last_seated_end),
                v.seated_end_paused,
                v.dt_s,
            )
            self.events.append(ExposureEvent(closed, EventKind.BOUT_ENDED, duration))
            v.in_bout = False
        v.relief_in_bout = cls == RELIEF and v.in_bout
        v.span_cls, v.span_start = cls, start
        v.span_paused, v.span_bout_paused = 0, v.paused_steps

    # --- gaps ----------------------------------------------------------------------
    def long_gap(self) -> None:
        """The pending gap has lasted a break: it is a gap span from its start."""
        v = self.v
        g = v.gap_start
        v.gap_start = -1
        if v.span_cls >= 0:
            self.close_span(g)
        self.open_span(GAP, g)

    def short_gap_ended(self, end: int, cls: int) -> None:
        """The pending gap ended before a break's length: a pause. The span before it
        goes on if the same class follows; the bout clock skips the gap."""
        v = self.v
        g = v.gap_start
        steps = end - g
        v.gap_start = -1
        self.events.append(ExposureEvent(self.t(end), EventKind.GAP_ENDED, steps * v.dt_s))
        if v.in_bout:  # a milestone reached as the data stopped is due then
            self.milestones_before(self.t(g), at_limit=True)
        if cls == v.span_cls:
            v.span_paused += steps
            if v.in_bout:
                v.paused_steps += steps
            return
        if v.span_cls >= 0:
            self.close_span(g)
        if v.in_bout:
            v.paused_steps += steps
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
    base = v.index
    dt = v.dt_s
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
        if c == GAP and v.span_cls != GAP:
            if v.gap_start < 0:
                v.gap_start = s
                w.events.append(ExposureEvent(w.t(s), EventKind.GAP_STARTED))
            if v.gap_start + need <= e:
                w.long_gap()
            continue  # a gap pauses the clock
        if v.gap_start >= 0:
            w.short_gap_ended(s, c)
        elif c != v.span_cls:
            if v.span_cls >= 0:
                w.close_span(s)
            w.open_span(c, s)
        if not v.in_bout or c == GAP:
            continue
        if c == SEATED:
            v.seated_steps += length
            v.above_steps += int(np.count_nonzero(above[lo:hi]))
            v.excess_q += int(exq[lo:hi].sum())  # whole numbers: exact in any order
            if seat_q is not None:
                v.seat_q += int(seat_q[lo:hi].sum())
            if peaks is not None and np.isfinite(peaks[lo:hi]).any():
                mx = float(np.nanmax(peaks[lo:hi]))
                v.seat_peak = mx if v.seat_peak is None else max(v.seat_peak, mx)
        elif (
            c == RELIEF
            and v.relief_in_bout
            and s - v.span_paused < v.span_start + need <= e - v.span_paused
        ):
            # the relief reaches the break length inside this run: the bout is over
            t_done = paused_time(w.t(v.span_start) + p.break_s, v.span_paused, dt)
            w.milestones_before(t_done)
            before = bout_clock(w.t(v.bout_start), w.t(v.span_start), v.span_bout_paused, dt)
            w.events.append(ExposureEvent(t_done, EventKind.BREAK_TAKEN, p.break_s))
            w.events.append(ExposureEvent(t_done, EventKind.BOUT_ENDED, before))
            v.held_bout = w.bout_record(BoutEnd.BREAK, None, t_done)
            v.in_bout = False
            continue
        w.milestones_before(w.t(e))
    v.index = base + n
    hip_s = _hip_events(w, above, base)
    events = tuple(sorted(w.events, key=ExposureEvent.sort_key))
    return w.state(), StreamOutput(events, tuple(w.bouts), tuple(w.breaks), hip_s)


def _hip_events(w: _Work, above: BoolArray, base: int) -> FloatArray:
    """Debounced like compression.hip_span_changes: a run counts once it has lasted
    the minimum, which may be chunks later; the event carries the run's start.
    Returns the debounced span's length after each step (0 where not above)."""
    v = w.v
    need = hip_hold_steps(w.p, v.dt_s)
    n = int(above.shape[0])
    steps = np.arange(base + 1, base + n + 1, dtype=np.float64)  # index after each step
    since = np.empty(n)
    on = np.empty(n, dtype=np.bool_)
    starts, _lengths, values = runs(above)
    bounds = [*starts.tolist(), n]
    for k, a in enumerate(values.tolist()):
        lo, hi = bounds[k], bounds[k + 1]
        s = base + lo
        continues = k == 0 and v.hip_run_start >= 0 and a == v.hip_run_value
        if not continues:
            v.hip_run_value, v.hip_run_start = a, s
        # the debounced state switches at the step where the run reaches the minimum
        switch = hi
        if a != v.above:
            switch = min(hi, max(lo, v.hip_run_start + need - 1 - base))
        on[lo:switch], since[lo:switch] = v.above, v.above_since
        if switch < hi:
            on[switch:hi], since[switch:hi] = a, v.hip_run_start
        if base + hi - v.hip_run_start >= need and a != v.above:
            t = w.t(v.hip_run_start)
            if a:
                w.events.append(ExposureEvent(t, EventKind.HIP_GT90_STARTED))
            else:
                steps_up = v.hip_run_start - v.above_since
                w.events.append(ExposureEvent(t, EventKind.HIP_GT90_ENDED, steps_up * v.dt_s))
            v.above, v.above_since = a, v.hip_run_start
    out: FloatArray = np.where(on, (steps - since) * v.dt_s, 0.0)
    return out


def finish(state: StreamState, params: ExposureParams | None = None) -> StreamOutput:
    """What the end of the data closes (as the batch function reports it): a held
    bout with its break or gap measured to the end, or the open bout. ``state`` is
    not changed (live use keeps streaming)."""
    w = _Work(state, params or ExposureParams())
    v = w.v
    data_end = end = v.index
    if v.gap_start >= 0:  # the data ends in a gap shorter than a break: a pause
        end = v.gap_start
    if v.held_bout is not None:
        if v.span_cls == GAP:
            w.release(gap_s=(end - v.span_start) * v.dt_s)
        else:
            w.add_break(v.span_start, end - v.span_start - v.span_paused, met=True)
            w.release()
    elif v.in_bout:
        if v.span_cls == SEATED:
            v.last_seated_end = end
            v.seated_end_paused = v.paused_steps
        v.held_bout = w.bout_record(BoutEnd.OPEN, None, w.t(data_end))
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
