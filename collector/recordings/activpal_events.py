"""The events of an activPAL export (:class:`ActivPalEvents`): the activity codes
and the clock of the format, the checks that turn parsed columns into events
(:func:`check_events`, with the repairs of :mod:`collector.recordings.activpal_repair`)
and the 0.1 s timeline they make (:func:`events_timeline`). Reading the files is
:mod:`collector.recordings.activpal`; the formats are described in docs/activpal.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

import numpy as np

from analytics.periods import StepCounts
from analytics.records import BoolArray, FloatArray, IntArray, Posture, Timeline
from collector.plural import counted
from collector.recordings.activpal_repair import RowRepair, repair_counts, repair_steps
from collector.recordings.errors import RecordingError

TICKS_PER_S: Final = 10
"""activPAL samples (``DataCount``) per second; the timeline step is 0.1 s."""

EXCEL_UNIX_EPOCH_DAYS: Final = 25569
"""Excel serial day of 1970-01-01 (serial days count from 1899-12-30)."""

STEPS_PER_COUNT: Final = 2
"""``CumulativeStepCount`` counts strides (one per stepping event); PAL reports two
steps per count."""

ACTIVITY_CODES: Final[dict[float, tuple[str, Posture]]] = {
    0.0: ("sitting", Posture.SITTING),
    1.0: ("standing", Posture.UPRIGHT),
    2.0: ("stepping", Posture.UPRIGHT),
    2.1: ("cycling", Posture.RIDING_SEATED),
    3.0: ("lying", Posture.LYING),
    3.1: ("primary lying", Posture.LYING),
    3.2: ("secondary lying", Posture.LYING),
    4.0: ("non-wear", Posture.NONWEAR),
    5.0: ("seated transport", Posture.SITTING),
}
"""activPAL activity codes, their names and the posture they map to. Stepping (2) is
upright with :attr:`Timeline.stepping` set; seated transport (5) is sitting (the code
stays in :attr:`ActivPalEvents.codes`)."""

STEPPING_CODE: Final = 2.0
TRANSPORT_CODE: Final = 5.0

_CODE_TENTHS: Final = {round(c * 10): p for c, (_, p) in ACTIVITY_CODES.items()}
_KNOWN_CODES: Final = ", ".join(f"{c:g}" for c in ACTIVITY_CODES)


@dataclass(frozen=True, slots=True)
class ActivPalEvents:
    """The events of an activPAL export, in file order.

    ``ticks`` is the start of each event in 0.1 s steps from ``t0_s`` (local-clock
    seconds since 1970, whole seconds); ``duration_s`` the exported ``Interval`` /
    ``Duration``; ``codes`` the activity codes as exported (see
    :data:`ACTIVITY_CODES`); ``cumulative_steps`` the exported cumulative count (one
    per stride, see :data:`STEPS_PER_COUNT`); ``rows`` the line of each event in the
    file (1-based, as an editor shows it).
    """

    t0_s: int
    ticks: IntArray
    duration_s: FloatArray
    codes: FloatArray
    cumulative_steps: IntArray
    rows: IntArray
    variant: str = "events"
    """``events`` (classic export) or ``eventsex`` (PALbatch EventsEx)."""
    repairs: tuple[RowRepair, ...] = ()
    """Damaged cells repaired and rows skipped while reading (see activpal_repair)."""

    @property
    def n(self) -> int:
        return int(self.ticks.shape[0])

    @property
    def times_s(self) -> FloatArray:
        """Start of each event, local-clock seconds since 1970."""
        return self.t0_s + self.ticks / float(TICKS_PER_S)

    @property
    def duration_ticks(self) -> IntArray:
        return np.rint(self.duration_s * TICKS_PER_S).astype(np.int64)

    @property
    def steps(self) -> IntArray:
        """Steps taken in each event (two per stride counted by the device)."""
        if self.n == 0:
            return np.zeros(0, dtype=np.int64)
        first = self.cumulative_steps[0] - (1 if self.codes[0] == STEPPING_CODE else 0)
        strides = np.diff(self.cumulative_steps, prepend=max(first, 0))
        return (strides * STEPS_PER_COUNT).astype(np.int64)

    @property
    def seated_transport(self) -> BoolArray:
        """Events that are seated transport (code 5; sitting in the timeline)."""
        return np.asarray(self.codes == TRANSPORT_CODE, dtype=np.bool_)

    def step_counts(self) -> StepCounts:
        """Steps at the start of each event that has any, for period summaries."""
        steps = self.steps
        keep = steps != 0
        return StepCounts(t_s=self.times_s[keep], steps=steps[keep])


def _fail_at(
    path: str | os.PathLike[str], rows: IntArray, bad: np.ndarray, column: str, message: str
) -> None:
    where = np.flatnonzero(bad)
    if where.size:
        raise RecordingError(path, message, row=int(rows[where[0]]), column=column)


def check_events(
    values: dict[str, list[float]],
    rows: IntArray,
    cols: dict[str, tuple[int, str]],
    variant: str,
    path: str | os.PathLike[str],
) -> tuple[ActivPalEvents, tuple[str, ...]]:
    """The events of parsed columns (``values`` by role, ``rows`` their file lines,
    ``cols`` the header's field and name of each role): damaged cells repaired, times
    placed on the 0.1 s grid, codes checked; warnings for the caller to show. Raises
    :class:`RecordingError` naming the row and column of the first problem."""
    warnings: list[str] = []
    time_d = np.array(values["time"], dtype=np.float64)
    count = np.array(values["data_count"], dtype=np.float64)
    interval = np.array(values["interval"], dtype=np.float64)
    codes = np.array(values["code"], dtype=np.float64)
    name = {role: col for role, (_, col) in cols.items()}

    _fail_at(
        path,
        rows,
        (count < 0) | (count != np.round(count)),
        name["data_count"],
        "the sample count must be a whole number >= 0; fix or delete the row",
    )
    local_s = (time_d - EXCEL_UNIX_EPOCH_DAYS) * 86400.0
    count, keep, repairs = repair_counts(local_s, count, interval, rows, name["data_count"])
    cum = None
    if "cumulative_steps" in values:
        cum = np.array(values["cumulative_steps"], dtype=np.float64)[keep]
    local_s, count = local_s[keep], count[keep]
    interval, codes, rows = interval[keep], codes[keep], rows[keep]
    _fail_at(
        path,
        rows[1:],
        np.diff(count) <= 0,
        name["data_count"],
        "the sample count does not increase from the row before; events must be in time "
        "order without repeats",
    )
    _fail_at(
        path,
        rows,
        interval < 0,
        name["interval"],
        "a negative event duration; fix or delete the row",
    )
    tenths = np.rint(codes * 10).astype(np.int64)
    known = np.isin(tenths, list(_CODE_TENTHS)) & (np.abs(codes * 10 - tenths) < 1e-6)
    bad_code = np.flatnonzero(~known)
    if bad_code.size:
        i = int(bad_code[0])
        raise RecordingError(
            path,
            f"unknown activity code {codes[i]:g}; known codes are {_KNOWN_CODES}",
            row=int(rows[i]),
            column=name["code"],
        )
    codes = tenths / 10.0
    if cum is not None:
        _fail_at(
            path,
            rows,
            (cum < 0) | (cum != np.round(cum)),
            name["cumulative_steps"],
            "the cumulative step count must be a whole number >= 0; fix or delete the row",
        )
        stepping = tenths == round(STEPPING_CODE * 10)
        cum, step_repairs = repair_steps(cum, stepping, rows, name["cumulative_steps"])
        repairs = sorted([*repairs, *step_repairs], key=lambda r: r.row)
        _fail_at(
            path,
            rows[1:],
            np.diff(cum) < 0,
            name["cumulative_steps"],
            "the cumulative step count goes down from the row before",
        )
        cum_steps = cum.astype(np.int64)
    else:
        cum_steps = np.zeros(rows.shape[0], dtype=np.int64)
        warnings.append("no CumulativeStepCount column: steps are reported as 0")

    if repairs:
        n_skipped = sum(r.skipped for r in repairs)
        warnings.insert(
            0,
            f"{counted(len(repairs) - n_skipped, 'damaged cell')} repaired, "
            f"{counted(n_skipped, 'row')} skipped "
            f"(first at row {repairs[0].row}); check how the export was copied",
        )
    # Time sets the start; DataCount places every event on the 0.1 s grid.
    start_tenths = round(float(local_s[0]) * TICKS_PER_S)
    t0_s = start_tenths // TICKS_PER_S
    pad = start_tenths - t0_s * TICKS_PER_S
    ticks = (count - count[0]).astype(np.int64) + pad
    drift = np.abs(local_s - (t0_s + ticks / TICKS_PER_S))
    if drift.size and float(drift.max()) > 1.0:
        i = int(np.argmax(drift > 1.0))
        warnings.append(
            f"row {int(rows[i])}: {name['time']} differs from the sample count by "
            f"{float(drift[i]):.1f} s; the sample count was used"
        )
    events = ActivPalEvents(
        t0_s=int(t0_s),
        ticks=ticks,
        duration_s=interval,
        codes=codes,
        cumulative_steps=cum_steps,
        rows=rows,
        variant=variant,
        repairs=tuple(repairs),
    )
    return events, tuple(warnings)


def events_timeline(events: ActivPalEvents) -> tuple[Timeline, int, tuple[str, ...]]:
    """The 0.1 s timeline of ``events``: (timeline, gap ticks filled with non-wear,
    warnings).

    Events normally tile time. Where the next event starts after this one ends, the
    gap is non-wear (counted and warned); where it starts before, this event is cut
    there (warned). Hip flexion is unknown (NaN); ``stepping`` marks code 2.
    """
    warnings: list[str] = []
    n_ev = events.n
    if n_ev == 0:
        empty = np.zeros(0, dtype=np.int8)
        tl = Timeline(
            t0_s=events.t0_s,
            posture=empty,
            hip_flexion_deg=np.zeros(0, dtype=np.float64),
            dt_s=1.0 / TICKS_PER_S,
            stepping=np.zeros(0, dtype=np.bool_),
        )
        return tl, 0, ()
    starts = events.ticks
    ends = starts + events.duration_ticks
    next_start = np.append(starts[1:], ends[-1])
    eff_end = np.minimum(ends, next_start)
    gaps = next_start - eff_end
    cut = ends - eff_end
    tenths = np.rint(events.codes * 10).astype(np.int64)
    posture = np.array([_CODE_TENTHS[int(t)] for t in tenths], dtype=np.int8)
    lead = int(starts[0])

    labels = np.empty(2 * n_ev + 1, dtype=np.int8)
    lengths = np.empty(2 * n_ev + 1, dtype=np.int64)
    labels[0], lengths[0] = Posture.NONWEAR, lead
    labels[1::2], lengths[1::2] = posture, eff_end - starts
    labels[2::2], lengths[2::2] = Posture.NONWEAR, gaps
    step_flag = np.zeros(2 * n_ev + 1, dtype=np.bool_)
    step_flag[1::2] = tenths == round(STEPPING_CODE * 10)

    gap_ticks = int(gaps.sum())
    if gap_ticks:
        i = int(np.flatnonzero(gaps)[0])
        warnings.append(
            f"events do not tile time: {gap_ticks / TICKS_PER_S:.1f} s in "
            f"{int(np.count_nonzero(gaps))} gap(s) filled with non-wear (first after row "
            f"{int(events.rows[i])})"
        )
    cut_ticks = int(cut.sum())
    if cut_ticks:
        i = int(np.flatnonzero(cut)[0])
        warnings.append(
            f"events overlap: {cut_ticks / TICKS_PER_S:.1f} s cut from "
            f"{int(np.count_nonzero(cut))} event(s) that last past the next one's start "
            f"(first at row {int(events.rows[i])})"
        )
    timeline = Timeline(
        t0_s=events.t0_s,
        posture=np.repeat(labels, lengths),
        hip_flexion_deg=np.full(int(lengths.sum()), np.nan),
        dt_s=1.0 / TICKS_PER_S,
        stepping=np.repeat(step_flag, lengths),
    )
    return timeline, gap_ticks, tuple(warnings)
