"""Readers for activPAL event exports: the classic "Events" CSV and PALbatch "EventsEx".

An activPAL file is not a recording of raw samples: the device software has already
classified posture, and each row is one *event* (a stretch of one activity). So the
readers return a :class:`~analytics.records.Timeline` at 0.1 s steps (the activPAL
sample rate) and the events themselves (:class:`ActivPalEvents`, which carry the step
counts), never a :class:`~analytics.records.Recording`. The formats, the code mapping
and the period-summary oracle are described in docs/activpal.md.

Classic Events export (comma-separated, quoted header)::

    "Time","DataCount (samples)","Interval (s)","ActivityCode (0=sedentary ...)",
    "CumulativeStepCount","Activity Score (MET.h)",...
    43428.3953935185,0,50.1,0,0,0.0173,...

PALbatch EventsEx export (``sep=;`` first line, ``;``-separated, a trailing ``;`` on
every data row)::

    sep=;
    Time;Time(approx);Data Count;Event Type;Duration (s);Waking Day;Cumulative Step Count;...
    44129.9809722222;2020-10-25 23:32:36;0;0;30.5;1;0;...;

``Time`` is an Excel serial day (days since 1899-12-30) on the **local clock** of the
device; the timeline's ``t0_s`` is therefore "local-clock seconds since 1970" (summarise
with ``tz=None``). ``DataCount`` counts samples at 10 per second since the recording
started and places every event on the 0.1 s grid; ``Time`` only sets the start.
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from typing import Final

import numpy as np

from analytics.periods import StepCounts
from analytics.records import BoolArray, FloatArray, IntArray, Posture, Timeline
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
_SNIFF_CHARS: Final = 4096

# Normalised header names (lower case, letters and digits only) -> our column role.
_COLUMN_PREFIXES: Final = (
    ("time", ("time",), True),
    ("data_count", ("datacount",), False),
    ("interval", ("interval", "duration"), False),
    ("code", ("activitycode", "eventtype"), False),
    ("cumulative_steps", ("cumulativestepcount",), False),
)
_REQUIRED: Final = ("time", "data_count", "interval", "code")


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


@dataclass(frozen=True, slots=True)
class LoadedTimeline:
    """What :func:`read_activpal` returns: the 0.1 s timeline, the events, warnings for
    the caller to show, and how much time was filled with non-wear because events did
    not tile time (``gap_s``)."""

    timeline: Timeline
    events: ActivPalEvents
    warnings: tuple[str, ...] = ()
    gap_s: float = 0.0
    fmt: str = "activpal"

    @property
    def repairs(self) -> tuple[RowRepair, ...]:
        """Damaged cells repaired and rows skipped, one per cell, in file order."""
        return self.events.repairs


def sniff_activpal(text: str) -> str | None:
    """``"eventsex"`` when ``text`` (the start of a file) is a PALbatch EventsEx export
    (first line ``sep=;``), ``"events"`` for a classic Events export (header starting
    ``"Time","DataCount``), else ``None``."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    if first.lower().startswith("sep="):
        return "eventsex"
    unquoted = first.replace('"', "").replace(" ", "").lower()
    if unquoted.startswith("time,datacount"):
        return "events"
    return None


def read_activpal(path: str | os.PathLike[str]) -> LoadedTimeline:
    """Read an activPAL Events or EventsEx export into a 0.1 s timeline.

    Raises :class:`RecordingError` naming the row and column of the first problem.
    """
    text = _read_text(path)
    events, warnings = parse_events(text, path)
    timeline, gap_ticks, more = events_timeline(events)
    return LoadedTimeline(
        timeline=timeline,
        events=events,
        warnings=(*warnings, *more),
        gap_s=gap_ticks / TICKS_PER_S,
    )


def _read_text(path: str | os.PathLike[str]) -> str:
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            return f.read()
    except FileNotFoundError:
        raise RecordingError(path, "no such file; check the path") from None
    except IsADirectoryError:
        raise RecordingError(path, "this is a directory; name a recording file") from None
    except UnicodeDecodeError as exc:
        raise RecordingError(
            path, f"not UTF-8 text (byte {exc.start}); export the events file again as CSV"
        ) from None
    except OSError as exc:
        raise RecordingError(
            path, f"cannot read the file ({exc.strerror or exc}); check its permissions"
        ) from None


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _find_columns(
    header: list[str], path: str | os.PathLike[str], row: int
) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for idx, raw in enumerate(header):
        name = raw.strip()
        norm = _norm(name)
        for role, prefixes, exact in _COLUMN_PREFIXES:
            if role in found:
                continue
            if (norm in prefixes) if exact else norm.startswith(prefixes):
                found[role] = (idx, name)
                break
    for role in _REQUIRED:
        if role not in found:
            wanted = {
                "time": "Time",
                "data_count": "DataCount / Data Count",
                "interval": "Interval (s) / Duration (s)",
                "code": "ActivityCode / Event Type",
            }[role]
            raise RecordingError(
                path,
                f"the header has no {wanted} column; is this an activPAL Events or "
                "EventsEx export?",
                row=row,
                column=wanted.split(" ")[0],
            )
    return found


def parse_events(
    text: str, path: str | os.PathLike[str] = "<activPAL events>"
) -> tuple[ActivPalEvents, tuple[str, ...]]:
    """Parse the text of an Events or EventsEx export (``path`` names it in errors)."""
    lines = text.lstrip("\ufeff").splitlines()
    variant = sniff_activpal(text)
    if variant is None:
        raise RecordingError(
            path,
            "not an activPAL export: expected a first line 'sep=;' (EventsEx) or a header "
            'starting "Time","DataCount" (Events)',
            row=1,
        )
    header_idx = 1 if variant == "eventsex" else 0
    delimiter = ","
    if variant == "eventsex":
        hint = lines[0].strip()[4:5]
        delimiter = hint if hint else ";"
    if len(lines) <= header_idx:
        raise RecordingError(path, "the header row is missing", row=header_idx + 1)
    header = next(csv.reader([lines[header_idx]], delimiter=delimiter))
    cols = _find_columns(header, path, header_idx + 1)
    roles = list(cols)
    values: dict[str, list[float]] = {role: [] for role in roles}
    rows: list[int] = []
    need = max(idx for idx, _ in cols.values()) + 1
    for offset, fields in enumerate(
        csv.reader(lines[header_idx + 1 :], delimiter=delimiter), start=header_idx + 2
    ):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) < need:
            idx, name = min((c for c in cols.values() if c[0] >= len(fields)), key=lambda c: c[0])
            raise RecordingError(
                path,
                f"the row has {len(fields)} fields but this column is field {idx + 1}; "
                "fix or delete the row",
                row=offset,
                column=name,
            )
        for role in roles:
            idx, name = cols[role]
            cell = fields[idx].strip().strip("#")
            try:
                v = float(cell)
            except ValueError:
                shown = cell if cell else "an empty cell"
                raise RecordingError(
                    path,
                    f"{shown!r} is not a number; fix or delete the row"
                    if cell
                    else f"{shown} where a number is needed; fix or delete the row",
                    row=offset,
                    column=name,
                ) from None
            if not math.isfinite(v):
                raise RecordingError(
                    path,
                    f"{cell!r} is not a finite number; fix or delete the row",
                    row=offset,
                    column=name,
                )
            values[role].append(v)
        rows.append(offset)
    if not rows:
        raise RecordingError(path, "the file has a header but no events", row=header_idx + 1)
    return _check_events(values, np.array(rows, dtype=np.int64), cols, variant, path)


def _fail_at(
    path: str | os.PathLike[str], rows: IntArray, bad: np.ndarray, column: str, message: str
) -> None:
    where = np.flatnonzero(bad)
    if where.size:
        raise RecordingError(path, message, row=int(rows[where[0]]), column=column)


def _check_events(
    values: dict[str, list[float]],
    rows: IntArray,
    cols: dict[str, tuple[int, str]],
    variant: str,
    path: str | os.PathLike[str],
) -> tuple[ActivPalEvents, tuple[str, ...]]:
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
            f"{len(repairs) - n_skipped} damaged cells repaired, {n_skipped} rows skipped "
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
