"""Scoring sitload's posture against HuGaDB's per-sample labels (shared by
``bench/accuracy_hugadb.py`` and the ``shared_data`` regression tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analytics.calibration_errors import CalibrationError
from analytics.pipeline import analyze_thigh
from analytics.records import Int8Array, Posture
from analytics.smoothing import runs
from collector.recordings.hugadb import (
    ACTIVITIES,
    CYCLING_LABEL,
    SEATED_LABELS,
    STEPPING_LABELS,
    UPRIGHT_LABELS,
    HugadbFile,
    join_day,
    read_hugadb,
    recording_days,
    second_labels,
)

STABLE_S = 10
"""Label runs at least this long are scored as stable stretches (the 10 s rule)."""
SIDES = ("right", "left")
RIDING = (Posture.RIDING_SEATED, Posture.RIDING_STANDING)
SEATED_OUT = (Posture.SITTING, Posture.RIDING_SEATED, Posture.LYING)
UPRIGHT_OUT = (Posture.UPRIGHT, Posture.RIDING_STANDING)


@dataclass
class DayScore:
    subject: str
    day: str
    side: str
    labelled_n: int = 0
    stable_n: int = 0
    stable_ok: int = 0
    short_n: int = 0
    short_ok: int = 0
    bike_n: int = 0
    bike_riding: int = 0
    step_n: int = 0
    step_riding: int = 0
    nonwear: int = 0
    refused: bool = False
    per_activity: dict[str, tuple[int, int, int]] = field(default_factory=dict)


def _stable(labels: Int8Array) -> np.ndarray:
    _starts, lengths, values = runs(labels)
    keep = (values != 0) & (lengths >= STABLE_S)
    return np.repeat(keep, lengths)


def score_posture(labels: Int8Array, posture: Int8Array, score: DayScore) -> None:
    """Add one thigh's per-second result to ``score`` (labels per second, 0 unscored)."""
    n = min(labels.shape[0], posture.shape[0])
    labels, posture = labels[:n], posture[:n]
    stable = _stable(labels)
    seated_truth = np.isin(labels, list(SEATED_LABELS))
    upright_truth = np.isin(labels, list(UPRIGHT_LABELS))
    scored = seated_truth | upright_truth
    seated_out = np.isin(posture, SEATED_OUT)
    upright_out = np.isin(posture, UPRIGHT_OUT)
    ok = (seated_truth & seated_out) | (upright_truth & upright_out)
    score.labelled_n += int(np.count_nonzero(labels != 0))
    score.stable_n += int(np.count_nonzero(scored & stable))
    score.stable_ok += int(np.count_nonzero(ok & stable))
    score.short_n += int(np.count_nonzero(scored & ~stable))
    score.short_ok += int(np.count_nonzero(ok & ~stable))
    riding = np.isin(posture, RIDING)
    bike = labels == CYCLING_LABEL
    step = np.isin(labels, list(STEPPING_LABELS))
    score.bike_n += int(np.count_nonzero(bike))
    score.bike_riding += int(np.count_nonzero(bike & riding))
    score.step_n += int(np.count_nonzero(step))
    score.step_riding += int(np.count_nonzero(step & riding))
    score.nonwear += int(np.count_nonzero((labels != 0) & (posture == Posture.NONWEAR)))
    for code, name in ACTIVITIES.items():
        m = labels == code
        k = int(np.count_nonzero(m))
        if not k:
            continue
        old = score.per_activity.get(name, (0, 0, 0))
        score.per_activity[name] = (
            old[0] + k,
            old[1] + int(np.count_nonzero(m & riding)),
            old[2] + int(np.count_nonzero(m & upright_out)),
        )


def day_labels(files: Sequence[HugadbFile], gap_s: float, n: int) -> Int8Array:
    """The per-second labels of a day of ``files`` joined with ``gap_s`` between."""
    parts_t, parts_l = [], []
    offset = 0.0
    for f in files:
        parts_t.append(f.t_s - f.t_s[0] + offset)
        parts_l.append(f.act)
        offset = float(parts_t[-1][-1]) + gap_s
    return second_labels(np.concatenate(parts_t), np.concatenate(parts_l), n)


def score_days(paths: Sequence[Path], gap_s: float = 5.0) -> list[DayScore]:
    out = []
    for (subject, day), day_paths in recording_days(paths).items():
        files = [read_hugadb(p) for p in day_paths]
        for side in SIDES:
            rec = join_day(files, side, gap_s)
            s = DayScore(subject, day, side)
            n = int(np.floor(rec.t_s[-1])) + 1
            try:
                posture = analyze_thigh(rec).timeline.posture
            except CalibrationError:
                s.refused = True
                posture = np.full(n, Posture.NONWEAR, dtype=np.int8)
            score_posture(day_labels(files, gap_s, n), posture, s)
            out.append(s)
    return out


@dataclass(frozen=True)
class FileVerdict:
    name: str
    verdict: str
    """right, inverted, refused or low-confidence."""
    detail: str


def judge_file(f: HugadbFile, side: str) -> FileVerdict:
    name = f"{f.path.name.split('.')[0]}:{side}"
    labels = second_labels(f.t_s, f.act, int(np.floor(f.t_s[-1])) + 1)
    try:
        a = analyze_thigh(f.thigh(side))
    except CalibrationError as exc:
        return FileVerdict(name, "refused", str(exc)[:80])
    s = DayScore(f.subject, f.day, side)
    score_posture(labels, a.timeline.posture, s)
    conf = a.thigh.confidence if a.thigh is not None else float("nan")
    if s.stable_n == 0:
        verdict = "right"
    else:
        verdict = "right" if s.stable_ok >= 0.5 * s.stable_n else "inverted"
    if verdict == "inverted" and a.thigh is not None and getattr(a.thigh, "low_confidence", False):
        verdict = "low-confidence"
    detail = f"{s.stable_ok}/{s.stable_n} stable right, confidence {conf:.2f}"
    return FileVerdict(name, verdict, detail)


def score_files(paths: Sequence[Path]) -> list[FileVerdict]:
    out = []
    for p in paths:
        f = read_hugadb(p)
        for side in SIDES:
            out.append(judge_file(f, side))
    return out
