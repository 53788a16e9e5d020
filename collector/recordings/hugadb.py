"""Reader for HuGaDB v1 recordings (strapped thigh IMUs, labelled per sample).

HuGaDB (Chereshnev & Kertész-Farkas, AIST 2017, arXiv:1705.08506) files are
tab-separated, optionally gzipped, with three header lines::

    #Activity   sitting standing_up standing walking
    #ActivityID 5 7 8 1
    #Date 08-18-10-53

then a column line and one row per sample at about 59 Hz, with no timestamps. The
thigh columns are ``acc_{rt,lt}_{x,y,z}`` (int16 at ±2 g: 16384 per g, gravity
included) and ``gyro_{rt,lt}_{x,y,z}`` (int16 at ±2000 °/s: 16.4 per °/s); ``act`` is
the activity label of the sample. Each thigh is returned as its own
:class:`Recording` (the two sensors are mounted differently), so that either can be
analysed like any thigh sensor. The data set is used for evaluation only (no licence
is stated); nothing of it is shipped.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from analytics.records import FloatArray, Int8Array, Posture, Recording
from collector.recordings.errors import RecordingError

RATE_HZ: Final = 59.0
"""HuGaDB's nominal sampling rate (the files carry no timestamps)."""
ACC_PER_G: Final = 16384.0
GYRO_PER_DPS: Final = 16.4

ACTIVITIES: Final[dict[int, str]] = {
    1: "walking",
    2: "running",
    3: "stairs_up",
    4: "stairs_down",
    5: "sitting",
    6: "sitting_down",
    7: "standing_up",
    8: "standing",
    9: "bicycling",
    10: "elevator_up",
    11: "elevator_down",
    12: "sitting_in_car",
}
SEATED_LABELS: Final = frozenset({5, 12})
UPRIGHT_LABELS: Final = frozenset({1, 2, 3, 4, 8, 10, 11})
TRANSITION_LABELS: Final = frozenset({6, 7})
CYCLING_LABEL: Final = 9
STEPPING_LABELS: Final = frozenset({1, 2, 3, 4})

_NAME = re.compile(r"HuGaDB_v1_(?P<kind>[a-z]+)_(?P<subject>\d+)_(?P<counter>\d+)")


@dataclass(frozen=True, slots=True)
class HugadbFile:
    """One HuGaDB file: both thighs and the per-sample labels on one time base."""

    path: Path
    subject: str
    counter: int
    date: str
    """``MM-DD-HH-MM`` of the minute the recording started."""
    t_s: FloatArray
    right_acc_g: FloatArray
    left_acc_g: FloatArray
    right_gyro_dps: FloatArray
    left_gyro_dps: FloatArray
    act: Int8Array

    @property
    def day(self) -> str:
        return self.date[:5]

    def thigh(self, side: str) -> Recording:
        acc, gyro = (
            (self.right_acc_g, self.right_gyro_dps)
            if side == "right"
            else (self.left_acc_g, self.left_gyro_dps)
        )
        return Recording(
            t_s=self.t_s,
            thigh_acc_g=acc,
            thigh_gyro_dps=gyro,
            source=f"{self.path.name}:{side}",
        )


def read_hugadb(path: Path, t0_s: float = 0.0) -> HugadbFile:
    """Read one file; sample ``i`` is at ``t0_s + i / RATE_HZ``."""
    m = _NAME.search(path.name)
    try:
        raw = path.read_bytes()
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        lines = text.decode("ascii").splitlines()
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        raise RecordingError(path, f"cannot read HuGaDB file ({exc})") from None
    header = {ln.split(None, 1)[0]: ln.split(None, 1)[-1] for ln in lines[:3] if ln.startswith("#")}
    if len(lines) < 5 or "#Date" not in header:
        raise RecordingError(path, "not a HuGaDB file (expected #Activity/#Date header)")
    columns = lines[3].split("\t")
    try:
        data = np.loadtxt(io.StringIO("\n".join(lines[4:])), delimiter="\t", dtype=np.float64)
    except ValueError as exc:
        raise RecordingError(path, f"bad sample row ({exc})") from None
    data = np.atleast_2d(data)

    def cols(names: Sequence[str]) -> FloatArray:
        try:
            idx = [columns.index(n) for n in names]
        except ValueError as exc:
            raise RecordingError(path, f"missing column ({exc})") from None
        return np.ascontiguousarray(data[:, idx])

    n = data.shape[0]
    return HugadbFile(
        path=path,
        subject=m.group("subject") if m else "?",
        counter=int(m.group("counter")) if m else 0,
        date=header["#Date"].strip(),
        t_s=t0_s + np.arange(n, dtype=np.float64) / RATE_HZ,
        right_acc_g=cols(["acc_rt_x", "acc_rt_y", "acc_rt_z"]) / ACC_PER_G,
        left_acc_g=cols(["acc_lt_x", "acc_lt_y", "acc_lt_z"]) / ACC_PER_G,
        right_gyro_dps=cols(["gyro_rt_x", "gyro_rt_y", "gyro_rt_z"]) / GYRO_PER_DPS,
        left_gyro_dps=cols(["gyro_lt_x", "gyro_lt_y", "gyro_lt_z"]) / GYRO_PER_DPS,
        act=cols(["act"])[:, 0].astype(np.int8),
    )


def recording_days(paths: Iterable[Path]) -> dict[tuple[str, str], list[Path]]:
    """Files grouped by (subject, MM-DD) in recording order (date, then counter)."""
    found: list[tuple[str, str, str, int, Path]] = []
    for p in paths:
        m = _NAME.search(p.name)
        if not m:
            continue
        with gzip.open(p, "rt") if p.suffix == ".gz" else p.open() as fh:
            head = [fh.readline() for _ in range(3)]
        date = next((h.split(None, 1)[1].strip() for h in head if h.startswith("#Date")), "")
        found.append((m.group("subject"), date[:5], date, int(m.group("counter")), p))
    days: dict[tuple[str, str], list[Path]] = {}
    for subject, day, _date, _counter, p in sorted(found):
        days.setdefault((subject, day), []).append(p)
    return days


def join_day(files: Sequence[HugadbFile], side: str, gap_s: float = 5.0) -> Recording:
    """One thigh of several files, back to back with ``gap_s`` of no data between."""
    parts_t, parts_a, parts_g = [], [], []
    offset = 0.0
    for f in files:
        parts_t.append(f.t_s - f.t_s[0] + offset)
        parts_a.append(f.right_acc_g if side == "right" else f.left_acc_g)
        parts_g.append(f.right_gyro_dps if side == "right" else f.left_gyro_dps)
        offset = float(parts_t[-1][-1]) + gap_s
    return Recording(
        t_s=np.concatenate(parts_t),
        thigh_acc_g=np.concatenate(parts_a),
        thigh_gyro_dps=np.concatenate(parts_g),
        source=f"hugadb:{files[0].subject}:{files[0].day}:{side}",
    )


def second_labels(t_s: FloatArray, act: Int8Array, n: int) -> Int8Array:
    """Per-second label (0 where a second's samples disagree or none exist)."""
    t0 = int(np.floor(t_s[0]))
    sec = np.floor(t_s).astype(np.int64) - t0
    lo = np.full(n, 127, dtype=np.int64)
    hi = np.full(n, -1, dtype=np.int64)
    np.minimum.at(lo, sec, act.astype(np.int64))
    np.maximum.at(hi, sec, act.astype(np.int64))
    out = np.where(lo == hi, lo, 0)
    return out.astype(np.int8)


def scored_classes(labels: Int8Array) -> Int8Array:
    """Truth for sitting-vs-upright scoring: SITTING, UPRIGHT, or NONWEAR (unscored:
    transitions, cycling, mixed seconds and gaps)."""
    out = np.full(labels.shape[0], Posture.NONWEAR, dtype=np.int8)
    out[np.isin(labels, list(SEATED_LABELS))] = Posture.SITTING
    out[np.isin(labels, list(UPRIGHT_LABELS))] = Posture.UPRIGHT
    return out
