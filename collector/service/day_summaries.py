"""The live service's day summaries: the live engine's emitted per-second timeline of
the current local day (and of the day before it, for the bouts that began then) and
the day's prompt counters, summarised by :func:`analytics.day_summary.day_summary`
when the day's local midnight passes, and for the day in progress at the end of a run.

Memory is bounded: two days of seconds (posture and hip flexion) at most. Revised hip
angles (:mod:`analytics.hip_revision`) replace the ones taken (:meth:`DaySummaries.revise`)
before the day's summary is made.
"""

from __future__ import annotations

import datetime as dt
import math
from datetime import tzinfo

import numpy as np

from analytics.adherence import AdherenceCounts
from analytics.alert_records import Adherence
from analytics.compression import ExposureParams
from analytics.day_summary import DaySummary, day_summary
from analytics.hip_revision import HipRevision
from analytics.local_days import date_of, local_midnight_s
from analytics.records import FloatArray, Int8Array, Posture, Timeline

_DAY_S = 86400
_EPOCH = dt.date(1970, 1, 1)


class DaySummaries:
    """Feed it every emitted second (:meth:`add`) and the prompt counters
    (:meth:`note`); it returns the summary of each local day whose midnight the
    seconds pass. Seconds come in order (later seconds only); a hole between them is
    non-wear, as in the history."""

    def __init__(self, zone: tzinfo, params: ExposureParams) -> None:
        self.zone = zone
        self.params = params
        self._base_s = 0
        """Time of index 0 of the buffers (the start of the day before, or later)."""
        self._posture: Int8Array = np.zeros(0, dtype=np.int8)
        self._hip: FloatArray = np.zeros(0, dtype=np.float64)
        self._end = 0
        """Seconds ``[base, base + end)`` are filled (holes: non-wear)."""
        self._day: str | None = None
        self._day_start_s = 0
        self._next_midnight_s = 0
        self._counts: dict[str, AdherenceCounts] = {}

    @property
    def day(self) -> str | None:
        """The local date of the seconds now collected (None: none yet)."""
        return self._day

    def note(self, adherence: Adherence) -> None:
        """The prompt counters of a local day as they stand (the newest wins)."""
        a = adherence
        self._counts[a.date.isoformat()] = AdherenceCounts(
            a.prompted, a.taken, a.natural, a.late, a.snoozed, a.ignored
        )

    def adherence(self, day: int) -> Adherence:
        """The prompt counters of local day number ``day`` as last noted (none: zero)."""
        c = self._counts.get((_EPOCH + dt.timedelta(days=day)).isoformat(), AdherenceCounts())
        return Adherence(day, c.prompted, c.taken, c.natural, c.late, c.snoozed, c.ignored)

    def revise(self, rev: HipRevision) -> None:
        """The revised hip angles of seconds already taken (see
        analytics.hip_revision; the seconds still to come are revised by the caller)."""
        lo = max(rev.t0_s, self._base_s)
        hi = min(rev.t0_s + rev.n, self._base_s + self._end)
        if hi > lo:
            src = slice(lo - rev.t0_s, hi - rev.t0_s)
            self._hip[lo - self._base_s : hi - self._base_s] = rev.hip_flexion_deg[src]

    def add(self, t0_s: int, posture: Int8Array, hip_flexion_deg: FloatArray) -> list[DaySummary]:
        """Take seconds ``[t0_s, t0_s + n)``; the summaries of the days they end."""
        out: list[DaySummary] = []
        n = int(posture.shape[0])
        i = 0
        while i < n:
            t = t0_s + i
            if self._day is None:
                self._start_day(t, base_s=t)
            elif t >= self._next_midnight_s:
                out.append(self._summary(complete=True))
                # the day before stays as context (bouts that began on it); after a
                # silence of a day or more, nothing does
                after = t < self._next_midnight_s + _DAY_S
                self._start_day(t, base_s=self._day_start_s if after else t)
            j = min(n, i + max(1, self._next_midnight_s - t))
            self._put(t, posture[i:j], hip_flexion_deg[i:j])
            i = j
        return out

    def final(self) -> DaySummary | None:
        """The summary of the day in progress (None: no second was seen)."""
        if self._day is None:
            return None
        return self._summary(complete=False)

    # --- internals --------------------------------------------------------------------

    def _start_day(self, t: int, *, base_s: int) -> None:
        day = date_of(t, self.zone)
        self._day = day
        date = dt.date.fromisoformat(day)
        self._day_start_s = math.floor(local_midnight_s(date, self.zone))
        self._next_midnight_s = math.floor(local_midnight_s(date + dt.timedelta(days=1), self.zone))
        if self._end == 0:
            self._base_s, self._end = base_s, 0
            return
        # drop what is older than the new base (the day before the day before)
        shift = max(0, base_s - self._base_s)
        keep = max(0, self._end - shift)
        self._posture[:keep] = self._posture[shift : shift + keep]
        self._hip[:keep] = self._hip[shift : shift + keep]
        self._base_s += shift
        self._end = keep
        for old in [d for d in self._counts if d < day and d != self._previous(day)]:
            del self._counts[old]

    @staticmethod
    def _previous(day: str) -> str:
        return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()

    def _put(self, t: int, posture: Int8Array, hip: FloatArray) -> None:
        lo = t - self._base_s
        hi = lo + int(posture.shape[0])
        if hi > self._posture.shape[0]:
            size = max(hi, min(2 * self._posture.shape[0], 3 * _DAY_S), 3600)
            grown_p = np.full(size, Posture.NONWEAR, dtype=np.int8)
            grown_h = np.full(size, np.nan, dtype=np.float64)
            grown_p[: self._end] = self._posture[: self._end]
            grown_h[: self._end] = self._hip[: self._end]
            self._posture, self._hip = grown_p, grown_h
        if lo > self._end:  # a hole: non-wear
            self._posture[self._end : lo] = Posture.NONWEAR
            self._hip[self._end : lo] = np.nan
        self._posture[lo:hi] = posture
        self._hip[lo:hi] = hip
        self._end = max(self._end, hi)

    def _summary(self, *, complete: bool) -> DaySummary:
        assert self._day is not None
        tl = Timeline(
            t0_s=self._base_s,
            posture=self._posture[: self._end].copy(),
            hip_flexion_deg=self._hip[: self._end].copy(),
        )
        counts = self._counts.get(self._day, AdherenceCounts())
        return day_summary(tl, self._day, self.zone, counts, self.params, complete=complete)
