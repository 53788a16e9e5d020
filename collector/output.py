"""Rendering of analysis results: JSON (produced here and only here) and text."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np

from analytics.pipeline import Analysis
from analytics.seat_pressure import SeatSeconds
from analytics.summary import TimelineSummary, summarize


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _seat_dict(seat: SeatSeconds) -> dict[str, Any]:
    occ = seat.occupied
    return {
        "occupied_s": int(np.count_nonzero(occ)),
        "slumped_s": int(np.count_nonzero(seat.slumped)),
        "peak_max": float(np.nanmax(seat.peak[occ])) if occ.any() else None,
        "lr_asymmetry_mean": float(np.nanmean(seat.lr_asymmetry[occ])) if occ.any() else None,
        "cop_shift_y_m_mean": float(np.nanmean(seat.cop_shift_y_m[occ])) if occ.any() else None,
    }


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
            else ("thigh-only estimate" if cal is not None else "unknown (seat mat only)")
        ),
        "seat": _seat_dict(analysis.seat) if analysis.seat is not None else None,
        "warnings": warnings,
    }
    if cal is not None:
        out["calibration"] = {
            "thigh_up": [round(float(x), 4) for x in cal.up],
            "thigh_forward": [round(float(x), 4) for x in cal.forward],
            "source": cal.source,
            "confidence": cal.confidence,
            "sit_threshold_deg": round(cal.sit_threshold_deg, 1),
            "trunk": analysis.trunk is not None,
        }
    return _clean(out)  # type: ignore[no-any-return]


def to_json(obj: dict[str, Any]) -> str:
    return json.dumps(obj, indent=2, sort_keys=False)


def _hm(seconds: int) -> str:
    h, rem = divmod(int(seconds), 3600)
    m, s = divmod(rem, 60)
    return f"{h:d} h {m:02d} min" if h else f"{m:d} min {s:02d} s"


def summary_lines(s: TimelineSummary) -> list[tuple[str, str]]:
    hip_kind = "trunk-thigh" if s.hip_from_trunk else "thigh-only estimate"
    mean_sit = (
        f"{s.hip_flexion_mean_sitting_deg:.0f}°"
        if s.hip_flexion_mean_sitting_deg is not None
        else "-"
    )
    return [
        ("recorded", _hm(s.duration_s)),
        ("worn", _hm(s.wear_s)),
        ("sitting", _hm(s.sitting_s)),
        ("upright (standing, walking)", _hm(s.upright_s)),
        ("lying", _hm(s.lying_s)),
        ("riding, seated", _hm(s.riding_seated_s)),
        ("riding, standing", _hm(s.riding_standing_s)),
        ("not worn / no data", _hm(s.nonwear_s)),
        ("sit-to-stand transitions", str(s.sit_to_stand)),
        ("sitting periods / longest", f"{s.sitting_periods} / {_hm(s.longest_sitting_s)}"),
        (f"hip flexion > 90° ({hip_kind})", _hm(s.hip_flexion_gt90_s)),
        ("mean hip flexion while sitting", mean_sit),
        ("reclined (thigh rolled, no trunk sensor)", _hm(s.reclined_s)),
    ]
