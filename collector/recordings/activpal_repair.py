"""Repairs of damaged cells in activPAL event exports (docs/activpal.md, "Damaged rows").

An export holds the same facts more than once, so one damaged cell (a flipped bit on
a memory card, an edit by hand) can be recognised and often put back exactly:

* **DataCount** (samples at 10 per second): an event starts where the one before it
  ends (``DataCount + 10 · Interval`` of the row before), where the row after it says
  (``DataCount − 10 · Interval`` of the row after), and where its ``Time`` says. A
  count that agrees with none of these while its neighbours are sound is damaged. It
  is repaired when two of the three agree on one value (the neighbours with each
  other, or one neighbour with ``Time`` to 1 s), else the row is skipped: its time
  becomes a non-wear gap, as any gap between events.
* **CumulativeStepCount**: the device adds one stride per stepping event, so the
  count minus the stepping events so far is constant. One row where it leaves that
  constant and comes straight back (by two strides or more, or so far that the count
  goes down) is a damaged cell; it is set back on the constant.

Everything else is left as exported; what cannot be repaired this way is for the
reader's own checks (which name the row and column). Every repair and skip is a
:class:`RowRepair` naming the file line, the column and the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from analytics.records import BoolArray, FloatArray, IntArray

COUNTS_PER_S: Final = 10
"""activPAL samples per second (``DataCount`` units)."""

TIME_AGREES_S: Final = 1.0
"""``Time`` supports a sample count within this many seconds (the reader's drift
warning uses the same bound)."""

STEP_JUMP_FLOOR: Final = 2
"""Strides by which a lone cumulative step count must leave the count of stepping
events to be called damaged when it does not make the count go down."""


@dataclass(frozen=True, slots=True)
class RowRepair:
    """One damaged cell: repaired (``now`` is the new value) or its row skipped
    (``now`` is None)."""

    row: int
    """File line (1-based, as an editor shows it)."""
    column: str
    was: float
    now: float | None
    why: str

    @property
    def skipped(self) -> bool:
        return self.now is None

    @property
    def message(self) -> str:
        what = "row skipped" if self.now is None else f"repaired to {self.now:g}"
        return f"row {self.row}: {self.column} {self.was:g} {self.why}; {what}"


def repair_counts(
    local_s: FloatArray,
    count: FloatArray,
    interval_s: FloatArray,
    rows: IntArray,
    column: str,
) -> tuple[FloatArray, BoolArray, list[RowRepair]]:
    """Sample counts with damaged cells repaired, the rows to keep, the repairs.

    ``local_s`` is each row's ``Time`` in seconds; ``count`` its ``DataCount``;
    ``interval_s`` its ``Interval`` / ``Duration``.
    """
    n = count.shape[0]
    keep = np.ones(n, dtype=np.bool_)
    if n < 3:
        return count, keep, []
    ivt = np.rint(interval_s * COUNTS_PER_S)
    from_prev = np.full(n, np.nan)
    from_prev[1:] = count[:-1] + ivt[:-1]
    from_next = np.full(n, np.nan)
    from_next[:-1] = count[1:] - ivt[:-1]
    # local time of sample 0, robust to a few damaged rows
    anchor_s = float(np.median(local_s - count / COUNTS_PER_S))
    from_time = (local_s - anchor_s) * COUNTS_PER_S
    tol = TIME_AGREES_S * COUNTS_PER_S
    sound = (count == from_prev) | (count == from_next) | (np.abs(count - from_time) <= tol)
    out = count.copy()
    repairs: list[RowRepair] = []
    for i in np.flatnonzero(~sound).tolist():
        prev_ok = i > 0 and bool(sound[i - 1])
        next_ok = i < n - 1 and bool(sound[i + 1])
        if not (prev_ok or next_ok):
            continue  # no sound neighbour: the reader's own checks decide
        cands = [float(c) for c, ok in ((from_prev[i], prev_ok), (from_next[i], next_ok)) if ok]
        value = None
        if len(cands) == 2 and cands[0] == cands[1]:
            value = cands[0]
        else:
            near_time = [c for c in cands if abs(c - from_time[i]) <= tol and c >= 0]
            value = near_time[0] if near_time else None
        why = "disagrees with its Time and with the rows before and after it"
        if value is not None:
            out[i] = value
            repairs.append(RowRepair(int(rows[i]), column, float(count[i]), value, why))
        elif (i == 0 or prev_ok) and (i == n - 1 or next_ok):
            keep[i] = False
            repairs.append(RowRepair(int(rows[i]), column, float(count[i]), None, why))
    return out, keep, repairs


def repair_steps(
    cumulative: FloatArray, stepping: BoolArray, rows: IntArray, column: str
) -> tuple[FloatArray, list[RowRepair]]:
    """Cumulative step counts with lone damaged cells set back on the stride count."""
    n = cumulative.shape[0]
    if n < 3:
        return cumulative, []
    offset = cumulative - np.cumsum(stepping)
    # the constant each row's neighbours agree on (both sides; one side at the ends)
    ref = np.full(n, np.nan)
    both = offset[:-2] == offset[2:]
    ref[1:-1] = np.where(both, offset[:-2], np.nan)
    if offset[1] == offset[2]:
        ref[0] = offset[1]
    if offset[-2] == offset[-3]:
        ref[-1] = offset[-2]
    with np.errstate(invalid="ignore"):
        lone = np.isfinite(ref) & (offset != ref)
    prev = np.concatenate(([-np.inf], cumulative[:-1]))
    nxt = np.concatenate((cumulative[1:], [np.inf]))
    goes_down = (cumulative < prev) | (cumulative > nxt)
    bad = lone & (goes_down | (np.abs(offset - ref) >= STEP_JUMP_FLOOR))
    out = cumulative.copy()
    out[bad] = ref[bad] + np.cumsum(stepping)[bad]
    bad &= out >= 0
    out = np.where(bad, out, cumulative)
    why = "leaves the count of stepping events and comes straight back"
    repairs = [
        RowRepair(int(rows[i]), column, float(cumulative[i]), float(out[i]), why)
        for i in np.flatnonzero(bad).tolist()
    ]
    return out, repairs
