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

from analytics.records import Timeline
from collector.recordings.activpal_events import (
    TICKS_PER_S,
    ActivPalEvents,
    check_events,
    events_timeline,
)
from collector.recordings.activpal_repair import RowRepair
from collector.recordings.errors import RecordingError
from collector.recordings.sniff import sniff_activpal

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
    return check_events(values, np.array(rows, dtype=np.int64), cols, variant, path)
