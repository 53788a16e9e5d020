"""Rendering of analysis results: JSON (produced here and only here) and text."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np

from analytics.durations import format_h_colon_min, format_h_min_s
from analytics.exposure import ExposureReport, PeriodExposure
from analytics.orientation import PEDALLING_SOURCE
from analytics.pipeline import Analysis
from analytics.records import ThighCalibration
from analytics.rules import RULES
from analytics.seat_pressure import SeatSeconds
from analytics.segments import TimeSegment
from analytics.summary import TimelineSummary, summarize
from collector.json_encoding import jsonable_document


def seat_dict(seat: SeatSeconds) -> dict[str, Any]:
    occ = seat.occupied
    return {
        "occupied_s": int(np.count_nonzero(occ)),
        "slumped_s": int(np.count_nonzero(seat.slumped)),
        "peak_max": float(np.nanmax(seat.peak[occ])) if occ.any() else None,
        "lr_asymmetry_mean": float(np.nanmean(seat.lr_asymmetry[occ])) if occ.any() else None,
        "cop_shift_y_m_mean": float(np.nanmean(seat.cop_shift_y_m[occ])) if occ.any() else None,
        "baseline_source": seat.baseline_source,
        "empty_baseline": [round(float(v), 3) for v in seat.end_baseline],
    }


def calibration_limits(cal: ThighCalibration) -> list[str]:
    """What a calibration cannot tell, in words for the summary and ``--json``."""
    if cal.source == PEDALLING_SOURCE:
        return [
            "no walking in the recording: riding is recognised from pedalling, but "
            "seated vs standing on the pedals and the hip angle cannot be measured; "
            "record some walking, or calibrate with --calibrate-from START-END "
            "(seconds of standing still)"
        ]
    if cal.source == "auto" and cal.confidence < 1.0:
        return [
            f"calibration confidence {cal.confidence:.2f}: little walking to anchor which "
            "way is up; check the result, or calibrate with --calibrate-from START-END"
        ]
    if cal.source == "standing" and cal.confidence < 1.0:
        return [
            "no still sitting seen to find the front of the thigh: the hip-angle estimate "
            "is provisional"
        ]
    return []


def analysis_dict(source: str, analysis: Analysis, warnings: list[str]) -> dict[str, Any]:
    summary = summarize(analysis.timeline)
    cal = analysis.thigh
    out: dict[str, Any] = {
        "source": source,
        "summary": dataclasses.asdict(summary),
        "calibration": None,
        "hip_flexion": (
            "trunk-thigh angle"
            if summary.hip_from_trunk
            else (
                "thigh-only estimate"
                if cal is not None and cal.source != PEDALLING_SOURCE
                else "unknown"
            )
        ),
        "seat": seat_dict(analysis.seat) if analysis.seat is not None else None,
        "warnings": warnings,
    }
    if cal is not None:
        out["calibration"] = {
            "thigh_up": [round(float(x), 4) for x in cal.up],
            "thigh_forward": [round(float(x), 4) for x in cal.forward],
            "source": cal.source,
            "confidence": round(cal.confidence, 2),
            "low_confidence": cal.confidence < 1.0,
            "limits": calibration_limits(cal),
            "sit_threshold_deg": round(cal.sit_threshold_deg, 1),
            "trunk": analysis.trunk is not None,
        }
    return jsonable_document(out)


def to_json(obj: dict[str, Any]) -> str:
    return json.dumps(obj, indent=2, sort_keys=False)


def summary_lines(s: TimelineSummary) -> list[tuple[str, str]]:
    hip_kind = "trunk-thigh" if s.hip_from_trunk else "thigh-only estimate"
    mean_sit = (
        f"{s.hip_flexion_mean_sitting_deg:.0f}°"
        if s.hip_flexion_mean_sitting_deg is not None
        else "-"
    )
    return [
        ("recorded", format_h_min_s(s.duration_s)),
        ("worn", format_h_min_s(s.wear_s)),
        ("sitting", format_h_min_s(s.sitting_s)),
        ("upright (standing, walking)", format_h_min_s(s.upright_s)),
        ("lying", format_h_min_s(s.lying_s)),
        ("riding, seated", format_h_min_s(s.riding_seated_s)),
        ("riding, standing", format_h_min_s(s.riding_standing_s)),
        ("not worn / no data", format_h_min_s(s.nonwear_s)),
        ("sit-to-stand transitions", str(s.sit_to_stand)),
        (
            "sitting periods / longest",
            f"{s.sitting_periods} / {format_h_min_s(s.longest_sitting_s)}",
        ),
        (f"hip flexion > 90° ({hip_kind})", format_h_min_s(s.hip_flexion_gt90_s)),
        ("mean hip flexion while sitting", mean_sit),
        ("reclined (thigh rolled, no trunk sensor)", format_h_min_s(s.reclined_s)),
    ]


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(float(x), nd)


def period_dict(pe: PeriodExposure) -> dict[str, Any]:
    """One period's figures, flat, in seconds or counts (the JSON schema)."""
    m = pe.measures
    hip90 = pe.hip_at(RULES.hip_flexion_limit_deg)
    assert hip90 is not None
    out: dict[str, Any] = {
        "label": m.label,
        "date": m.date or None,
        "start_s": m.start_s,
        "end_s": m.end_s,
        "valid": m.valid,
        "wear_s": _r(m.wear_s),
        "sitting_s": _r(m.sitting_s),
        "upright_s": _r(m.upright_s),
        "standing_s": _r(m.standing_s),
        "stepping_s": _r(m.stepping_s),
        "lying_s": _r(m.lying_s),
        "nonwear_s": _r(m.nonwear_s),
        "riding_seated_s": _r(m.riding_seated_s),
        "riding_standing_s": _r(m.riding_standing_s),
        "steps": m.steps,
        "sit_to_stand": m.sit_to_stand,
        "sitting_bouts": m.sitting_bouts,
        "sitting_bouts_gt30min": m.sitting_bouts_gt30min,
        "sitting_bouts_gt60min": m.sitting_bouts_gt60min,
        "sitting_time_in_bouts_gt30min_s": _r(m.sitting_time_in_bouts_gt30min_s),
        "sitting_bout_bins": m.bout_bins.as_dict(),
        "longest_sitting_bout_s": _r(m.longest_sitting_bout_s),
        "compression_bouts": pe.compression_bouts,
        "compression_s": _r(pe.compression_s),
        "breaks_taken": pe.breaks_taken,
        "breaks_within_guidance": pe.breaks_within_guidance,
        "micro_breaks": pe.micro_breaks,
        "hip_flexion_gt90_s": _r(hip90.total_s),
        "hip_flexion_dose_gt90_deg_min": _r(hip90.total_dose_deg_min, 2),
        "hip_flexion": [
            {
                "threshold_deg": h.threshold_deg,
                "sitting_s": _r(h.sitting_s),
                "sitting_dose_deg_min": _r(h.sitting_dose_deg_min, 2),
                "sitting_longest_s": _r(h.sitting_longest_s),
                "riding_s": _r(h.riding_s),
                "riding_dose_deg_min": _r(h.riding_dose_deg_min, 2),
                "riding_longest_s": _r(h.riding_longest_s),
            }
            for h in pe.hip
        ],
        "saddle": {
            "ride_s": _r(pe.saddle.ride_s),
            "seated_s": _r(pe.saddle.seated_s),
            "standing_s": _r(pe.saddle.standing_s),
            "seated_bouts": pe.saddle.seated_bouts,
            "longest_seated_bout_s": _r(pe.saddle.longest_seated_bout_s),
            "stands": pe.saddle.stands,
            "stands_per_hour": _r(pe.saddle.stands_per_hour, 2),
            "seated_hip_gt90_s": _r(pe.saddle.seated_hip_gt90_s),
        },
    }
    return out


def report_dict(report: ExposureReport) -> dict[str, Any]:
    """The exposure part of `sitload analyze --json`."""
    return {
        "days": [period_dict(d) for d in report.days],
        "periods": [period_dict(p) for p in report.periods],
        "total": period_dict(report.total),
        "bouts": [
            {
                "start_s": b.start_s,
                "end_s": b.end_s,
                "duration_s": _r(b.duration_s),
                "seated_s": _r(b.seated_s),
                "micro_breaks": b.micro_breaks,
                "micro_break_s": _r(b.micro_break_s),
                "hip_flexion_gt90_s": _r(b.hip_gt90_s),
                "hip_flexion_dose_gt90_deg_min": _r(b.hip_dose_deg_min, 2),
                "seat_dose": _r(b.seat_dose),
                "seat_peak": _r(b.seat_peak),
                "ended_by": str(b.ended_by),
                "gap_s": _r(b.gap_s),
                "paused_s": _r(b.paused_s),
            }
            for b in report.bouts
        ],
        "breaks": [
            {
                "start_s": b.start_s,
                "duration_s": _r(b.duration_s),
                "met_rule": b.met_rule,
                "sitting_before_s": _r(b.sitting_before_s),
                "within_guidance": b.within_guidance,
            }
            for b in report.breaks
        ],
        "weeks": [
            {
                "week_start": w.week_start.isoformat(),
                "valid_days": w.valid_days,
                "mean_daily_compression_s": _r(w.mean_daily_compression_s),
                "change": _r(w.change, 4),
                "flagged": w.flagged,
            }
            for w in report.weeks
        ],
        "params": {
            "break_s": report.params.break_s,
            "valid_day_wear_s": report.params.valid_day_wear_s,
            "hip_thresholds_deg": list(report.params.hip_thresholds_deg),
            "load_change_flag": report.params.load_change_flag,
        },
    }


def day_rows(report: ExposureReport) -> list[list[str]]:
    """The readable per-day table (and the total as the last row)."""
    rows = []
    for pe in [*report.days, report.total]:
        m = pe.measures
        hip90 = pe.hip_at(RULES.hip_flexion_limit_deg)
        assert hip90 is not None
        rows.append(
            [
                m.label + ("" if m.valid or m.label == "total" else "*"),
                format_h_colon_min(m.wear_s),
                format_h_colon_min(m.sitting_s),
                format_h_colon_min(m.riding_seated_s),
                str(m.sit_to_stand),
                f"{m.sitting_bouts_gt30min}/{m.sitting_bouts_gt60min}",
                format_h_colon_min(m.longest_sitting_bout_s),
                str(pe.compression_bouts),
                f"{pe.breaks_taken}/{pe.micro_breaks}",
                format_h_colon_min(hip90.total_s),
            ]
        )
    return rows


DAY_COLUMNS = (
    "day",
    "worn",
    "sit",
    "ride",
    "sit→up",
    ">30/>60",
    "longest",
    "bouts",
    "brk/micro",
    "hip>90°",
)
DAY_NOTE = (
    "times h:mm; >30/>60: sitting bouts over 30 and 60 min; bouts: compression bouts; "
    "brk/micro: breaks of at least the break length / shorter micro-breaks; "
    "* not a valid day (too little wear)"
)


def segment_dict(segment: TimeSegment, first_row: int, row_word: str) -> dict[str, Any]:
    """Where a segment of a recording with time jumps is (``analyze --json``)."""
    return {
        f"first_{row_word}": first_row,
        "samples": segment.n_samples,
        "t_first_s": segment.t_first_s,
        "t_last_s": segment.t_last_s,
        "jump_before_s": segment.jump_s,
    }
