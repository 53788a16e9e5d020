"""Put a recording or an activPAL export into the history (``sitload history import``).

The file goes through the batch analysis of ``sitload analyze`` (the same timeline,
bouts and days), and the result is written to a history store as the live service
would have written it:

* the **timeline** as 1 Hz :class:`TimelineChunk` records (``sensor_kind="import"``,
  no device tag: one series however often or from which copy a file is imported);
* the **bouts** (:class:`BoutRecord`), the **exposure events** (breaks taken,
  micro-breaks, bout start / end, hip > 90°, gaps; not the per-minute bout ticks);
* one **daily** record per local day with the day's totals. A day that already has a
  daily record keeps its prompt counters (prompted, taken …): an import never erases
  what the live service counted.

Every record has a natural key (user and second / start / date), so importing a file
twice stores it once and a longer copy of the same file extends the history.

activPAL exports are 0.1 s steps on the device's **local clock**. The stores keep
whole seconds of Unix time, so the import

1. turns each 0.1 s step sequence into one posture per second: the posture at the
   middle of the second, i.e. every posture change moves to the nearest whole second
   (at most 0.5 s; totals of a day differ from ``analyze`` by a few seconds at most),
2. places local-clock times in the time zone given (``--tz`` or the configuration's)
   with the zone's offset at the start of the file: the device's clock was set once
   and does not follow a daylight-saving change inside the file, so after such a
   change the local days of the report are one hour off the device's days.

Bouts, events and daily totals are those of the 0.1 s analysis (exactly what
``analyze`` prints); the report recomputes its numbers from the 1 Hz timeline.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np

from analytics.calibration_errors import CalibrationError
from analytics.compression import EventKind, ExposureParams
from analytics.exposure import ExposureReport, exposure_report
from analytics.live import DATA_OK
from analytics.local_days import local_time
from analytics.pipeline import analyze_recording
from analytics.records import Timeline
from analytics.rules import RULES
from collector.analyze_inputs import AnalyzeInputs, prepare, seat_notes
from collector.recording_analysis import analyze_file
from collector.recordings import is_event_file, load_events, load_recording
from collector.recordings.errors import RecordingError
from collector.ride_analyze import join_ride
from collector.service.history_feed import bout_record, event_record
from collector.sinks.history.model import (
    DailyRecord,
    HistoryRecord,
    HistoryStore,
    StoreConfigError,
    StoreNotReadableError,
    StoreUnavailableError,
    TimelineChunk,
    WriteResult,
)

SENSOR_KIND: Final = "import"
"""The ``sensor_kind`` of imported timeline seconds (one series for every import)."""
SKIPPED_EVENTS: Final = frozenset({EventKind.BOUT_MINUTES})
"""Exposure events not stored (the live prompts' per-minute ticks)."""
DAY_S: Final = 86_400


class HistoryImportError(ValueError):
    """A file that cannot be imported (the message names the file and the fix)."""


@dataclass(frozen=True, slots=True)
class Analysed:
    """One file after the batch analysis, on Unix time."""

    path: Path
    kind: str
    """``activpal`` or ``recording``."""
    timeline: Timeline
    """1 Hz, Unix time (for writing)."""
    report: ExposureReport
    """Of the file's own timeline (0.1 s for activPAL), times moved to Unix time by
    :func:`records_of_report`."""
    to_unix: Callable[[float], float]
    zone: ZoneInfo
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportSummary:
    path: Path
    kind: str
    first_s: int
    end_s: int
    seconds: int
    """Timeline seconds written."""
    days: int
    bouts: int
    events: int
    written: int
    """Points the store accepted."""
    rejected: int
    warnings: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- time


def clock_offset_s(local_s: float, zone: ZoneInfo) -> int:
    """The UTC offset of ``zone`` (seconds) at local-clock time ``local_s``."""
    naive = dt.datetime(1970, 1, 1) + dt.timedelta(seconds=local_s)
    offset = naive.replace(tzinfo=zone).utcoffset()
    return 0 if offset is None else round(offset.total_seconds())


@dataclass(frozen=True, slots=True)
class LocalClock:
    """Local-clock seconds → Unix seconds. A device clock set once does not follow a
    daylight-saving change, so one offset (the zone's at the file's start) holds for
    the whole file."""

    offset_s: int

    def __call__(self, local_s: float) -> float:
        return float(local_s - self.offset_s)


def same_clock(t_s: float) -> float:
    return float(t_s)


def per_second(tl: Timeline) -> Timeline:
    """A finer timeline (activPAL 0.1 s) as whole seconds: the step at the middle of
    each second (posture changes move to the nearest second). 1 Hz: unchanged."""
    if tl.dt_s == 1.0:
        return tl
    per_s = round(1.0 / tl.dt_s)
    if per_s < 1 or abs(per_s * tl.dt_s - 1.0) > 1e-9:
        raise ValueError(f"cannot store a timeline of {tl.dt_s} s steps as whole seconds")
    n = tl.n // per_s + (1 if tl.n % per_s > per_s // 2 else 0)
    idx = np.minimum(np.arange(n) * per_s + per_s // 2, tl.n - 1)
    return Timeline(t0_s=tl.t0_s, posture=tl.posture[idx], hip_flexion_deg=tl.hip_flexion_deg[idx])


# --------------------------------------------------------------------------- analysis


def analyse(
    path: Path, *, fmt: str, zone: ZoneInfo, params: ExposureParams, ride: Path | None = None
) -> Analysed:
    """The batch analysis of ``analyze`` on one file (``ride``: a FIT ride whose cadence
    joins the recording, as ``analyze --ride``). Raises :class:`HistoryImportError`."""
    try:
        if is_event_file(path, fmt):
            if ride is not None:
                raise HistoryImportError(
                    f"{path}: --ride joins a recording of sensor samples, not an event export"
                )
            loaded = load_events(path, fmt)
            tl = loaded.timeline
            report = exposure_report(
                tl, params, tz=None, steps=loaded.events.step_counts(), with_events=True
            )
            sec = per_second(tl)
            clock = LocalClock(clock_offset_s(float(sec.t0_s), zone))
            return Analysed(path, "activpal", sec, report, clock, zone, tuple(loaded.warnings))
        if ride is not None:  # the thigh joined with the ride: read whole, as analyze does
            rec = join_ride(load_recording(path, fmt), ride)[0]
            thigh, seat_params, notes = prepare(rec.recording, AnalyzeInputs())
            analysis = analyze_recording(rec.recording, seat_params=seat_params, thigh=thigh)
            timeline = analysis.timeline
            warnings = [*rec.warnings, *notes, *seat_notes(analysis.seat)]
        else:
            found = analyze_file(path, fmt)  # streamed: memory follows seconds, not samples
            jumps = len(found.segments) != 1
            timeline = found.segments[0].analysis.timeline
            warnings = list(found.warnings)
            del found  # the per-second epochs: only the timeline is kept
            if jumps:  # a clock that jumps: one timeline over the whole file, as always
                rec = load_recording(path, fmt)
                thigh, seat_params, notes = prepare(rec.recording, AnalyzeInputs())
                analysis = analyze_recording(rec.recording, seat_params=seat_params, thigh=thigh)
                timeline = analysis.timeline
                warnings = [*rec.warnings, *notes, *seat_notes(analysis.seat)]
        report = exposure_report(timeline, params, tz=zone, with_events=True)
        tl = per_second(timeline)
        return Analysed(path, "recording", tl, report, same_clock, zone, tuple(warnings))
    except RecordingError as exc:
        raise HistoryImportError(str(exc)) from None
    except (CalibrationError, ValueError) as exc:
        raise HistoryImportError(f"{path}: {exc}") from None


# --------------------------------------------------------------------------- records


def timeline_chunks(a: Analysed, user: str, max_s: int = DAY_S) -> Iterator[TimelineChunk]:
    """The 1 Hz timeline on Unix time, in chunks of at most ``max_s`` seconds."""
    tl = a.timeline
    start = round(a.to_unix(float(tl.t0_s)))
    for lo in range(0, tl.n, max_s):
        hi = min(tl.n, lo + max_s)
        # every second of the file is data (its non-wear is posture NONWEAR)
        yield TimelineChunk(
            user,
            start + lo,
            tl.posture[lo:hi],
            tl.hip_flexion_deg[lo:hi],
            np.full(hi - lo, DATA_OK, dtype=np.int8),
            sensor_kind=SENSOR_KIND,
        )


def daily_records(a: Analysed, user: str, existing: Sequence[DailyRecord]) -> list[DailyRecord]:
    """One record per local day of the report, keeping existing prompt counters."""
    kept = {d.date: d for d in existing}
    bouts_by_date: dict[str, int] = {}
    for b in a.report.bouts:
        if b.duration_s >= 1800.0:
            date = local_time(a.to_unix(b.start_s), a.zone).date().isoformat()
            bouts_by_date[date] = bouts_by_date.get(date, 0) + 1
    out = []
    for day in a.report.days:
        date = day.measures.date
        midnight = dt.datetime.combine(dt.date.fromisoformat(date), dt.time(0), a.zone)
        hip = day.hip_at(RULES.hip_flexion_limit_deg)
        old = kept.get(date)
        out.append(
            DailyRecord(
                user,
                date,
                float(midnight.timestamp()),
                day.compression_s,
                hip.total_s if hip is not None else 0.0,
                bouts_by_date.get(date, 0),
                day.saddle.seated_s,
                *(
                    (old.prompted, old.taken, old.natural, old.late, old.snoozed, old.ignored)
                    if old is not None
                    else (0, 0, 0, 0, 0, 0)
                ),
            )
        )
    return out


def event_records(a: Analysed, user: str) -> list[HistoryRecord]:
    """The bouts and exposure events, on Unix time."""
    out: list[HistoryRecord] = []
    for b in a.report.bouts:
        r = bout_record(user, b)
        out.append(replace(r, start_s=a.to_unix(r.start_s), end_s=a.to_unix(r.end_s)))
    for e in a.report.events:
        if e.kind in SKIPPED_EVENTS or not math.isfinite(e.t_s):
            continue
        t = a.to_unix(e.t_s)
        out.append(replace(event_record(user, e), t_s=t, id=f"{e.kind.value}-{round(t * 1000)}"))
    return out


# --------------------------------------------------------------------------- writing


def import_analysed(
    store: HistoryStore,
    a: Analysed,
    user: str,
    *,
    advance: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Write one analysed file. ``advance(seconds)`` is called as the timeline goes in."""
    written = rejected = seconds = 0
    tl = a.timeline
    first = round(a.to_unix(float(tl.t0_s)))
    end = first + tl.n
    # the live service's prompt counts of these days, kept in the daily records; read
    # first: a store that cannot answer is reported before anything is written
    try:
        existing = store.read_daily(user, float(first) - DAY_S, float(end) + DAY_S)
    except StoreNotReadableError as exc:
        raise HistoryImportError(
            f"{a.path}: cannot read the daily records of {store.name} to keep their prompt "
            f"counts ({exc}); nothing of this file was written"
        ) from None
    except (StoreUnavailableError, StoreConfigError):
        raise
    except Exception as exc:  # a store that answers in a way it should not
        raise HistoryImportError(
            f"{a.path}: cannot read the daily records of {store.name} to keep their prompt "
            f"counts ({exc!r}); nothing of this file was written"
        ) from exc

    def count(result: WriteResult) -> None:
        nonlocal written, rejected
        written += result.written
        rejected += result.rejected

    for chunk in timeline_chunks(a, user):
        count(store.write([chunk]))
        seconds += chunk.n
        if advance is not None:
            advance(chunk.n)
    others = event_records(a, user)
    days = daily_records(a, user, existing)
    count(store.write([*others, *days]))
    n_bouts = len(a.report.bouts)
    return ImportSummary(
        path=a.path,
        kind=a.kind,
        first_s=first,
        end_s=end,
        seconds=seconds,
        days=len(days),
        bouts=n_bouts,
        events=len(others) - n_bouts,
        written=written,
        rejected=rejected,
        warnings=a.warnings,
    )
