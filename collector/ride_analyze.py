"""``sitload analyze`` for rides: FIT files alone (``analyze ride.fit``, ``analyze
*.fit``, ``analyze rides/``), a thigh recording joined with a ride's cadence
(``analyze thigh.csv --ride ride.fit``), and the saddle section of the summary.

The figures are :mod:`analytics.ride`'s; this module reads, joins and renders.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from analytics.durations import format_h_min_s
from analytics.exposure import ExposureReport
from analytics.pipeline import Analysis
from analytics.records import Timeline
from analytics.ride import (
    RideParams,
    RideSummary,
    cadence_on_clock,
    ride_count,
    ride_seconds,
    summarize_ride,
)
from collector.json_encoding import jsonable_document
from collector.plural import counted
from collector.recordings.csv_schema import LoadedRecording
from collector.recordings.errors import RecordingError
from collector.recordings.fit import LoadedRide, read_fit
from collector.recordings.sniff import is_fit_file
from collector.ride_weeks import position_known

__all__ = [
    "RideResult",
    "analyze_rides",
    "join_ride",
    "print_rides",
    "print_saddle",
    "read_ride",
    "result_dict",
    "ride_paths",
    "ride_result",
    "rides_dict",
]

UNIX_TIME_FLOOR_S = 1e9
"""A recording's ``t_s`` above this (2001-09-09) is taken as Unix time."""


@dataclass(frozen=True, slots=True)
class RideResult:
    path: str
    summary: RideSummary | None
    warnings: tuple[str, ...] = ()
    error: str | None = None


def ride_paths(first: Path, more: Sequence[Path]) -> list[Path] | None:
    """The FIT files to analyse as rides, or None when the input is one recording of
    another kind. A folder stands for the FIT files in it. Raises
    :class:`RecordingError` for a folder without FIT files and for several files that
    are not all rides."""
    if not more and not first.is_dir():
        return [first] if is_fit_file(first) else None
    paths: list[Path] = []
    for p in (first, *more):
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix.lower() == ".fit" and q.is_file())
            if not found:
                raise RecordingError(p, "no .fit files in this folder; name ride files")
            paths.extend(found)
        else:
            paths.append(p)
    if not any(is_fit_file(p) for p in paths):
        raise RecordingError(
            paths[0], "give one recording at a time (several files: FIT rides only)"
        )
    return paths


def analyze_rides(paths: Sequence[Path], params: RideParams | None = None) -> list[RideResult]:
    """Read and summarise each ride; a file that cannot be read gets its error, the
    others are still analysed."""
    out = []
    for p in paths:
        try:
            loaded = read_fit(p)
        except RecordingError as exc:
            out.append(RideResult(str(p), None, error=str(exc)))
            continue
        out.append(RideResult(str(p), summarize_ride(loaded.ride, params), loaded.warnings))
    return out


@functools.lru_cache(maxsize=4)
def _read_once(path: str, _mtime_ns: int, _size: int) -> LoadedRide:
    return read_fit(path)


def read_ride(path: Path) -> LoadedRide:
    """:func:`read_fit`, decoded once per file version in a command (``--ride`` joins
    the cadence, then the summary shows the ride's own figures)."""
    try:
        st = path.stat()
    except OSError:
        return read_fit(path)  # its own error for a missing file
    return _read_once(str(path), st.st_mtime_ns, st.st_size)


def ride_result(path: Path) -> RideResult:
    """The ride's own figures, beside a thigh recording joined with it."""
    loaded = read_ride(path)
    return RideResult(str(path), summarize_ride(loaded.ride), loaded.warnings)


def _utc(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _hm(seconds: float | None) -> str:
    return "-" if seconds is None else format_h_min_s(seconds)


_UNKNOWN = "unknown (no rider position in the file)"


def _ride_rows(s: RideSummary, beside_thigh: bool = False) -> list[tuple[str, str]]:
    own = f" (the file says {_hm(s.session_timer_s)})" if s.session_timer_s is not None else ""
    rows = [
        ("start", _utc(s.start_t_s)),
        ("riding time (timer)", _hm(s.riding_s) + own),
        ("on the bike (riding and stops < 2 min)", _hm(s.on_bike_s)),
        ("stops (timer paused)", f"{s.timer_stops}, {_hm(s.stopped_s)}"),
        ("breaks off the saddle (≥ 2 min still)", f"{s.breaks}, {_hm(s.break_s)}"),
        ("longest continuous riding spell", _hm(s.longest_spell_s)),
    ]
    if s.cadence_mean_rpm is not None:
        rows.append(
            (
                "cadence while pedalling",
                f"{s.cadence_mean_rpm:.0f} rpm (pedalling {_hm(s.pedalling_s)}, "
                f"coasting {_hm(s.coasting_s)})",
            )
        )
    if s.power_mean_w is not None:
        rows.append(("mean power", f"{s.power_mean_w:.0f} W"))
    if s.speed_mean_mps is not None:
        rows.append(("mean speed", f"{s.speed_mean_mps * 3.6:.1f} km/h"))
    if s.position_from != "none":
        rows.append(("seated / standing", f"{_hm(s.seated_s)} / {_hm(s.standing_s)}"))
        sph = "-" if s.stands_per_hour is None else f"{s.stands_per_hour:.1f}"
        rows.append(("stands / per hour", f"{s.stands if s.stands is not None else '-'} / {sph}"))
    if s.longest_seated_bout_s is not None:
        rows.append(
            ("seated bouts / longest", f"{s.seated_bouts} / {_hm(s.longest_seated_bout_s)}")
        )
    if beside_thigh:
        return rows  # the thigh's saddle section follows
    if s.position_from == "none":
        rows += [("seated / standing", _UNKNOWN), ("stands / per hour", _UNKNOWN)]
    if s.longest_seated_bout_s is None:
        rows.append(("longest seated bout", _UNKNOWN if s.position_from == "none" else "unknown"))
    rows.append(("seated at hip flexion > 90°", "unknown (needs a thigh sensor: --ride)"))
    return rows


def _table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, show_header=False, box=None, pad_edge=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for label, value in rows:
        table.add_row(label, value)
    return table


def _total_rows(done: list[RideSummary]) -> list[tuple[str, str]]:
    rows = [
        ("rides", str(len(done))),
        ("riding time (timer)", _hm(sum(s.riding_s for s in done))),
        ("on the bike", _hm(sum(s.on_bike_s for s in done))),
        ("breaks off the saddle", str(sum(s.breaks for s in done))),
        ("longest continuous riding spell", _hm(max(s.longest_spell_s for s in done))),
    ]
    known = [s for s in done if s.seated_s is not None]
    if known:
        rows.append(
            (
                f"seated on the saddle ({len(known)} of {counted(len(done), 'ride')} say)",
                _hm(sum(s.seated_s or 0.0 for s in known)),
            )
        )
    else:
        rows.append(("seated on the saddle", "unknown (no file has rider position)"))
    bouts = [s.longest_seated_bout_s for s in done if s.longest_seated_bout_s is not None]
    rows.append(("longest seated bout", _hm(max(bouts)) if bouts else "unknown"))
    counted_rides = [s for s in done if s.stands is not None and s.riding_s > 0]
    hours = sum(s.riding_s for s in counted_rides) / 3600.0
    stands = sum(s.stands or 0 for s in counted_rides)
    rows.append(("stands per hour", f"{stands / hours:.1f}" if hours > 0 else "unknown"))
    rows.append(("seated at hip flexion > 90°", "unknown (needs a thigh sensor: --ride)"))
    return rows


def print_rides(console: Console, results: list[RideResult], beside_thigh: bool = False) -> None:
    """Each ride's summary, what the file cannot tell (unless a thigh recording is
    analysed with it: it tells them), and the total."""
    for r in results:
        if r.summary is None:
            continue  # the error goes to stderr
        name = Path(r.path).name  # a long folder path would wrap the table's title
        title = f"{name} (bike computer)" if beside_thigh else name
        console.print(_table(title, _ride_rows(r.summary, beside_thigh)))
        for w in r.warnings:
            console.print(f"[yellow]warning:[/yellow] {w}")
        for u in () if beside_thigh else r.summary.unknown:
            console.print(f"[yellow]cannot be known from the file alone:[/yellow] {u}")
        console.print()
    done = [r.summary for r in results if r.summary is not None]
    if len(results) > 1 and done:
        console.print(_table("total", _total_rows(done)))


def result_dict(r: RideResult) -> dict[str, Any]:
    assert r.summary is not None
    return {"source": r.path, "warnings": list(r.warnings), **ride_dict(r.summary)}


def ride_dict(s: RideSummary) -> dict[str, Any]:
    d = dataclasses.asdict(s)
    d["start"] = datetime.fromtimestamp(s.start_t_s, UTC).isoformat()
    return jsonable_document(d, digits=2)


def rides_dict(results: list[RideResult]) -> dict[str, Any]:
    """The ``--json`` document of ``sitload analyze`` on rides."""
    done = [r.summary for r in results if r.summary is not None]
    return {
        "rides": [result_dict(r) for r in results if r.summary is not None],
        "errors": [{"source": r.path, "error": r.error} for r in results if r.error],
        "total": {
            "rides": len(done),
            "riding_s": sum(s.riding_s for s in done),
            "on_bike_s": sum(s.on_bike_s for s in done),
            "breaks": sum(s.breaks for s in done),
            "longest_spell_s": max((s.longest_spell_s for s in done), default=0),
            "seated_s": (
                sum(s.seated_s or 0.0 for s in done)
                if done and all(s.seated_s is not None for s in done)
                else None
            ),
        },
    }


def parse_offset(text: str) -> float:
    """``--offset``: Unix seconds, or an ISO 8601 time with its zone
    (``2026-12-06T08:00:00+01:00``, ``…Z``)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--offset {text!r}: expected the Unix time (seconds) or ISO time with a zone "
            "(2026-12-06T08:00:00+01:00) of the recording's t_s = 0"
        ) from None
    if when.tzinfo is None:
        raise ValueError(f"--offset {text!r}: give the time zone (…Z or …+01:00)")
    return when.timestamp()


def join_ride(
    loaded: LoadedRecording, ride_path: Path, offset_s: float | None = None
) -> tuple[LoadedRecording, LoadedRide]:
    """The recording with the ride's cadence on its clock (``cadence_rpm``). Raises
    :class:`RecordingError` when the recording's times are not absolute (without
    ``offset_s``) or the ride does not overlap it."""
    rec = loaded.recording
    src = rec.source or "the recording"
    ride = read_ride(ride_path)
    t_s = rec.t_s + (offset_s or 0.0)
    if rec.n == 0 or (offset_s is None and float(rec.t_s[0]) <= UNIX_TIME_FLOOR_S):
        raise RecordingError(
            ride_path,
            f"{src}: its t_s starts at {float(rec.t_s[0]) if rec.n else 0:g} s, not a Unix "
            "time: the ride can be joined only to a recording with absolute timestamps; "
            "give its start with --offset (Unix seconds or 2026-12-06T08:00:00+01:00)",
        )
    if offset_s is not None and rec.n and float(rec.t_s[0]) > UNIX_TIME_FLOOR_S:
        raise RecordingError(
            ride_path,
            f"{src}: its t_s is Unix time already; --offset is for a recording whose t_s "
            "starts near 0 (leave --offset out)",
        )
    rs = ride_seconds(ride.ride)
    lo, hi = float(t_s[0]), float(t_s[-1])
    if rs.t0_s >= hi or rs.t0_s + rs.n <= lo:
        raise RecordingError(
            ride_path,
            f"the ride ({_utc(rs.t0_s)} to {_utc(rs.t0_s + rs.n)}) does not overlap "
            f"the recording ({_utc(lo)} to {_utc(hi)}); name the ride of that day "
            "(or correct --offset)",
        )
    cadence = cadence_on_clock(rs, t_s)
    if rec.cadence_rpm is not None:  # a cadence sensor recorded with the thigh wins
        cadence = np.where(np.isfinite(rec.cadence_rpm), rec.cadence_rpm, cadence)
    joined = dataclasses.replace(rec, t_s=t_s, cadence_rpm=cadence)
    notes = list(loaded.warnings)
    covered = float(np.count_nonzero(np.isfinite(cadence))) / max(rec.n, 1)
    notes.append(
        f"ride {os.fspath(ride_path)}: cadence joined on {covered * 100:.0f} % of the "
        "recording's samples"
    )
    return dataclasses.replace(loaded, recording=joined, warnings=tuple(notes)), ride


def _saddle_rows(
    report: ExposureReport, timeline: Timeline, position_known: bool
) -> list[tuple[str, str]]:
    sad = report.total.saddle
    rows = [("rides", str(ride_count(timeline))), ("riding", _hm(sad.ride_s))]
    if not position_known:
        return rows
    sph = "-" if sad.stands_per_hour is None else f"{sad.stands_per_hour:.1f}"
    hip_known = bool(np.isfinite(timeline.hip_flexion_deg).any())
    rows += [
        ("on the saddle (seated riding)", _hm(sad.seated_s)),
        ("standing on the pedals", _hm(sad.standing_s)),
        ("seated bouts / longest", f"{sad.seated_bouts} / {_hm(sad.longest_seated_bout_s)}"),
        ("stands / per hour", f"{sad.stands} / {sph}"),
        ("seated at hip flexion > 90°", _hm(sad.seated_hip_gt90_s) if hip_known else "unknown"),
    ]
    return rows


def print_saddle(
    console: Console, report: ExposureReport, timeline: Timeline, analysis: Analysis | None
) -> None:
    """The saddle section of the human summary, when the timeline has riding. With a
    thigh calibrated from pedalling alone riding is known, but seated vs standing and
    the hip angle are not, and the section says so."""
    if report.total.saddle.ride_s <= 0:
        return
    known = position_known(analysis)
    console.print(_table("saddle", _saddle_rows(report, timeline, known)))
    if not known:
        console.print(
            "[yellow]saddle:[/yellow] seated vs standing on the pedals, saddle bouts, "
            "stands and the hip angle cannot be measured without a calibration (see above)"
        )
