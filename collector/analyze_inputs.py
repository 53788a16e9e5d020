"""What ``sitload analyze`` adds to a recording before analysing it: an explicit thigh
calibration (``--calibrate-from START-END``, ``--calibrate-file``) and a seat mat's
known empty-seat baseline (``--seat-baseline``).

Every problem raises ``ValueError`` (or CalibrationError / RecordingError) with a
one-line message naming the option; the CLI turns it into exit status 2.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from analytics.epochs import epochs_from_recording
from analytics.records import Recording, ThighCalibration
from analytics.seat_pressure import SeatParams, SeatSeconds
from analytics.standing_calibration import (
    auto_disagreement_deg,
    calibrate_thigh_standing,
    samples_between,
)
from collector.recordings import load_recording

__all__ = ["AnalyzeInputs", "parse_range", "parse_seat_baseline", "prepare", "seat_notes"]

_DISAGREE_WARN_DEG = 45.0
"""Warn when the automatic calibration's ``up`` is further than this from the given
standing stretch (sitting and standing thigh directions are 60-90 degrees apart)."""
_NUMBER = re.compile(r"\d+(?:\.\d*)?")


@dataclass(frozen=True, slots=True)
class AnalyzeInputs:
    """The options as given on the command line (None: not given)."""

    calibrate_from: str | None = None
    calibrate_file: Path | None = None
    seat_baseline: str | None = None
    ride: Path | None = None
    """``--ride``: a FIT ride whose cadence joins the recording."""
    offset_s: float | None = None
    """``--offset``: Unix time of the recording's t_s = 0."""


def _seconds(text: str) -> float | None:
    """``S``, ``M:SS`` or ``H:MM:SS`` (seconds may have decimals) -> seconds."""
    parts = text.strip().split(":")
    if len(parts) > 3 or not all(_NUMBER.fullmatch(x) for x in parts):
        return None
    if any(float(x) >= 60 for x in parts[1:]) or any("." in x for x in parts[:-1]):
        return None
    total = 0.0
    for x in parts:
        total = total * 60.0 + float(x)
    return total


def parse_range(text: str) -> tuple[float, float]:
    """``START-END`` from the start of the recording, each bound in seconds, ``M:SS``
    or ``H:MM:SS`` (``120-135``, ``2:00-2:15``)."""
    bounds = text.split("-")
    values = [_seconds(x) for x in bounds] if len(bounds) == 2 else []
    if len(values) != 2 or values[0] is None or values[1] is None:
        raise ValueError(
            f"--calibrate-from {text!r}: expected START-END from the start of the "
            "recording, in seconds or M:SS, for example 120-135 or 2:00-2:15"
        )
    start, end = values[0], values[1]
    if not end > start:
        raise ValueError(f"--calibrate-from {text!r}: END must be after START")
    return start, end


def parse_seat_baseline(text: str, n_cells: int) -> tuple[float, ...]:
    """One number for every cell, or one per cell, separated by commas."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(
            f"--seat-baseline {text!r}: expected numbers separated by commas (the empty "
            "seat's reading of each cell, in the file's unit), or one number for all cells"
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"--seat-baseline {text!r}: the values must be finite numbers")
    if len(values) == 1:
        return values * n_cells
    if len(values) != n_cells:
        raise ValueError(
            f"--seat-baseline has {len(values)} values but the mat has {n_cells} cells; "
            "give one per cell (seat_p00 first) or one for all"
        )
    return values


def prepare(
    rec: Recording, inputs: AnalyzeInputs
) -> tuple[ThighCalibration | None, SeatParams | None, list[str]]:
    """The explicit thigh calibration and seat parameters the options ask for, and
    warnings to show."""
    warnings: list[str] = []
    thigh = None
    if inputs.calibrate_from is not None and inputs.calibrate_file is not None:
        raise ValueError("give --calibrate-from or --calibrate-file, not both")
    if inputs.calibrate_from is not None or inputs.calibrate_file is not None:
        if rec.thigh_acc_g is None:
            raise ValueError("the recording has no thigh accelerometer to calibrate")
        if inputs.calibrate_file is not None:
            loaded = load_recording(inputs.calibrate_file)
            warnings.extend(loaded.warnings)
            stand = loaded.recording.thigh_acc_g
            what = f"--calibrate-file {inputs.calibrate_file}"
            if stand is None:
                raise ValueError(f"{what}: the file has no thigh accelerometer")
        else:
            assert inputs.calibrate_from is not None
            start, end = parse_range(inputs.calibrate_from)
            stand = samples_between(rec, start, end)
            what = f"--calibrate-from {inputs.calibrate_from}"
        ep = epochs_from_recording(rec)
        try:
            thigh = calibrate_thigh_standing(stand, ep)
        except ValueError as exc:  # CalibrationError included
            raise ValueError(f"{what}: {exc}") from None
        off = auto_disagreement_deg(thigh, ep)
        if off is not None and off > _DISAGREE_WARN_DEG:
            warnings.append(
                f"{what}: the recording's own calibration puts 'up' {off:.0f}° away from "
                "this stretch; check that the person stood still then"
            )
    seat = None
    if inputs.seat_baseline is not None:
        if rec.seat_p is None:
            raise ValueError("--seat-baseline: the recording has no seat-mat cells")
        baseline = parse_seat_baseline(inputs.seat_baseline, rec.seat_p.shape[1])
        seat = SeatParams(empty_baseline=baseline)
    return thigh, seat, warnings


def seat_notes(seat: SeatSeconds | None) -> list[str]:
    """A warning when the recording never showed the seat empty."""
    if seat is None or seat.baseline_source != "none":
        return []
    return [
        "seat mat: the seat was never seen empty (its lowest readings move like a "
        "person), so no empty-seat baseline could be established and light postures "
        "may count as an empty seat; give the mat's empty reading with --seat-baseline "
        "(the 'empty_baseline' of a --json run of a session that started empty)"
    ]
