"""When prompts are due: the stand-prompt levels of a bout (prompt, repeats,
escalation, repeats), the per-span repeats of the posture and saddle prompts, and
the hours in which prompts may be raised (quiet hours, working hours).

Local time comes from the UTC offset the caller passes in (the shell owns the time
zone); these are pure functions of the parameters and a clock reading.
"""

from __future__ import annotations

import math

from analytics.alert_params import DAY_S, AlertParams

EPS_S = 1e-4
"""Tolerance when comparing times (float steps such as 0.1 s)."""


# --- time of day -------------------------------------------------------------------


def local_clock(t_s: float, local_offset_s: float) -> tuple[int, int, float]:
    """(local day number since 1970-01-01, weekday with Monday = 0, local seconds
    since midnight) of the instant ``t_s`` at UTC offset ``local_offset_s``."""
    local = t_s + local_offset_s
    day = math.floor(local / DAY_S)
    return day, (day + 3) % 7, local - day * DAY_S  # 1970-01-01 was a Thursday


def prompts_allowed(params: AlertParams, t_s: float, local_offset_s: float) -> bool:
    """Inside working hours (if set) and outside quiet hours, at ``t_s``."""
    _day, weekday, sec = local_clock(t_s, local_offset_s)
    for a, b in params.quiet_hours_s or ():
        if (a <= sec < b) if a < b else (sec >= a or sec < b):
            return False
    if params.working_hours_s is None:
        return True
    return any(a <= sec < b for a, b in params.working_hours_s[weekday])


# --- levels --------------------------------------------------------------------------


def points(first_s: float, every_s: float, x_s: float) -> int:
    """How many of first, first + every, first + 2·every … are ≤ x (every 0: one)."""
    if x_s < first_s - EPS_S:
        return 0
    if every_s <= 0:
        return 1
    return 1 + math.floor((x_s - first_s + EPS_S) / every_s)


def _pre_levels(p: AlertParams) -> int:
    """Prompt-phase levels: prompt_after + k·repeat before escalate_after."""
    if p.repeat_every_s <= 0:
        return 1
    return math.ceil((p.escalate_after_s - p.prompt_after_s) / p.repeat_every_s - 1e-9)


def stand_level(p: AlertParams, clock_s: float) -> int:
    """Stand-prompt levels due at ``clock_s`` of (snooze-shifted) bout time."""
    if clock_s < p.escalate_after_s - EPS_S:
        return min(_pre_levels(p), points(p.prompt_after_s, p.repeat_every_s, clock_s))
    return _pre_levels(p) + points(p.escalate_after_s, p.repeat_every_s, clock_s)


def stand_offset_s(p: AlertParams, level: int) -> float:
    """Bout time at which stand-prompt ``level`` (1, 2 …) is due."""
    pre = _pre_levels(p)
    if level <= pre:
        return p.prompt_after_s + (level - 1) * p.repeat_every_s
    return p.escalate_after_s + (level - pre - 1) * p.repeat_every_s


def stand_phase(p: AlertParams, level: int) -> int:
    """1: the prompt and its repeats; 2: the escalation and its repeats."""
    return 1 if level <= _pre_levels(p) else 2


def next_stand_offset_s(p: AlertParams, level: int, acked_phase: int) -> float | None:
    """Bout time at which the next stand prompt after ``level`` is due, skipping an
    acknowledged phase's repeats (None: no more stand prompts in this bout)."""
    nxt = level + 1
    if stand_phase(p, nxt) == acked_phase:
        if acked_phase != 1:
            return None
        nxt = _pre_levels(p) + 1
    if p.repeat_every_s <= 0 and nxt > _pre_levels(p) + 1:
        return None
    return stand_offset_s(p, max(nxt, 1))
