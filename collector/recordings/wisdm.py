"""Reader for the WISDM 2019 raw accelerometer files (phone in the trouser pocket).

One line per sample, no header::

    1600,D,252207666810782,-0.36476135,8.793503,1.0550842;

``subject,activity,timestamp,x,y,z;`` with the timestamp in nanoseconds of phone
uptime and x, y, z in m/s² with gravity included (converted here to g, specific
force, by dividing by 9.80665). Each activity is a separate 3-minute segment and the
file is *not* sorted by time overall (segments were recorded in another order than
they are listed). So the reader returns segments; :func:`stitch` places segments
back to back into one labelled :class:`Recording` (the accuracy benchmark), and
:func:`read_wisdm` reads a whole file as one recording in time order (what
``sitload analyze FILE --format wisdm`` does).
"""

from __future__ import annotations

import itertools
import math
import os
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from analytics.records import FloatArray, IntArray, Recording, span_s
from collector.plural import counted
from collector.recordings.csv_schema import LoadedRecording
from collector.recordings.errors import RecordingError

STANDARD_GRAVITY_MPS2: Final = 9.80665
"""m/s² per g, used to convert WISDM values to g."""

ACTIVITY_NAMES: Final[dict[str, str]] = {
    "A": "walking",
    "B": "jogging",
    "C": "stairs",
    "D": "sitting",
    "E": "standing",
    "F": "typing",
    "G": "teeth",
    "H": "soup",
    "I": "chips",
    "J": "pasta",
    "K": "drinking",
    "L": "sandwich",
    "M": "kicking",
    "O": "catch",
    "P": "dribbling",
    "Q": "writing",
    "R": "clapping",
    "S": "folding",
}
"""WISDM activity codes (``activity_key.txt``)."""

SEATED_ACTIVITIES: Final = frozenset("DFHIJKLQ")
"""Activities done sitting: sitting, typing, eating and drinking at a table, writing.
Every other code is upright (G, brushing teeth, is done standing)."""

_FIELDS: Final = ("subject", "activity", "timestamp", "x", "y", "z")
_DEFAULT_STEP_S: Final = 0.05


@dataclass(frozen=True, slots=True)
class WisdmSegment:
    """One uninterrupted run of lines with the same subject and activity.

    ``t_s`` is seconds of phone uptime, sorted and strictly increasing (duplicate
    timestamps were dropped, keeping the first line; ``duplicates_dropped`` counts
    them). ``acc_g`` is (n, 3) specific force in g in the phone's frame.
    ``first_row`` is the line number of the segment's first line in the file.
    """

    subject: int
    activity: str
    t_s: FloatArray
    acc_g: FloatArray
    first_row: int = 0
    duplicates_dropped: int = 0

    @property
    def n(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def duration_s(self) -> float:
        return span_s(self.t_s)

    @property
    def seated(self) -> bool:
        """True for the activities done sitting (:data:`SEATED_ACTIVITIES`)."""
        return self.activity in SEATED_ACTIVITIES


@dataclass(frozen=True, slots=True)
class StitchedWisdm:
    """Segments placed back to back: the recording and its ground truth.

    ``activity`` holds the activity code of every sample; ``segment_start_s`` the
    time of each segment's first sample in the stitched recording.
    """

    recording: Recording
    activity: npt.NDArray[np.str_]
    segment_start_s: FloatArray


@dataclass(frozen=True, slots=True)
class _Raw:
    subject: list[int]
    activity: list[str]
    first_row: list[int]
    bounds: list[int]  # start index of each run, plus the total at the end
    ns: IntArray
    xyz: FloatArray


def _bad(path: str | os.PathLike[str], row: int, column: str | None, what: str) -> RecordingError:
    return RecordingError(
        path,
        f"{what}; fix or delete the line (WISDM lines are subject,activity,timestamp,x,y,z;)",
        row=row,
        column=column,
    )


def _parse(path: str | os.PathLike[str]) -> _Raw:
    subjects: list[int] = []
    activities: list[str] = []
    first_rows: list[int] = []
    bounds: list[int] = []
    ns = array("q")
    xyz = array("d")
    key: tuple[int, str] | None = None
    count = 0
    try:
        with open(path, encoding="utf-8-sig") as f:
            for lineno, line in enumerate(f, start=1):
                text = line.strip()
                if not text:
                    continue
                if text.endswith(";"):
                    text = text[:-1]
                fields = [p.strip() for p in text.split(",")]
                if len(fields) != len(_FIELDS):
                    raise _bad(path, lineno, None, f"{len(fields)} fields instead of 6")
                try:
                    subject = int(fields[0])
                except ValueError:
                    raise _bad(
                        path, lineno, "subject", f"{fields[0]!r} is not a subject number"
                    ) from None
                activity = fields[1]
                if not activity.isalnum():
                    raise _bad(path, lineno, "activity", f"{activity!r} is not an activity code")
                try:
                    stamp = int(fields[2])
                except ValueError:
                    raise _bad(
                        path,
                        lineno,
                        "timestamp",
                        f"{fields[2]!r} is not a timestamp in whole nanoseconds",
                    ) from None
                for name, cell in zip(_FIELDS[3:], fields[3:], strict=True):
                    try:
                        value = float(cell)
                    except ValueError:
                        raise _bad(path, lineno, name, f"{cell!r} is not a number") from None
                    if not math.isfinite(value):
                        raise _bad(path, lineno, name, f"{cell!r} is not a finite number")
                    xyz.append(value)
                ns.append(stamp)
                if (subject, activity) != key:
                    key = (subject, activity)
                    subjects.append(subject)
                    activities.append(activity)
                    first_rows.append(lineno)
                    bounds.append(count)
                count += 1
    except FileNotFoundError:
        raise RecordingError(path, "no such file; check the path") from None
    except IsADirectoryError:
        raise RecordingError(path, "this is a directory; name a WISDM data file") from None
    except UnicodeDecodeError:
        raise RecordingError(path, "this is not a text file; is it really WISDM data?") from None
    except OverflowError:
        raise RecordingError(path, "a timestamp is too large for 64 bits; fix the file") from None
    if count == 0:
        raise RecordingError(path, "the file is empty; a WISDM file has one line per sample", row=1)
    bounds.append(count)
    return _Raw(
        subject=subjects,
        activity=activities,
        first_row=first_rows,
        bounds=bounds,
        ns=np.frombuffer(ns, dtype=np.int64).copy(),
        xyz=np.frombuffer(xyz, dtype=np.float64).reshape(-1, 3) / STANDARD_GRAVITY_MPS2,
    )


def _sorted_unique(ns: IntArray) -> tuple[IntArray, int]:
    """Indices that sort ``ns`` (stable) without repeated values, and how many repeats."""
    order = np.argsort(ns, kind="stable")
    s = ns[order]
    keep = np.ones(s.shape[0], dtype=np.bool_)
    keep[1:] = s[1:] != s[:-1]
    return order[keep].astype(np.int64), int(s.shape[0] - np.count_nonzero(keep))


def read_wisdm_segments(path: str | os.PathLike[str]) -> list[WisdmSegment]:
    """The segments of a WISDM raw file, in file order.

    A segment is a run of consecutive lines with the same subject and activity; each
    is sorted by time with duplicate timestamps dropped. A malformed line raises
    :class:`RecordingError` naming its row.
    """
    raw = _parse(path)
    segments: list[WisdmSegment] = []
    for k, (start, stop) in enumerate(zip(raw.bounds[:-1], raw.bounds[1:], strict=True)):
        ns = raw.ns[start:stop]
        idx, dropped = _sorted_unique(ns)
        segments.append(
            WisdmSegment(
                subject=raw.subject[k],
                activity=raw.activity[k],
                t_s=ns[idx].astype(np.float64) / 1e9,
                acc_g=np.ascontiguousarray(raw.xyz[start:stop][idx]),
                first_row=raw.first_row[k],
                duplicates_dropped=dropped,
            )
        )
    return segments


def read_wisdm(path: str | os.PathLike[str]) -> LoadedRecording:
    """A whole WISDM file as one recording, every sample in time order.

    The segments keep their own timestamps (phone uptime), so the recording has gaps
    between them; all samples are sorted by timestamp and duplicate timestamps are
    dropped (counted in a warning). Segments that overlap in time are interleaved,
    with a warning. The activity labels are not kept: use :func:`read_wisdm_segments`
    and :func:`stitch` for labelled data.
    """
    raw = _parse(path)
    idx, dropped = _sorted_unique(raw.ns)
    notes: list[str] = []
    if dropped:
        notes.append(
            f"{path}: {counted(dropped, 'sample')} with a repeated timestamp "
            f"{'was' if dropped == 1 else 'were'} dropped"
        )
    if len(set(raw.subject)) > 1:
        subjects = ", ".join(str(s) for s in sorted(set(raw.subject)))
        notes.append(f"{path}: the file mixes subjects {subjects} into one recording")
    spans = sorted(
        (int(raw.ns[a:b].min()), int(raw.ns[a:b].max()), raw.activity[k], raw.first_row[k])
        for k, (a, b) in enumerate(zip(raw.bounds[:-1], raw.bounds[1:], strict=True))
    )
    for (_, end, act_a, row_a), (begin, _, act_b, row_b) in itertools.pairwise(spans):
        if begin <= end:
            notes.append(
                f"{path}: segments {act_a} (row {row_a}) and {act_b} (row {row_b}) overlap in "
                "time; their samples are interleaved"
            )
    recording = Recording(
        t_s=raw.ns[idx].astype(np.float64) / 1e9,
        thigh_acc_g=np.ascontiguousarray(raw.xyz[idx]),
        source=f"wisdm:{path}",
    )
    return LoadedRecording(recording=recording, warnings=tuple(notes), fmt="wisdm")


def stitch(
    segments: Sequence[WisdmSegment], *, gap_s: float = 0.0, t0_s: float = 0.0
) -> StitchedWisdm:
    """Place segments back to back into one labelled recording starting at ``t0_s``.

    Each segment keeps its own sample spacing. The next segment's first sample comes
    one sample interval (the previous segment's median) plus ``gap_s`` after the
    previous segment's last sample: ``gap_s=0`` makes a seamless recording, a larger
    ``gap_s`` inserts a gap with no samples (for example a sensor drop-out).
    """
    if not segments:
        raise ValueError("no segments to stitch; pass at least one WisdmSegment")
    if not (math.isfinite(gap_s) and gap_s >= 0.0):
        raise ValueError(f"gap_s must be a finite number >= 0, got {gap_s!r}")
    times: list[FloatArray] = []
    starts = np.empty(len(segments), dtype=np.float64)
    start = float(t0_s)
    for k, seg in enumerate(segments):
        if seg.n == 0:
            raise ValueError(f"segment {k} ({seg.activity}) has no samples; leave it out")
        local = seg.t_s - seg.t_s[0]
        t = local + start
        times.append(t)
        starts[k] = start
        step = float(np.median(np.diff(seg.t_s))) if seg.n > 1 else _DEFAULT_STEP_S
        start = float(t[-1]) + step + gap_s
    t_s = np.concatenate(times)
    if t_s.shape[0] > 1 and not bool(np.all(np.diff(t_s) > 0)):
        raise ValueError("stitched times are not strictly increasing; are segments sorted?")
    subjects = ", ".join(str(s) for s in sorted({seg.subject for seg in segments}))
    activity = np.repeat(
        np.array([seg.activity for seg in segments], dtype=np.str_),
        [seg.n for seg in segments],
    )
    recording = Recording(
        t_s=t_s,
        thigh_acc_g=np.ascontiguousarray(np.concatenate([seg.acc_g for seg in segments])),
        source=f"wisdm:stitched {len(segments)} segments of subject {subjects}",
    )
    return StitchedWisdm(recording=recording, activity=activity, segment_start_s=starts)
