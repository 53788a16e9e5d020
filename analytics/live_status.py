"""The live status: what the person's state is now (published retained by the MQTT
sink, shown on the console), built from the live engine's state."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analytics.alert_records import Adherence, DataState
from analytics.compression import SEATED, STEP_CLASS_OF
from analytics.live import DATA_OK
from analytics.live_state import local_day

if TYPE_CHECKING:
    from analytics.live_engine import LiveEngine

DATA_STATE = {0: DataState.OK, 1: DataState.NO_DATA, 2: DataState.SENSOR_OFF}
"""The per-second data codes of :mod:`analytics.live` as the alert policy's states."""


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """What the person's state is now (published retained, shown on the console).

    Times are data times (seconds since the Unix epoch, UTC), minutes are minutes.
    """

    t_s: float
    """End of the last second processed."""
    sitting: bool | None
    """Compression now (sitting or seated riding); None while there is no valid data."""
    posture: str
    """``sitting``, ``upright``, ``lying``, ``riding_seated``, ``riding_standing`` or
    ``nonwear`` (also for no data)."""
    data: str
    """``ok``, ``no_data`` or ``sensor_off`` (:class:`analytics.alert_records.DataState`)."""
    bout_minutes: float
    """Length of the running compression bout (0: no bout)."""
    today_sitting_min: float
    """Compression (sitting + seated riding) so far in the local day."""
    today_bouts_over_30: int
    """Compression bouts of the local day that reached 30 minutes."""
    today_hip_gt90_min: float
    """Seated minutes with hip flexion above 90° in the local day."""
    adherence: Adherence
    """The day's prompt counters (prompted, taken, natural, late, snoozed, ignored)."""
    battery_pct: int | None = None
    snoozed_until_t_s: float | None = None
    calibrated: bool = True
    """False while the thigh sensor still waits for its calibration."""
    calibration_source: str | None = None
    """How the thigh sensor was calibrated (``auto``, ``standing``, ``pedalling``)."""
    calibration_confidence: float | None = None
    """0..1: how much walking anchors the automatic calibration (``pedalling``: 0,
    riding is known but not seated vs standing nor the hip angle)."""
    saddle_bout_minutes: float = 0.0
    """Cyclist profile: length of the running saddle bout (continuous seated riding,
    the saddle prompt's clock; 0: none)."""
    ride_stands: int = 0
    """Cyclist profile: stands on the pedals (at least ``saddle_stand_s``) in the
    running ride, or the last one."""

    @property
    def adherence_pct(self) -> float | None:
        """Breaks taken after a prompt / prompts, in percent (None: no prompt yet)."""
        a = self.adherence
        return None if a.prompted == 0 else round(100.0 * a.taken / a.prompted, 1)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["adherence"] = self.adherence.to_dict()
        d["adherence_pct"] = self.adherence_pct
        return d


def status_of(engine: LiveEngine) -> LiveStatus:
    """The live status after the engine's last final second."""
    t = engine.now_t_s()
    offset = engine.utc_offset_s(t)
    day = local_day(t, offset)
    totals = engine.totals if engine.totals is not None and engine.totals.day == day else None
    ok = engine.last_data == DATA_OK
    seated = int(STEP_CLASS_OF[int(engine.last_posture)]) == SEATED
    bout = engine.alerts.bout_start_t_s
    saddle = engine.alerts.saddle_start_t_s
    return LiveStatus(
        t_s=t,
        sitting=seated if ok else None,
        posture=engine.last_posture.name.lower() if ok else "nonwear",
        data=DATA_STATE[engine.last_data].value,
        bout_minutes=0.0 if bout is None else round((t - bout) / 60.0, 2),
        today_sitting_min=0.0 if totals is None else round(totals.compression_s / 60.0, 2),
        today_bouts_over_30=0 if totals is None else totals.bouts_over_30,
        today_hip_gt90_min=0.0 if totals is None else round(totals.hip_gt90_s / 60.0, 2),
        adherence=engine.alerts.adherence if engine.alerts.day == day else Adherence(day=day),
        battery_pct=engine.battery_pct,
        snoozed_until_t_s=engine.alerts.snoozed_until_t_s
        if engine.alerts.snoozed_until_t_s is not None and engine.alerts.snoozed_until_t_s > t
        else None,
        calibrated=engine.calibrated,
        calibration_source=None if engine.thigh is None else engine.thigh.source,
        calibration_confidence=None
        if engine.thigh is None
        else round(float(engine.thigh.confidence), 2),
        saddle_bout_minutes=0.0 if saddle is None else round((t - saddle) / 60.0, 2),
        ride_stands=engine.alerts.ride_stands,
    )
