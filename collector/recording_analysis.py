"""``sitload analyze`` of a recording file: read it (streamed when it can be, see
:mod:`collector.recordings.chunked`), split it at time jumps
(:mod:`analytics.segments`) and analyse every segment.

A recording whose clock never jumps is one segment, analysed exactly as before. A
jump gives one warning naming its row, and the segments are analysed with one
calibration (the sensors did not move when the clock changed).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from analytics.epochs import epochs_from_recording, with_trunk_deviation
from analytics.params import PostureParams
from analytics.pipeline import Analysis, TrunkDeviation, analyze_recording, default_layout
from analytics.records import Epochs, FloatArray, Recording, SeatLayout, ThighCalibration
from analytics.seat_pressure import SeatParams, seat_seconds
from analytics.segments import TimeJumpParams, TimeSegment, analyze_segments, split_times
from collector.analyze_inputs import AnalyzeInputs, prepare, seat_notes
from collector.recordings import detect_format, load_recording
from collector.recordings.chunked import stream_epochs
from collector.recordings.csv_reader import data_rows, read_header

_ROW_WORD: Final = {"csv": "row", "parquet": "record", "wisdm": "sample"}


@dataclass(frozen=True, slots=True)
class SegmentAnalysis:
    """One segment of a recording: its samples, the file row of its first sample
    (``row_word``: row, record or sample) and its analysis."""

    segment: TimeSegment
    first_row: int
    analysis: Analysis
    row_word: str = "row"


@dataclass(frozen=True, slots=True)
class FileAnalysis:
    """The segments of a recording (one when its clock never jumps), the warnings to
    show (ignored columns, one per jump) and whether it was read in blocks."""

    segments: tuple[SegmentAnalysis, ...]
    warnings: tuple[str, ...]
    streamed: bool


def analyze_file(
    path: str | os.PathLike[str],
    fmt: str = "auto",
    seat_layout: SeatLayout | None = None,
    *,
    jumps: TimeJumpParams | None = None,
    params: PostureParams | None = None,
    inputs: AnalyzeInputs | None = None,
) -> FileAnalysis:
    """Read and analyse a recording of raw samples, segment by segment. ``inputs``
    (an explicit calibration, a seat baseline) need the samples: with any of them the
    file is read whole.

    Raises :class:`~collector.recordings.RecordingError` for the file,
    :class:`~analytics.calibration_errors.CalibrationError` or ``ValueError`` when the
    recording cannot be analysed.
    """
    jp = jumps or TimeJumpParams()
    given = inputs or AnalyzeInputs()
    kind = detect_format(path) if fmt == "auto" else fmt
    streamed = None
    if kind in ("csv", "parquet") and given == AnalyzeInputs():
        streamed = stream_epochs(path, jp, fmt=kind)
    if streamed is not None:
        parts: list[tuple[Epochs, TrunkDeviation]] = [
            (s.epochs, s.trunk_deviation) for s in streamed.segments
        ]
        analyses = analyze_segments(parts, params)
        word = _ROW_WORD[streamed.fmt]
        out = tuple(
            SegmentAnalysis(s.segment, row, a, word)
            for s, row, a in zip(streamed.segments, streamed.first_rows, analyses, strict=True)
        )
        return FileAnalysis(out, (*streamed.warnings, *_jump_warnings(path, out, jp)), True)
    loaded = load_recording(path, kind)
    if given.ride is not None:  # the ride's cadence joined to the thigh's samples
        from collector.ride_analyze import join_ride

        loaded = join_ride(loaded, given.ride, given.offset_s)[0]
    rec = loaded.recording
    thigh, seat_params, notes = prepare(rec, given)
    segs = split_times(rec.t_s, jp)
    if len(segs) == 1:
        analyses = [
            analyze_recording(
                rec, params, seat_layout=seat_layout, seat_params=seat_params, thigh=thigh
            )
        ]
    else:
        pieces = [_rows(rec, s) for s in segs]
        analyses = _analyze_parts(pieces, params, seat_layout, seat_params, thigh)
    rows = _first_rows(path, loaded.fmt, [s.first_sample for s in segs])
    word = _ROW_WORD.get(loaded.fmt, "sample")
    out = tuple(
        SegmentAnalysis(s, row, a, word) for s, row, a in zip(segs, rows, analyses, strict=True)
    )
    seat = [w for a in analyses for w in seat_notes(a.seat)]
    warnings = (*loaded.warnings, *notes, *dict.fromkeys(seat), *_jump_warnings(path, out, jp))
    return FileAnalysis(out, warnings, False)


def _rows(rec: Recording, seg: TimeSegment) -> Recording:
    rows = slice(seg.first_sample, seg.stop_sample)

    def part(a: FloatArray | None) -> FloatArray | None:
        return None if a is None else a[rows]

    return replace(
        rec,
        t_s=rec.t_s[rows],
        thigh_acc_g=part(rec.thigh_acc_g),
        thigh_gyro_dps=part(rec.thigh_gyro_dps),
        trunk_acc_g=part(rec.trunk_acc_g),
        seat_p=part(rec.seat_p),
        cadence_rpm=part(rec.cadence_rpm),
    )


def _analyze_parts(
    recs: Sequence[Recording],
    params: PostureParams | None,
    seat_layout: SeatLayout | None,
    seat_params: SeatParams | None,
    thigh: ThighCalibration | None,
) -> list[Analysis]:
    if recs[0].thigh_acc_g is None:  # seat mat only: nothing to calibrate
        return [
            analyze_recording(r, params, seat_layout=seat_layout, seat_params=seat_params)
            for r in recs
        ]
    parts: list[tuple[Epochs, TrunkDeviation]] = []
    for r in recs:
        parts.append((epochs_from_recording(r), _deviation_of(r)))
    analyses = analyze_segments(parts, params, thigh)
    out = []
    for r, a in zip(recs, analyses, strict=True):
        seat = None
        if r.seat_p is not None:
            layout = seat_layout or default_layout(r.seat_p.shape[1])
            seat = seat_seconds(r.t_s, r.seat_p, layout, seat_params or SeatParams())
        out.append(replace(a, seat=seat))
    return out


def _deviation_of(rec: Recording) -> TrunkDeviation:
    return lambda ep, seconds: with_trunk_deviation(rec, ep, seconds)


def _first_rows(path: str | os.PathLike[str], fmt: str, indices: list[int]) -> list[int]:
    if fmt == "csv":
        return data_rows(path, read_header(path), indices)
    return [i + 1 for i in indices]


def _span(seconds: float) -> str:
    s = abs(seconds)
    if s >= 2 * 365.25 * 86400:
        return f"{s / (365.25 * 86400):.0f} years"
    if s >= 2 * 86400:
        return f"{s / 86400:.0f} days"
    if s >= 2 * 3600:
        return f"{s / 3600:.0f} hours"
    return f"{s:.3g} s"


def _jump_warnings(
    path: str | os.PathLike[str], segments: Sequence[SegmentAnalysis], jp: TimeJumpParams
) -> list[str]:
    out = []
    n = len(segments)
    for i, s in enumerate(segments[1:], start=2):
        seg = s.segment
        way = "back" if seg.jump_s < 0 else "forward"
        out.append(
            f"{path}: {s.row_word} {s.first_row}: the clock jumps {way} by "
            f"{_span(seg.jump_s)} (t_s {seg.t_first_s - seg.jump_s:.17g} to "
            f"{seg.t_first_s:.17g}); analysed as segment {i} of {n} with a gap before it "
            f"(a step back, or forward by more than {jp.max_time_jump_s:g} s, is a clock "
            "change, not a pause)"
        )
    return out
