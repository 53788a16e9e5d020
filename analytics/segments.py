"""Time is never trusted blindly: a recording whose clock jumps is split into
segments with an explicit gap between them.

A jump is a step between consecutive samples that goes backwards or forward by more
than :attr:`TimeJumpParams.max_time_jump_s`. Inside a segment the per-second arrays
span the segment's time range (a pause shorter than the limit is a gap of "no data"
seconds, as before); between segments nothing is allocated, so a clock that switches
from device uptime to Unix time half-way costs nothing extra.

The segments of one recording are worn by one person with the sensors where they
were: the thigh (and trunk) calibration is learnt once from all segments together,
then every segment is classified on its own (smoothing never runs across a jump).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from analytics.orientation import calibrate_thigh, calibrate_trunk
from analytics.params import PostureParams
from analytics.pipeline import Analysis, TrunkDeviation, analyze_epochs
from analytics.posture import classify_thigh, smooth
from analytics.records import Epochs, FloatArray, IntArray, ThighCalibration, TrunkCalibration


@dataclass(frozen=True, slots=True)
class TimeJumpParams:
    """When a step in time starts a new segment."""

    max_time_jump_s: float = 86_400.0
    """A forward step longer than this starts a new segment (one day). The longest
    pause a worn recording really has is the sensor being off overnight or taken off
    for a day; a clock that switches from device uptime to Unix time jumps by decades
    and a corrupted time stamp by years, far beyond. Inside a segment every second of
    a pause costs about 100 bytes of per-second arrays, so one day costs ~10 MB at
    most, less than an hour of 50 Hz samples."""

    def __post_init__(self) -> None:
        if not (np.isfinite(self.max_time_jump_s) and self.max_time_jump_s >= 1.0):
            raise ValueError(
                f"max_time_jump_s must be a finite number of seconds >= 1, "
                f"got {self.max_time_jump_s!r}"
            )


@dataclass(frozen=True, slots=True)
class TimeSegment:
    """Samples ``first_sample .. first_sample + n_samples - 1`` (0-based, in file
    order) between two time jumps. ``jump_s`` is the step from the previous segment's
    last sample to this one's first (negative: backwards; 0 for the first segment)."""

    first_sample: int
    n_samples: int
    t_first_s: float
    t_last_s: float
    jump_s: float = 0.0

    @property
    def stop_sample(self) -> int:
        return self.first_sample + self.n_samples


def jump_indices(t_s: FloatArray, params: TimeJumpParams | None = None) -> IntArray:
    """The samples (0-based) that start a new segment: time went backwards or forward
    by more than ``max_time_jump_s`` since the sample before."""
    p = params or TimeJumpParams()
    if t_s.shape[0] < 2:
        return np.zeros(0, dtype=np.int64)
    step = np.diff(t_s)
    return (np.flatnonzero((step < 0) | (step > p.max_time_jump_s)) + 1).astype(np.int64)


def split_times(t_s: FloatArray, params: TimeJumpParams | None = None) -> list[TimeSegment]:
    """The segments of a time column (one segment when the clock never jumps)."""
    n = int(t_s.shape[0])
    if n == 0:
        return []
    starts = [0, *jump_indices(t_s, params).tolist()]
    stops = [*starts[1:], n]
    out = []
    for a, b in zip(starts, stops, strict=True):
        jump = float(t_s[a] - t_s[a - 1]) if a else 0.0
        out.append(TimeSegment(a, b - a, float(t_s[a]), float(t_s[b - 1]), jump))
    return out


def join_epochs(parts: Sequence[Epochs]) -> Epochs:
    """The seconds of several parts one after another: the parts of one segment, or
    several segments (for learning one calibration from all of them; the times of
    the result are then meaningless). A field missing in one part is missing."""
    if len(parts) == 1:
        return parts[0]
    joined: dict[str, np.ndarray | None] = {}
    for f in fields(Epochs):
        if f.name == "t0_s":
            continue
        arrays = [getattr(e, f.name) for e in parts]
        joined[f.name] = None if any(a is None for a in arrays) else np.concatenate(arrays)
    return Epochs(t0_s=parts[0].t0_s, **joined)  # type: ignore[arg-type]


def analyze_segments(
    parts: Sequence[tuple[Epochs, TrunkDeviation]],
    params: PostureParams | None = None,
    thigh: ThighCalibration | None = None,
    trunk: TrunkCalibration | None = None,
) -> list[Analysis]:
    """One analysis per segment, with one calibration learnt from all segments (the
    same as :func:`analytics.pipeline.analyze_epochs` for a single segment)."""
    p = params or PostureParams()
    if len(parts) > 1 and (thigh is None or trunk is None):
        joined = join_epochs([ep for ep, _ in parts])
        thigh = thigh or calibrate_thigh(joined, p)
        if trunk is None and joined.trunk_mean_g is not None:
            raw = classify_thigh(joined, thigh, p)
            trunk = calibrate_trunk(joined, smooth(raw.posture, p), p)
    return [analyze_epochs(ep, dev, p, thigh, trunk) for ep, dev in parts]
