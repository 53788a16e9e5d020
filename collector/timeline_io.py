"""Per-second timeline CSV: header exactly ``t_s,posture,hip_flexion_deg``."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analytics.records import POSTURE_WORDS, Posture, Timeline
from collector.recordings.errors import RecordingError

TIMELINE_HEADER = ("t_s", "posture", "hip_flexion_deg")


def whole_seconds(tl: Timeline) -> Timeline:
    """A finer timeline (activPAL: 0.1 s) as one step per whole second, taking the
    posture and angle at the start of each second."""
    if tl.dt_s == 1.0:
        return tl
    per_s = round(1.0 / tl.dt_s)
    if abs(per_s * tl.dt_s - 1.0) > 1e-9:
        raise ValueError(f"cannot write a timeline with {tl.dt_s} s steps in whole seconds")
    idx = np.arange(0, tl.n, per_s)
    return Timeline(
        t0_s=tl.t0_s,
        posture=tl.posture[idx],
        hip_flexion_deg=tl.hip_flexion_deg[idx],
        reclined=np.zeros(idx.shape[0], dtype=np.bool_),
    )


def write_timeline(tl: Timeline, path: Path) -> None:
    write_timelines([tl], path)


def write_timelines(timelines: Sequence[Timeline], path: Path) -> None:
    """One timeline CSV; several timelines (the segments of a recording whose clock
    jumped) follow each other, so ``t_s`` jumps where the clock did."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(",".join(TIMELINE_HEADER) + "\n")
        for tl in timelines:
            words = np.array(POSTURE_WORDS, dtype=object)[tl.posture.astype(np.int64)]
            lines = []
            for ts, word, angle in zip(
                tl.t_s.tolist(), words.tolist(), tl.hip_flexion_deg.tolist(), strict=True
            ):
                a = "" if math.isnan(angle) else f"{angle:.1f}"
                lines.append(f"{ts},{word},{a}\n")
            fh.writelines(lines)


def read_timeline(path: Path) -> Timeline:
    """Read a timeline CSV (consecutive integer seconds)."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or tuple(header) != TIMELINE_HEADER:
            raise RecordingError(
                path, row=1, message=f"expected the header {','.join(TIMELINE_HEADER)}"
            )
        t: list[int] = []
        posture: list[int] = []
        hip: list[float] = []
        for row_no, row in enumerate(reader, start=2):
            if len(row) != 3:
                raise RecordingError(path, row=row_no, message="expected 3 fields")
            try:
                t.append(int(row[0]))
                posture.append(int(Posture.from_word(row[1])))
                hip.append(float(row[2]) if row[2] else math.nan)
            except ValueError as exc:
                raise RecordingError(path, row=row_no, message=str(exc)) from None
    if not t:
        raise RecordingError(path, message="the timeline has no rows")
    ta = np.asarray(t, dtype=np.int64)
    if np.any(np.diff(ta) != 1):
        bad = int(np.flatnonzero(np.diff(ta) != 1)[0]) + 3
        raise RecordingError(path, row=bad, message="seconds must be consecutive")
    return Timeline(
        t0_s=int(ta[0]),
        posture=np.asarray(posture, dtype=np.int8),
        hip_flexion_deg=np.asarray(hip, dtype=np.float64),
        reclined=np.zeros(len(t), dtype=np.bool_),
    )
