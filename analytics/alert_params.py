"""The alert policy's parameters (:class:`AlertParams`) and their checks.

Durations are seconds, times of day local seconds since midnight. The break length
and the saddle stand are not alert parameters: they are exposure rules, owned by
:class:`analytics.compression.ExposureParams` (defaults from
:data:`analytics.rules.RULES`), which the policy holds as ``AlertParams.exposure``
so that its breaks and saddle bouts are the engine's.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass

from analytics.compression import ExposureParams
from analytics.rules import RULES

DAY_S = 86400.0

Windows = tuple[tuple[float, float], ...]

_EXPOSURE = ExposureParams()
"""The exposure defaults: the prompt schedule's defaults are derived from them."""

DESK_QUIET_HOURS_S: Windows = ((22 * 3600.0, 7 * 3600.0),)
"""The default quiet hours, 22:00–07:00 local: no prompts at night. Not a clinical
value (a calm default); the cyclist profile's default is none (rides at any hour)."""


def _finite(name: str, value: float) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds, got {value!r}")


def _windows(name: str, raw: Iterable[Iterable[float]], *, wrap: bool) -> Windows:
    out: list[tuple[float, float]] = []
    for w in raw:
        pair = tuple(float(x) for x in w)
        if len(pair) != 2:
            raise ValueError(f"{name}: each window is (start_s, end_s), got {pair!r}")
        a, b = pair
        if not (0.0 <= a <= DAY_S and 0.0 <= b <= DAY_S):
            raise ValueError(
                f"{name}: window {pair!r} must use local seconds of the day, 0 to 86400"
            )
        if wrap and a == b:
            raise ValueError(f"{name}: window {pair!r} is empty; start and end must differ")
        if not wrap and a >= b:
            raise ValueError(
                f"{name}: window {pair!r} must start before it ends (split a window that "
                "passes midnight over two days)"
            )
        out.append((a, b))
    return tuple(out)


def working_week(
    start_s: float, end_s: float, weekdays: Iterable[int] = (0, 1, 2, 3, 4)
) -> tuple[Windows, ...]:
    """``working_hours_s`` for one window on the given weekdays (Monday = 0), e.g.
    ``working_week(9 * 3600, 17 * 3600)`` for Monday to Friday, 09:00–17:00."""
    days = set(weekdays)
    return tuple(((start_s, end_s),) if d in days else () for d in range(7))


@dataclass(frozen=True, slots=True)
class AlertParams:
    """The alert policy. All durations in seconds; times of day in local seconds
    since midnight."""

    prompt_after_s: float = _EXPOSURE.milestones_min[0] * 60.0
    """Prompt to stand when the compression bout reaches this (30 min)."""
    escalate_after_s: float = _EXPOSURE.milestones_min[-1] * 60.0
    """Escalate the prompt at this bout length (40 min)."""
    repeat_every_s: float = _EXPOSURE.repeat_every_min * 60.0
    """Repeat the current level this often while the bout continues (10 min; 0: never)."""
    stand_for_s: float = 120.0
    """How long each prompt asks the person to stand: 120–300 s (2–5 min)."""
    exposure: ExposureParams = _EXPOSURE
    """The exposure rules the policy follows: ``exposure.break_s`` (upright this long
    is a break) and ``exposure.saddle_stand_s`` (standing on the pedals this long ends
    a saddle bout). The live service runs its engine with the same record."""
    taken_within_s: float = 600.0
    """A break completed this soon after a prompt counts as *taken*."""
    snooze_daily_limit: int = 3
    """Accepted snoozes per local day; more are rejected."""
    snooze_default_s: float = 900.0
    """A snooze without a length lasts this long."""
    snooze_max_s: float = 7200.0
    """Longer snoozes are rejected."""
    hip_prompt_after_s: float = 300.0
    """Posture prompt when hip flexion has stayed above 90° this long while seated."""
    cyclist: bool = False
    """Cyclist profile: saddle prompts; while riding they replace the stand prompts."""
    saddle_prompt_after_s: float = 2700.0
    """Saddle prompt after this much continuous seated riding (45 min)."""
    freewheel_max_s: float = RULES.freewheel_max_s
    """Cyclist profile: sitting still this long after the last pedal stroke is still
    seated riding (freewheeling, waiting at a light on the saddle); standing off the
    bike is part of the ride until it lasts ``exposure.break_s`` (a café stop)."""
    status_after_s: float = 60.0
    """A gap or non-wear must last this long before its status alert, and go on at
    least a second past it (so "off" and "back" never share a second). A calm default:
    Bluetooth dropouts and calibration hiccups shorter than a minute stay silent (the
    bout is paused or interrupted at once whatever this is)."""
    back_after_s: float = 30.0
    """After a reported gap, data must flow this long, and go on a second later, before
    "data is back" (a sensor that reconnects and drops again within it stays one gap:
    one "off" and one "back" per gap)."""
    prompt_gap_s: float = _EXPOSURE.repeat_every_min * 60.0
    """At most one prompt (stand, posture, saddle) per this many seconds, whatever its
    kind (10 min, the repeat interval); prompts due together are merged into one alert,
    a prompt due sooner waits (0: no spacing)."""
    quiet_hours_s: Windows | None = None
    """Daily windows without prompts, ``(start_s, end_s)``; ``start > end`` passes
    midnight; ``()``: none. ``None`` (the default) becomes the profile's: 22:00–07:00
    (:data:`DESK_QUIET_HOURS_S`) for the desk worker, none for the cyclist."""
    working_hours_s: tuple[Windows, ...] | None = None
    """Per weekday, Monday first (7 entries), the windows in which prompts are
    allowed; ``None``: every day, all day. See :func:`working_week`."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_s") and isinstance(value, int | float):
                _finite(f.name, float(value))
        if not isinstance(self.exposure, ExposureParams):
            raise ValueError(
                f"exposure must be an ExposureParams, got {type(self.exposure).__name__}"
            )
        _finite("break_s", self.exposure.break_s)
        _finite("saddle_stand_s", self.exposure.saddle_stand_s)
        if self.prompt_after_s <= 0:
            raise ValueError("prompt_after_s must be positive (seconds of compression bout)")
        if self.escalate_after_s <= self.prompt_after_s:
            raise ValueError(
                f"escalate_after_s ({self.escalate_after_s:g}) must be later than "
                f"prompt_after_s ({self.prompt_after_s:g})"
            )
        if self.repeat_every_s < 0:
            raise ValueError("repeat_every_s must be >= 0 (0: no repeats)")
        if not 120.0 <= self.stand_for_s <= 300.0:
            raise ValueError(
                f"stand_for_s is {self.stand_for_s:g}; it must be 120–300 s "
                "(the guidance is to stand 2–5 minutes)"
            )
        if self.exposure.break_s > self.stand_for_s:
            raise ValueError(
                f"break_s ({self.exposure.break_s:g}) is longer than stand_for_s "
                f"({self.stand_for_s:g}): a prompt would ask for a break that does not count"
            )
        for name in (
            "taken_within_s",
            "snooze_default_s",
            "hip_prompt_after_s",
            "saddle_prompt_after_s",
            "freewheel_max_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.status_after_s < 0:
            raise ValueError("status_after_s must be >= 0")
        if self.back_after_s < 0:
            raise ValueError("back_after_s must be >= 0")
        if self.prompt_gap_s < 0:
            raise ValueError("prompt_gap_s must be >= 0 (0: prompts are not spaced)")
        if self.snooze_max_s < self.snooze_default_s:
            raise ValueError(
                f"snooze_max_s ({self.snooze_max_s:g}) must be at least snooze_default_s "
                f"({self.snooze_default_s:g})"
            )
        if isinstance(self.snooze_daily_limit, bool) or not isinstance(
            self.snooze_daily_limit, int
        ):
            raise ValueError("snooze_daily_limit must be a whole number")
        if self.snooze_daily_limit < 0:
            raise ValueError("snooze_daily_limit must be >= 0 (0: snoozing is off)")
        if self.quiet_hours_s is None:
            default = () if self.cyclist else DESK_QUIET_HOURS_S
            object.__setattr__(self, "quiet_hours_s", default)
        quiet = _windows("quiet_hours_s", self.quiet_hours_s or (), wrap=True)
        object.__setattr__(self, "quiet_hours_s", quiet)
        if self.working_hours_s is not None:
            week = tuple(self.working_hours_s)
            if len(week) != 7:
                raise ValueError(
                    f"working_hours_s needs 7 entries, Monday first, got {len(week)} "
                    "(an empty entry: no prompts that day)"
                )
            checked = tuple(
                _windows(f"working_hours_s[{d}]", w, wrap=False) for d, w in enumerate(week)
            )
            object.__setattr__(self, "working_hours_s", checked)
