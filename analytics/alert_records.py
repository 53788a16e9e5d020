"""The records the alert policy reads and writes: one step's input
(:class:`AlertInput`), the alerts it raises (:class:`Alert`, :class:`AlertKind`,
:class:`Status`) and a day's adherence counters (:class:`Adherence`)."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
from dataclasses import dataclass
from typing import Any

from analytics.alert_params import DAY_S
from analytics.records import Posture
from analytics.stream_state import StreamState


class DataState(enum.StrEnum):
    """Whether the step has valid data (anything but OK is a gap)."""

    OK = "ok"
    NO_DATA = "no_data"
    """No samples arrived (link lost, sensor out of range)."""
    SENSOR_OFF = "sensor_off"
    """Samples arrive but the sensor is not worn (non-wear)."""


@dataclass(frozen=True, slots=True)
class AlertInput:
    """What the service knows about one step ``[t_s, t_s + dt_s)``."""

    t_s: float
    posture: Posture
    dt_s: float = 1.0
    local_offset_s: float = 0.0
    """UTC offset of local time at ``t_s`` (seconds east of UTC, DST included)."""
    data: DataState = DataState.OK
    battery_low: bool = False
    hip_gt90_s: float = 0.0
    """How long hip flexion has stayed above 90° while seated, at the step's end
    (0: not above). See :func:`hip_gt90_s_from_stream`."""

    def __post_init__(self) -> None:
        if not math.isfinite(self.t_s):
            raise ValueError(f"t_s must be finite, got {self.t_s!r}")
        if not (math.isfinite(self.dt_s) and self.dt_s > 0):
            raise ValueError(f"dt_s must be a positive number of seconds, got {self.dt_s!r}")
        if not (math.isfinite(self.local_offset_s) and abs(self.local_offset_s) <= DAY_S / 2):
            raise ValueError(f"local_offset_s must be within ±12 h, got {self.local_offset_s!r}")
        if not (math.isfinite(self.hip_gt90_s) and self.hip_gt90_s >= 0):
            raise ValueError(f"hip_gt90_s must be >= 0, got {self.hip_gt90_s!r}")
        if not isinstance(self.posture, Posture):
            object.__setattr__(self, "posture", Posture(int(self.posture)))
        if not isinstance(self.data, DataState):
            object.__setattr__(self, "data", DataState(self.data))


class AlertKind(enum.StrEnum):
    PROMPT = "prompt"
    ESCALATION = "escalation"
    REPEAT = "repeat"
    BREAK_STARTED = "break_started"
    BREAK_COMPLETE = "break_complete"
    BREAK_TOO_SHORT = "break_too_short"
    POSTURE = "posture"
    SADDLE = "saddle"
    SNOOZED = "snoozed"
    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"
    STATUS = "status"


STAND_PROMPTS = frozenset({AlertKind.PROMPT, AlertKind.ESCALATION, AlertKind.REPEAT})
"""The stand prompts: the alerts counted in ``Adherence.prompted``."""

PROMPTS = STAND_PROMPTS | {AlertKind.POSTURE, AlertKind.SADDLE}
"""Every prompt: at most one per ``AlertParams.prompt_gap_s``."""


class Status(enum.StrEnum):
    NO_DATA = "no_data"
    SENSOR_OFF = "sensor_off"
    BATTERY_LOW = "battery_low"
    DATA_BACK = "data_back"


@dataclass(frozen=True, slots=True)
class Adherence:
    """Counters of one local day (see docs/alerts.md for the definitions)."""

    day: int
    """Local day number since 1970-01-01 (see :attr:`date`)."""
    prompted: int = 0
    taken: int = 0
    natural: int = 0
    late: int = 0
    snoozed: int = 0
    ignored: int = 0

    @property
    def date(self) -> datetime.date:
        return datetime.date(1970, 1, 1) + datetime.timedelta(days=self.day)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["date"] = self.date.isoformat()
        return d


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert to publish. ``id`` is deterministic (kind, anchor time, level), so a
    replay after a restart gives the same ids and the publisher can deduplicate."""

    id: str
    kind: AlertKind
    t_s: float
    """When the alert was raised (the moment its condition was met)."""
    message: str
    bout_start_t_s: float | None = None
    bout_minutes: float | None = None
    """Length of the compression bout when raised (for break feedback: before the
    upright spell began)."""
    stand_for_s: float | None = None
    level: int = 0
    """Stand prompts: level 1, 2 … in the bout; posture / saddle: 1, 2 … per span."""
    upright_s: float | None = None
    """Break feedback: how long the person was upright."""
    status: Status | None = None
    command: str | None = None
    adherence: Adherence | None = None
    """The day's counters after this alert."""
    saddle_minutes: float | None = None
    """Saddle prompts: length of the saddle bout (continuous seated riding) when
    raised; None for the other kinds."""
    also: tuple[AlertKind, ...] = ()
    """Prompts merged into this one (its message holds theirs too): a posture or
    saddle prompt due together with a stand prompt, within ``prompt_gap_s``."""

    def to_dict(self) -> dict[str, Any]:
        """Plain values (enums as their strings) for a JSON payload."""
        d = dataclasses.asdict(self)
        d["kind"] = self.kind.value
        d["status"] = None if self.status is None else self.status.value
        d["adherence"] = None if self.adherence is None else self.adherence.to_dict()
        d["also"] = [k.value for k in self.also]
        return d


def hip_gt90_s_from_stream(state: StreamState) -> float:
    """``AlertInput.hip_gt90_s`` from the streaming engine after a chunk: how long
    the debounced hip-above-90° span (seated steps only) has lasted, 0 if none."""
    if not state.above:
        return 0.0
    return (state.index - state.above_since) * state.dt_s
