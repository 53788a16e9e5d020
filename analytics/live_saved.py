"""The live engine's saved state: what a restart needs of it (the streaming exposure
engine's and the alert policy's state, the day's totals, the calibration and its
evidence, the mat's empty-seat baseline, and where the emitted seconds end), as a
JSON-ready dict, and the engine restored from one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analytics import stream_state
from analytics.alert_state import AlertState
from analytics.calibration_evidence import Evidence
from analytics.live_state import DayTotals, calibration_from_dict, calibration_to_dict

if TYPE_CHECKING:
    from analytics.live_engine import LiveEngine

ENGINE_STATE_VERSION = 1


def saved_state(engine: LiveEngine) -> dict[str, Any]:
    """The state of ``engine`` a restart needs."""
    e = engine
    return {
        "version": ENGINE_STATE_VERSION,
        "emitted_to": e.emitted_to,
        "origin_s": e.origin_s,
        "stream": None if e.stream is None else e.stream.to_dict(),
        "alerts": e.alerts.to_dict(),
        "totals": None if e.totals is None else e.totals.to_dict(),
        "calibration": calibration_to_dict(e.thigh, e.trunk),
        "calibration_evidence": e.evidence.to_dict(),
        "seat_baseline": None if e.seat_baseline is None else list(e.seat_baseline),
    }


def restore(engine: LiveEngine, d: dict[str, Any]) -> None:
    """``engine`` (new) as :func:`saved_state` left one; a state of another version
    is refused (ValueError)."""
    if d.get("version") != ENGINE_STATE_VERSION:
        raise ValueError(
            f"the saved service state has version {d.get('version')}, this sitload "
            f"reads {ENGINE_STATE_VERSION}; delete the state file to start afresh"
        )
    e = engine
    e.emitted_to = None if d.get("emitted_to") is None else int(d["emitted_to"])
    e.origin_s = None if d.get("origin_s") is None else int(d["origin_s"])
    e.stream = None if d.get("stream") is None else stream_state.StreamState.from_dict(d["stream"])
    e.alerts = AlertState.from_dict(d["alerts"])
    e.totals = None if d.get("totals") is None else DayTotals.from_dict(d["totals"])
    e.thigh, e.trunk = calibration_from_dict(d.get("calibration") or {})
    saved_evidence = d.get("calibration_evidence")  # absent in states of older versions
    if saved_evidence is not None:
        e.evidence = Evidence.from_dict(saved_evidence)
    if d.get("seat_baseline") is not None:  # tracked since: newer than the setting
        e.seat_baseline = tuple(float(v) for v in d["seat_baseline"])
    e._restored = e.emitted_to is not None
