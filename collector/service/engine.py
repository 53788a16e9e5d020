"""The live engine in the service: :class:`analytics.live_engine.LiveEngine` (pure: no
I/O, no clock) fed with the sources' messages, and the local time zone's offset."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from analytics import live_engine
from analytics.live import LiveParams
from collector.sources.messages import DeviceStatus, Gap, Message, Role, SampleBlock

if TYPE_CHECKING:
    from collector.config import Settings

_COLUMN = {Role.THIGH: "acc_g", Role.TRUNK: "acc_g", Role.SEAT: "seat_p", Role.BIKE: "cadence_rpm"}


class LiveEngine(live_engine.LiveEngine):
    """The pure engine, plus :meth:`accept` for the sources' messages."""

    def accept(self, message: Message) -> None:
        if isinstance(message, SampleBlock):
            role = message.role
            values = getattr(message, _COLUMN[role])
            if values is None:
                return
            if role == Role.BIKE:
                values = np.asarray(values, dtype=np.float64).reshape(-1)
            self.add_samples(role, message.t_s, values)  # (an empty block adds nothing)
        elif isinstance(message, Gap):
            self.counters.gaps += 1
        elif isinstance(message, DeviceStatus) and message.battery_pct is not None:
            self.battery_pct = message.battery_pct


def new_engine(
    settings: Settings,
    roles: set[Role],
    saved: dict[str, Any] | None,
    tz: datetime.tzinfo,
    quarantine: Callable[[str], object],
) -> LiveEngine:
    """The service's engine (a fast replay's takes longer steps: ``LiveParams.paced``),
    resumed from ``saved`` when the engine accepts it (a state that passed the schema
    but not the engine's own checks is handed to ``quarantine`` and a new engine made)."""
    s = settings
    live_params = LiveParams().paced(1.0 if s.source.kind == "ble" else s.source.speed)

    def make(state: dict[str, Any] | None) -> LiveEngine:
        return LiveEngine(
            roles,
            alert_params=s.alerts,
            live_params=live_params,
            utc_offset_s=zone_offset(tz),
            saved=state,
            seat_baseline=s.source.seat_baseline,
        )

    if saved is None:
        return make(None)
    try:
        return make(saved)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        quarantine(str(exc)[:200])
        return make(None)


def zone_offset(tz: datetime.tzinfo) -> Callable[[float], float]:
    """``utc_offset_s`` for a time zone (DST included)."""

    def offset(t_s: float) -> float:
        off = datetime.datetime.fromtimestamp(t_s, tz).utcoffset()
        return 0.0 if off is None else off.total_seconds()

    return offset
