"""What the live engine carries from step to step and saves: its calibration (as
plain values for the state file) and the local day's totals for the live status,
updated second by second from the streaming engine's output."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics import posture_codes as code
from analytics.alert_schedule import local_clock
from analytics.compression import SEATED, step_classes
from analytics.records import FloatArray, Int8Array, ThighCalibration, TrunkCalibration
from analytics.rules import RULES

# --- calibration round trip -------------------------------------------------------


def _arr(x: Any) -> FloatArray | None:
    return None if x is None else np.asarray(x, dtype=np.float64)


def calibration_to_dict(
    thigh: ThighCalibration | None, trunk: TrunkCalibration | None
) -> dict[str, Any]:
    """Plain values (lists) for the state file."""

    def plain(obj: Any) -> dict[str, Any] | None:
        if obj is None:
            return None
        return {
            f.name: (v.tolist() if isinstance(v, np.ndarray) else v)
            for f in dataclasses.fields(obj)
            for v in [getattr(obj, f.name)]
        }

    return {"thigh": plain(thigh), "trunk": plain(trunk)}


def calibration_from_dict(
    d: dict[str, Any],
) -> tuple[ThighCalibration | None, TrunkCalibration | None]:
    try:
        th, tr = d.get("thigh"), d.get("trunk")
        thigh = None
        if th is not None:
            thigh = ThighCalibration(
                **{
                    **th,
                    "up": _arr(th["up"]),
                    "forward": _arr(th["forward"]),
                    "upright_refs": _arr(th.get("upright_refs")),
                }
            )
        trunk = None
        if tr is not None:
            trunk = TrunkCalibration(**{**tr, "up": _arr(tr["up"]), "forward": _arr(tr["forward"])})
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            f"the saved calibration is damaged ({exc}); send 'calibrate' or delete the state"
        ) from None
    return thigh, trunk


# --- the day's totals ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayTotals:
    """Totals of one local day for the live status."""

    day: int
    """Local day number since 1970-01-01."""
    compression_s: float = 0.0
    """Seconds of sitting and seated riding."""
    hip_gt90_s: float = 0.0
    """Seated seconds with hip flexion above 90°."""
    bouts_over_30: int = 0
    """Compression bouts that reached the first milestone (30 min)."""
    saddle_s: float = 0.0
    """Seconds of riding seated."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(d: dict[str, Any]) -> DayTotals:
        try:
            return DayTotals(**d)
        except TypeError as exc:
            raise ValueError(f"the saved day totals are damaged ({exc})") from None


def local_day(t_s: float, local_offset_s: float) -> int:
    """Local day number since 1970-01-01 (as the alert policy counts days)."""
    return local_clock(t_s, local_offset_s)[0]


def add_seconds(
    totals: DayTotals,
    day: int,
    posture: Int8Array,
    hip_flexion_deg: FloatArray,
    *,
    dt_s: float = 1.0,
    bouts_reached: int = 0,
) -> DayTotals:
    """Add steps that all fall on local ``day`` (a new day starts from zero)."""
    base = totals if totals.day == day else DayTotals(day=day)
    seated = step_classes(posture) == SEATED
    with np.errstate(invalid="ignore"):
        above = seated & (hip_flexion_deg > RULES.hip_flexion_limit_deg)
    return DayTotals(
        day=day,
        compression_s=base.compression_s + float(np.count_nonzero(seated)) * dt_s,
        hip_gt90_s=base.hip_gt90_s + float(np.count_nonzero(above)) * dt_s,
        bouts_over_30=base.bouts_over_30 + bouts_reached,
        saddle_s=base.saddle_s + float(np.count_nonzero(posture == code.RIDING_SEATED)) * dt_s,
    )
