"""Rides into the history (``sitload history import ride.fit``, and ``thigh.csv --ride
ride.fit``): each ride is one :class:`RideRecord` with the figures ``sitload analyze``
gives for it.

* **A FIT file alone**: the bike computer's figures (start, end, riding time, time
  on the bike); seated / standing, the longest seated bout and stands per hour where
  the file carries rider position (Garmin cycling dynamics), else unknown (None). No
  timeline is written: the file does not say whether the rider sat or stood, and the
  history's timeline is posture.
* **A thigh recording with the ride** (``--ride``): the recording is imported as any
  recording (its timeline, bouts and days; the ride's cadence joined on one clock),
  and the ride record takes seated / standing, the saddle bouts, stands and seated
  time at hip > 90° from the thigh over the ride's span (``position_from="thigh"``).

The key is the user and the ride's start second, so importing a ride again replaces
its record (and the thigh import stores one copy as any import does).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from analytics.durations import format_h_min
from analytics.ride import RideParams, RideSummary, summarize_ride
from analytics.saddle import SaddleContext
from collector.history_import import Analysed, HistoryImportError
from collector.plural import counted
from collector.recordings.errors import RecordingError
from collector.recordings.fit import read_fit
from collector.recordings.sniff import is_fit_file
from collector.sinks.history.model import HistoryStore, RideRecord


@dataclass(frozen=True, slots=True)
class RideImport:
    path: Path
    record: RideRecord
    written: int
    rejected: int
    warnings: tuple[str, ...] = ()


def is_ride(path: Path) -> bool:
    """A FIT file (imported as a ride, not as a recording)."""
    return is_fit_file(path)


def ride_record(user: str, s: RideSummary, source: str) -> RideRecord:
    """The ride's figures as the bike computer's file gives them."""
    return RideRecord(
        user,
        float(s.start_t_s),
        float(s.end_t_s),
        float(s.riding_s),
        float(s.on_bike_s),
        seated_s=s.seated_s,
        standing_s=s.standing_s,
        longest_seated_bout_s=s.longest_seated_bout_s,
        stands=s.stands,
        stands_per_hour=s.stands_per_hour,
        seated_hip_gt90_s=None,
        position_from=s.position_from,
        source=source,
    )


def with_thigh(record: RideRecord, a: Analysed, stand_s: float) -> RideRecord:
    """The ride's seated / standing figures from the thigh timeline over its span (the
    timeline is 1 Hz on Unix time for a recording joined with a ride)."""
    tl = a.timeline
    lo = max(0, round(record.start_s - a.to_unix(float(tl.t0_s))))
    hi = min(tl.n, round(record.end_s - a.to_unix(float(tl.t0_s))))
    sad = SaddleContext(tl).summary(lo, max(lo, hi), stand_s)
    if sad.ride_s <= 0:
        return record  # the thigh saw no riding then: keep what the file says
    return RideRecord(
        record.user,
        record.start_s,
        record.end_s,
        record.riding_s,
        record.on_bike_s,
        seated_s=sad.seated_s,
        standing_s=sad.standing_s,
        longest_seated_bout_s=sad.longest_seated_bout_s,
        stands=sad.stands,
        stands_per_hour=sad.stands_per_hour,
        seated_hip_gt90_s=sad.seated_hip_gt90_s,
        position_from="thigh",
        source=record.source,
    )


def read_ride_record(
    path: Path, user: str, params: RideParams | None = None
) -> tuple[RideRecord, tuple[str, ...]]:
    """Read and summarise one FIT ride. Raises :class:`HistoryImportError`."""
    try:
        loaded = read_fit(path)
    except RecordingError as exc:
        raise HistoryImportError(str(exc)) from None
    summary = summarize_ride(loaded.ride, params)
    return ride_record(user, summary, path.name), loaded.warnings


def import_ride(
    store: HistoryStore, record: RideRecord, path: Path, warnings: tuple[str, ...] = ()
) -> RideImport:
    """Write one ride record (a second import replaces it: same key)."""
    result = store.write([record])
    return RideImport(path, record, result.written, result.rejected, warnings)


def _hm(seconds: float | None) -> str:
    return "unknown" if seconds is None else format_h_min(seconds)


def ride_line(done: RideImport) -> str:
    """What ``history import`` says of a ride it stored."""
    r = done.record
    when = dt.datetime.fromtimestamp(r.start_s, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    refused = f", {counted(done.rejected, 'point')} refused" if done.rejected else ""
    hip = "" if r.seated_hip_gt90_s is None else f", seated at hip > 90° {_hm(r.seated_hip_gt90_s)}"
    source = r.position_from if r.position_from != "none" else "no rider position in the file"
    return (
        f"{done.path}: ride of {when}, riding {_hm(r.riding_s)}, seated "
        f"{_hm(r.seated_s)} ({source}){hip}{refused}"
    )
