"""The ``[alerts]`` table: the break-prompt policy in the file's units (minutes where
a key ends in ``_min``, seconds in ``_s``), turned into :class:`AlertParams` and the
:class:`ExposureParams` consistent with it."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, cast

from pydantic import AfterValidator, BaseModel, Field

from analytics.alert_params import AlertParams, Windows
from analytics.compression import ExposureParams
from collector.config.errors import ConfigError
from collector.config.records import Profile, exposure_params
from collector.config.schema import TABLE, NonNegative, Positive, PositiveMinutes, minutes
from collector.config.windows import parse_window

_ALERTS = AlertParams()


def _check_quiet_window(value: str) -> str:
    parse_window(value, wrap=True)
    return value


def _check_work_window(value: str) -> str:
    parse_window(value, wrap=False)
    return value


QuietWindow = Annotated[str, AfterValidator(_check_quiet_window)]
WorkWindow = Annotated[str, AfterValidator(_check_work_window)]


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkingHoursTable(BaseModel):
    model_config = TABLE
    mon_fri: list[WorkWindow] | None = Field(default=None, alias="mon-fri")
    mon: list[WorkWindow] | None = None
    tue: list[WorkWindow] | None = None
    wed: list[WorkWindow] | None = None
    thu: list[WorkWindow] | None = None
    fri: list[WorkWindow] | None = None
    sat: list[WorkWindow] | None = None
    sun: list[WorkWindow] | None = None

    def week(self) -> tuple[Windows, ...]:
        out: list[Windows] = []
        for d, name in enumerate(_DAYS):
            own = cast("list[str] | None", getattr(self, name))
            texts = own if own is not None else (self.mon_fri if d < 5 else None) or []
            out.append(tuple(parse_window(t, wrap=False) for t in texts))
        return tuple(out)


class AlertsTable(BaseModel):
    model_config = TABLE
    prompt_after_min: PositiveMinutes = _ALERTS.prompt_after_s / 60.0
    escalate_after_min: PositiveMinutes = _ALERTS.escalate_after_s / 60.0
    repeat_every_min: NonNegative = _ALERTS.repeat_every_s / 60.0
    stand_for_min: Annotated[float, Field(ge=2, le=5, allow_inf_nan=False)] = (
        _ALERTS.stand_for_s / 60.0
    )
    break_s: Positive = _ALERTS.exposure.break_s
    taken_within_min: PositiveMinutes = _ALERTS.taken_within_s / 60.0
    snooze_default_min: PositiveMinutes = _ALERTS.snooze_default_s / 60.0
    snooze_max_min: PositiveMinutes = _ALERTS.snooze_max_s / 60.0
    snooze_daily_limit: Annotated[int, Field(ge=0)] = _ALERTS.snooze_daily_limit
    hip_prompt_after_min: PositiveMinutes = _ALERTS.hip_prompt_after_s / 60.0
    saddle_prompt_after_min: PositiveMinutes = _ALERTS.saddle_prompt_after_s / 60.0
    saddle_stand_s: Positive = _ALERTS.exposure.saddle_stand_s
    status_after_s: NonNegative = _ALERTS.status_after_s
    back_after_s: NonNegative = _ALERTS.back_after_s
    prompt_gap_min: NonNegative = _ALERTS.prompt_gap_s / 60.0
    quiet_hours: list[QuietWindow] | None = None
    """None: the profile's default (``AlertParams.quiet_hours_s``)."""
    working_hours: WorkingHoursTable | None = None


def alert_params(a: AlertsTable, profile: Profile, where: str) -> AlertParams:
    try:
        alerts = AlertParams(
            prompt_after_s=minutes(a.prompt_after_min),
            escalate_after_s=minutes(a.escalate_after_min),
            repeat_every_s=minutes(a.repeat_every_min),
            stand_for_s=minutes(a.stand_for_min),
            exposure=ExposureParams(break_s=a.break_s, saddle_stand_s=a.saddle_stand_s),
            taken_within_s=minutes(a.taken_within_min),
            snooze_daily_limit=a.snooze_daily_limit,
            snooze_default_s=minutes(a.snooze_default_min),
            snooze_max_s=minutes(a.snooze_max_min),
            hip_prompt_after_s=minutes(a.hip_prompt_after_min),
            cyclist=profile == "cyclist",
            saddle_prompt_after_s=minutes(a.saddle_prompt_after_min),
            status_after_s=a.status_after_s,
            back_after_s=a.back_after_s,
            prompt_gap_s=minutes(a.prompt_gap_min),
            quiet_hours_s=None
            if a.quiet_hours is None
            else tuple(parse_window(w, wrap=True) for w in a.quiet_hours),
            working_hours_s=None if a.working_hours is None else a.working_hours.week(),
        )
        return dataclasses.replace(alerts, exposure=exposure_params(alerts))
    except ValueError as exc:
        message = str(exc)
        # AlertParams speaks in seconds; name the keys of the file, in its units
        named = [
            f"{key} = {getattr(a, key)!r}"
            for param, key in _ALERT_KEYS.items()
            if re.search(rf"\b{param}\b", message)
        ]
        keys = f"; in [alerts]: {', '.join(named)}" if named else ""
        raise ConfigError(
            f"{where}: alerts: {message} (AlertParams, in seconds{keys}); change the "
            "[alerts] values so they agree"
        ) from None


_ALERT_KEYS = {
    "prompt_after_s": "prompt_after_min",
    "escalate_after_s": "escalate_after_min",
    "repeat_every_s": "repeat_every_min",
    "stand_for_s": "stand_for_min",
    "break_s": "break_s",
    "taken_within_s": "taken_within_min",
    "snooze_daily_limit": "snooze_daily_limit",
    "snooze_default_s": "snooze_default_min",
    "snooze_max_s": "snooze_max_min",
    "hip_prompt_after_s": "hip_prompt_after_min",
    "saddle_prompt_after_s": "saddle_prompt_after_min",
    "saddle_stand_s": "saddle_stand_s",
    "status_after_s": "status_after_s",
    "back_after_s": "back_after_s",
    "prompt_gap_s": "prompt_gap_min",
}
"""AlertParams field -> [alerts] key."""
