"""Compression bouts, breaks and their events, from a posture timeline (batch).
The records and the per-step rules are in :mod:`analytics.compression`.

Definitions (../shared/domain.md):

* **seated** steps compress the tendon: ``sitting`` and ``riding_seated``;
* **relief** steps do not: ``upright``, ``riding_standing`` and ``lying``;
* **gaps**: ``nonwear`` — never sitting, never a break. A gap shorter than
  ``break_s`` *pauses* a bout (:mod:`analytics.pauses`): the bout goes on across
  it and its clock does not count it; a longer gap ends the bout.

Consecutive steps of one class form a *span*. A **compression bout** starts at a
seated span and runs on through relief spans shorter than ``break_s``
(micro-breaks, counted) until a relief span of at least ``break_s`` (a break
taken: the bout ends where that relief began), a gap of at least ``break_s``
(the bout is *interrupted*: it ends where the last seated span ended and reports the
gap's length) or the end of the data (the bout is still open). Sitting after such a
gap starts a new bout.

Every relief span that follows seated time inside a bout is a **break** record:
its length, whether it met the rule (≥ ``break_s``), the compression time
before it (since the bout started) and whether that was within the guidance
(≤ ``guidance_max_s``, 40 min by default).

The functions here are vectorised over spans; :mod:`analytics.streaming` computes
the same records chunk by chunk, and a property test checks they agree exactly.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from analytics.compression import (
    GAP,
    QUANTUM,
    RELIEF,
    SEATED,
    STEP_CLASS_OF,
    BoutEnd,
    Break,
    Compression,
    CompressionBout,
    EventKind,
    ExposureEvent,
    ExposureParams,
    break_steps,
    hip_span_changes,
    hip_step_values,
    milestone_minutes,
    quantize,
    seat_load_seated,
    seat_peak_seated,
    step_time,
)
from analytics.pauses import (
    ShortGaps,
    bout_clock,
    milestone_times,
    paused_time,
    relief_done_paused,
    without_short_gaps,
)
from analytics.records import BoolArray, FloatArray, Int8Array, IntArray, Timeline
from analytics.rules import RULES
from analytics.smoothing import runs


@dataclass(frozen=True, slots=True)
class _Spans:
    start: FloatArray
    length: FloatArray
    cls: Int8Array
    first: IntArray
    count: IntArray
    """Steps of the span's own class (without paused gaps inside it)."""
    end: IntArray
    piece: IntArray | None = None
    """With short gaps cut out: each span's first original span."""


def _spans(tl: Timeline, posture_runs: tuple[IntArray, IntArray, Int8Array] | None) -> _Spans:
    """Spans of equal class, from the posture runs (few) rather than per step."""
    p_starts, _p_lengths, p_values = posture_runs if posture_runs else runs(tl.posture)
    cls = STEP_CLASS_OF[p_values.astype(np.int64)]
    keep = np.ones(cls.shape[0], dtype=np.bool_)
    keep[1:] = cls[1:] != cls[:-1]
    starts = p_starts[keep]
    lengths = np.diff(np.append(starts, tl.n))
    values = cls[keep]
    return _Spans(
        start=np.asarray(tl.t0_s + starts * tl.dt_s, dtype=np.float64),  # = step_time
        length=np.asarray(lengths * tl.dt_s, dtype=np.float64),
        cls=values,
        first=starts,
        count=lengths,
        end=starts + lengths,
    )


def _paused_spans(sp: _Spans, tl: Timeline, need: int) -> tuple[_Spans, ShortGaps | None]:
    """``sp`` with the short gaps cut out (see analytics.pauses), and those gaps."""
    cut = without_short_gaps(sp.cls, sp.first, sp.count, GAP, need)
    if cut is None:
        return sp, None
    m, gaps = cut
    return (
        _Spans(
            start=np.asarray(tl.t0_s + m.first * tl.dt_s, dtype=np.float64),
            length=np.asarray(m.count * tl.dt_s, dtype=np.float64),
            cls=m.cls,
            first=m.first,
            count=m.count,
            end=m.end,
            piece=m.pieces,
        ),
        gaps,
    )


def compression(
    tl: Timeline,
    params: ExposureParams | None = None,
    *,
    with_events: bool = True,
    excess90: FloatArray | None = None,
    posture_runs: tuple[IntArray, IntArray, Int8Array] | None = None,
) -> Compression:
    """Bouts, breaks and (unless ``with_events`` is false) events over a whole
    timeline, vectorised over spans; Python touches only bouts and breaks."""
    p = params or ExposureParams()
    original = _spans(tl, posture_runs)
    if original.cls.shape[0] == 0:
        return Compression((), (), ())
    need = break_steps(p, tl.dt_s)
    sp, gaps = _paused_spans(original, tl, need)
    n_sp = sp.cls.shape[0]
    if n_sp == 0:
        events = _events(
            tl, original, [], [], [], p, gaps, hip_step_values(tl, RULES.hip_flexion_limit_deg)[0]
        )
        return Compression((), (), tuple(events) if with_events else ())
    relief = sp.cls == RELIEF
    seated = sp.cls == SEATED
    is_break = relief & (sp.count >= need)
    boundary = is_break | (sp.cls == GAP)
    # segment id: spans between boundaries; boundaries get their own ids
    seg = np.cumsum(boundary) * 2 - boundary  # boundary spans odd-shifted, unique

    above, excess = hip_step_values(tl, RULES.hip_flexion_limit_deg, excess90)
    seat_load = None
    if tl.seat_load is not None:
        seat_load = seat_load_seated(tl.posture, tl.seat_load)

    bouts: list[CompressionBout] = []
    breaks: list[Break] = []
    micro_events: list[ExposureEvent] = []
    bout_lo: list[int] = []
    seated_idx = np.flatnonzero(seated)
    if seated_idx.size:
        seg_of = seg[seated_idx]
        change = np.flatnonzero(np.diff(seg_of)) + 1
        firsts = seated_idx[np.concatenate(([0], change))]
        lasts = seated_idx[np.concatenate((change - 1, [seated_idx.size - 1]))]
        lo = sp.first[firsts]
        hi = sp.end[lasts]
        sums = _range_sums(lo, hi, above, excess, seat_load)
        ctx = _SpanLists(sp, seated, relief, is_break, boundary, original, gaps, need)
        relief_idx = np.flatnonzero(relief).tolist()
        for k, (f, last) in enumerate(zip(firsts.tolist(), lasts.tolist(), strict=True)):
            bouts.append(_bout(tl, ctx, f, last, int(lo[k]), int(hi[k]), sums[k], p.break_s))
            bout_lo.append(int(lo[k]))
            b0 = ctx.start[f]
            r0 = bisect.bisect_left(relief_idx, f)
            r1 = bisect.bisect_right(relief_idx, last)
            for r in relief_idx[r0:r1]:
                br = _break(ctx, r, int(lo[k]), b0, p, tl.dt_s, met=False)
                breaks.append(br)
                if with_events:  # sitting resumed at the start of the next span
                    micro_events.append(
                        ExposureEvent(ctx.start[r + 1], EventKind.MICRO_BREAK, br.duration_s)
                    )
            nxt = last + 1
            if nxt < n_sp and ctx.is_break[nxt]:
                breaks.append(_break(ctx, nxt, int(lo[k]), b0, p, tl.dt_s, met=True))
    if not with_events:
        return Compression(tuple(bouts), tuple(breaks), ())
    events = _events(tl, original, bouts, bout_lo, breaks, p, gaps, above) + micro_events
    events.sort(key=ExposureEvent.sort_key)
    return Compression(tuple(bouts), tuple(breaks), tuple(events))


class _SpanLists:
    """The spans as Python lists and prefix sums, for O(1) per-bout figures."""

    def __init__(
        self,
        sp: _Spans,
        seated: BoolArray,
        relief: BoolArray,
        is_break: BoolArray,
        boundary: BoolArray,
        original: _Spans,
        gaps: ShortGaps | None,
        need: int,
    ) -> None:
        self.original = original
        self.gaps = gaps
        self.need = need
        self.first: list[int] = sp.first.tolist()
        self.piece: list[int] | None = None if sp.piece is None else sp.piece.tolist()
        self.cls: list[int] = sp.cls.tolist()
        self.start: list[float] = sp.start.tolist()
        self.length: list[float] = sp.length.tolist()
        self.count: list[int] = sp.count.tolist()
        self.is_break: list[bool] = is_break.tolist()
        self.boundary: list[bool] = boundary.tolist()
        zero = np.zeros(1, dtype=np.int64)
        self.cum_seated: list[int] = np.concatenate(
            (zero, np.cumsum(np.where(seated, sp.count, 0)))
        ).tolist()
        self.cum_relief_n: list[int] = np.concatenate((zero, np.cumsum(relief))).tolist()
        self.cum_relief_steps: list[int] = np.concatenate(
            (zero, np.cumsum(np.where(relief, sp.count, 0)))
        ).tolist()

    def paused_between(self, lo: int, hi: int) -> int:
        """Paused (short-gap) steps between two span boundaries."""
        return 0 if self.gaps is None else self.gaps.at(hi) - self.gaps.at(lo)

    def break_done(self, r: int, break_s: float, dt_s: float) -> float:
        """When the relief span ``r`` reaches the break length (gaps paused)."""
        paused = 0
        if self.piece is not None:
            o = self.original
            paused = relief_done_paused(o.cls, o.count, self.piece[r], RELIEF, self.need)
        return paused_time(self.start[r] + break_s, paused, dt_s)


def _range_sums(
    lo: IntArray, hi: IntArray, above: BoolArray, excess: FloatArray, seat_load: FloatArray | None
) -> list[tuple[int, int, int | None]]:
    """Per range [lo, hi): steps above 90°, quantized excess, quantized seat load —
    one reduceat each over the whole timeline instead of a slice per bout (the steps
    above 90° counted per range: a reduceat of booleans into integers would first copy
    the whole mask as int64). ``excess`` (the seated excess, a buffer of the caller's)
    is quantized in place. Each per-second array a 90-day review does not make is
    ~60 MB of fresh memory a new process does not fault in."""
    edges = np.empty(2 * lo.shape[0], dtype=np.int64)
    edges[0::2], edges[1::2] = lo, hi
    if edges[-1] >= above.shape[0]:
        edges = edges[:-1]  # reduceat sums the last range to the end by itself

    def sums(values: FloatArray) -> list[int]:
        out = np.add.reduceat(values, edges, dtype=np.float64)[0::2]
        return [int(x) for x in out.tolist()]

    a = [int(np.count_nonzero(above[i:j])) for i, j in zip(lo.tolist(), hi.tolist(), strict=True)]
    q = sums(quantize(excess, out=excess))
    seat: list[int | None] = [None] * len(a)
    if seat_load is not None:
        seat = list(sums(quantize(seat_load)))
    return list(zip(a, q, seat, strict=True))


def _bout(
    tl: Timeline,
    c: _SpanLists,
    f: int,
    last: int,
    lo: int,
    hi: int,
    range_sums: tuple[int, int, int | None],
    break_s: float,
) -> CompressionBout:
    dt = tl.dt_s
    above_steps, excess_q, seat_q = range_sums
    nxt = last + 1
    n_sp = len(c.cls)
    if nxt < n_sp and c.cls[nxt] == RELIEF and not c.boundary[nxt]:
        nxt += 1  # a short relief, then a gap or the end of the data: they decide
    if nxt >= n_sp:
        ended, gap_s, closed = BoutEnd.OPEN, None, float(tl.t0_s + tl.n * dt)
    elif c.cls[nxt] == GAP:
        ended, gap_s, closed = BoutEnd.GAP, c.length[nxt], c.start[nxt]
    else:
        ended, gap_s, closed = BoutEnd.BREAK, None, c.break_done(nxt, break_s, dt)
    seat_peak = None
    if tl.seat_peak is not None:
        seg_peak = seat_peak_seated(tl.posture[lo:hi], tl.seat_peak[lo:hi])
        seat_peak = float(np.nanmax(seg_peak)) if np.isfinite(seg_peak).any() else None
    return CompressionBout(
        start_s=step_time(tl.t0_s, dt, lo),
        end_s=step_time(tl.t0_s, dt, hi),
        seated_s=(c.cum_seated[last + 1] - c.cum_seated[f]) * dt,
        micro_breaks=c.cum_relief_n[last + 1] - c.cum_relief_n[f],
        micro_break_s=(c.cum_relief_steps[last + 1] - c.cum_relief_steps[f]) * dt,
        hip_gt90_s=above_steps * dt,
        hip_dose_deg_min=excess_q * QUANTUM * dt / 60.0,
        seat_dose=seat_q * QUANTUM * dt if seat_q is not None else None,
        seat_peak=seat_peak,
        ended_by=ended,
        gap_s=gap_s,
        closed_at_s=closed,
        paused_s=c.paused_between(lo, hi) * dt,
    )


def _break(
    c: _SpanLists,
    r: int,
    bout_first: int,
    bout_start: float,
    p: ExposureParams,
    dt: float,
    *,
    met: bool,
) -> Break:
    start = c.start[r]
    before = bout_clock(bout_start, start, c.paused_between(bout_first, c.first[r]), dt)
    return Break(
        start_s=start,
        duration_s=c.length[r],
        met_rule=met,
        sitting_before_s=before,
        within_guidance=before <= p.guidance_max_s,
    )


def _events(
    tl: Timeline,
    sp: _Spans,
    bouts: list[CompressionBout],
    bout_lo: list[int],
    breaks: list[Break],
    p: ExposureParams,
    gaps: ShortGaps | None,
    above: BoolArray,
) -> list[ExposureEvent]:
    """``sp``: the original spans (every gap reported, short ones too)."""
    ev: list[ExposureEvent] = []
    for b, lo in zip(bouts, bout_lo, strict=True):
        ev.append(ExposureEvent(b.start_s, EventKind.BOUT_STARTED))
        # announced while the bout is alive (a micro-break does not stop the clock; a
        # short gap pauses it)
        minutes = milestone_minutes(p, b.closed_at_s - b.start_s)
        for t, m in milestone_times(
            b.start_s, minutes, b.closed_at_s, gaps, lo, tl.t0_s, tl.dt_s, tl.n
        ):
            ev.append(ExposureEvent(t, EventKind.BOUT_MINUTES, m))
    met = [br for br in breaks if br.met_rule]
    by_break = [b for b in bouts if b.ended_by == BoutEnd.BREAK]
    for br, b in zip(met, by_break, strict=True):
        t = b.closed_at_s  # the break complete (short gaps inside it paused)
        ev.append(ExposureEvent(t, EventKind.BREAK_TAKEN, p.break_s))
        ev.append(ExposureEvent(t, EventKind.BOUT_ENDED, br.sitting_before_s))
    for b in bouts:
        if b.ended_by == BoutEnd.GAP:
            ev.append(ExposureEvent(b.closed_at_s, EventKind.BOUT_ENDED, b.duration_s))
    gap = np.flatnonzero(sp.cls == GAP)
    for k in gap.tolist():
        first, count = int(sp.first[k]), int(sp.count[k])
        ev.append(ExposureEvent(step_time(tl.t0_s, tl.dt_s, first), EventKind.GAP_STARTED))
        if first + count < tl.n:
            t_end = step_time(tl.t0_s, tl.dt_s, first + count)
            ev.append(ExposureEvent(t_end, EventKind.GAP_ENDED, count * tl.dt_s))
    for t, kind, value in hip_span_changes(above, tl.t0_s, tl.dt_s, p):
        ev.append(ExposureEvent(t, kind, value))
    ev.sort(key=ExposureEvent.sort_key)
    return ev
