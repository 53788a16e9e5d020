"""The alert policy of the live service: what to tell the person, step by step (pure).

The live service calls :func:`step` once per step of the posture timeline (or
:func:`run` with a batch of steps) with an :class:`AlertInput` for that step, and
:func:`apply_command` when the person snoozes or acknowledges; both return the new
:class:`AlertState` and the :class:`Alert` records to publish. No clock, no I/O:
time is the step's ``t_s`` (Unix seconds) and local time comes from the
``local_offset_s`` the caller passes in (the shell owns the time zone).

**Why the policy follows the posture itself rather than the engine's events.**
:mod:`analytics.streaming` reports bouts as events (``bout_started``,
``bout_minutes``, ``micro_break``, ``break_taken``, ``gap_started`` …), but the
alert policy needs things those events do not carry, at the moment they happen:

* the moment the person *stands up* inside a bout ("break in progress"): the
  engine only reports a relief spell when it ends (``micro_break``) or reaches
  the break length (``break_taken``);
* a bout clock that a snooze can shift: ``bout_minutes`` come at fixed minutes;
* per-step facts the engine does not see (battery, the kind of gap, local time).

Events from a chunk also arrive together, some dated in the past (the hip
events are debounced). So the policy tracks the bout clock from the per-step
posture with the engine's own rules and helpers, which keeps it exactly
consistent with :mod:`analytics.compression` (a property test checks that the
break feedback coincides with the engine's ``break_taken`` / ``micro_break``
events):

* step classes come from :func:`analytics.compression.step_classes` (sitting and
  seated riding compress; upright, standing on the pedals and lying relieve;
  non-wear is a gap), and a step whose ``data`` is not ``OK`` is a gap too;
* a bout starts on a seated step; an upright spell reaches a break after
  :func:`analytics.compression.break_steps` steps, at ``spell start +
  break_s``; sitting again earlier is a micro-break (the clock runs on);
* a gap (never a break, never "break complete") shorter than ``break_s``
  pauses the bout: the prompt schedule and an upright spell move on by its length
  (:mod:`analytics.pauses`); a gap of ``break_s`` ends the bout as interrupted.

Hip flexion is the one input taken from the engine: ``hip_gt90_s`` is the time the
hip has stayed above 90° while seated, which :func:`hip_gt90_s_from_stream` reads
from the engine's debounced state. Saddle time follows :mod:`analytics.saddle`
(seated riding joined through stands on the pedals shorter than
``saddle_stand_s``).

Definitions (prompt schedule, adherence counters, commands) are in
``docs/alerts.md`` and on the fields below.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.compression import GAP, RELIEF, SEATED, ExposureParams, break_steps, step_classes
from analytics.records import Posture
from analytics.rules import RULES
from analytics.stream_state import StreamState

STATE_VERSION = 1
DAY_S = 86400.0
_EPS_S = 1e-4
"""Tolerance when comparing times (float steps such as 0.1 s)."""

_EXPOSURE = ExposureParams()
"""The exposure defaults: the alert defaults are derived from them (one source)."""

_CLASS_OF: dict[Posture, int] = dict(
    zip(
        Posture,
        step_classes(np.array([int(p) for p in Posture], dtype=np.int8)).tolist(),
        strict=True,
    )
)

Windows = tuple[tuple[float, float], ...]


# --- parameters ----------------------------------------------------------------------


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
    break_s: float = _EXPOSURE.break_s
    """Upright this long is a break (ExposureParams.break_s: keep them equal)."""
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
    saddle_stand_s: float = RULES.saddle_stand_s
    """Standing on the pedals this long ends a saddle bout (as analytics.saddle)."""
    status_after_s: float = 10.0
    """A gap or non-wear must last this long before its status alert (the bout is
    interrupted at once whatever this is)."""
    quiet_hours_s: Windows = ()
    """Daily windows without prompts, ``(start_s, end_s)``; ``start > end`` passes
    midnight, e.g. ``((22 * 3600, 7 * 3600),)``."""
    working_hours_s: tuple[Windows, ...] | None = None
    """Per weekday, Monday first (7 entries), the windows in which prompts are
    allowed; ``None``: every day, all day. See :func:`working_week`."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_s") and isinstance(value, int | float):
                _finite(f.name, float(value))
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
        if self.break_s <= 0:
            raise ValueError("break_s must be positive")
        if self.break_s > self.stand_for_s:
            raise ValueError(
                f"break_s ({self.break_s:g}) is longer than stand_for_s "
                f"({self.stand_for_s:g}): a prompt would ask for a break that does not count"
            )
        for name in (
            "taken_within_s",
            "snooze_default_s",
            "hip_prompt_after_s",
            "saddle_prompt_after_s",
            "saddle_stand_s",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.status_after_s < 0:
            raise ValueError("status_after_s must be >= 0")
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
        quiet = _windows("quiet_hours_s", self.quiet_hours_s, wrap=True)
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
    for a, b in params.quiet_hours_s:
        if (a <= sec < b) if a < b else (sec >= a or sec < b):
            return False
    if params.working_hours_s is None:
        return True
    return any(a <= sec < b for a, b in params.working_hours_s[weekday])


# --- records -------------------------------------------------------------------------


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


class Status(enum.StrEnum):
    NO_DATA = "no_data"
    SENSOR_OFF = "sensor_off"
    BATTERY_LOW = "battery_low"
    DATA_BACK = "data_back"


_STATUS_MESSAGE = {
    Status.NO_DATA: "No data from the sensor: breaks cannot be checked.",
    Status.SENSOR_OFF: "Sensor off (not worn): breaks cannot be checked.",
    Status.BATTERY_LOW: "Sensor battery low: charge it soon.",
    Status.DATA_BACK: "Sensor data is back.",
}


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

    def to_dict(self) -> dict[str, Any]:
        """Plain values (enums as their strings) for a JSON payload."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "t_s": self.t_s,
            "message": self.message,
            "bout_start_t_s": self.bout_start_t_s,
            "bout_minutes": self.bout_minutes,
            "stand_for_s": self.stand_for_s,
            "level": self.level,
            "upright_s": self.upright_s,
            "status": None if self.status is None else self.status.value,
            "command": self.command,
            "adherence": None if self.adherence is None else self.adherence.to_dict(),
        }


class CommandKind(enum.StrEnum):
    SNOOZE = "snooze"
    ACKNOWLEDGE = "ack"


@dataclass(frozen=True, slots=True)
class Command:
    """A command from the person. Not validated here: :func:`apply_command` rejects
    bad values with a REJECTED alert."""

    kind: CommandKind
    duration_min: float | None = None
    """Snooze length in minutes (None: ``snooze_default_s``)."""

    def __str__(self) -> str:
        if self.kind == CommandKind.SNOOZE and self.duration_min is not None:
            return f"snooze {self.duration_min:g}"
        return self.kind.value


def parse_command(text: str) -> Command | str:
    """``"snooze"``, ``"snooze 15"`` (minutes, ``15min`` also accepted), ``"ack"`` /
    ``"acknowledge"`` → a :class:`Command`; anything else → the reason it is not one."""
    words = text.strip().lower().split()
    usage = "expected 'snooze [minutes]' or 'ack'"
    if not words:
        return f"empty command; {usage}"
    head, rest = words[0], words[1:]
    if head in ("ack", "acknowledge") and not rest:
        return Command(CommandKind.ACKNOWLEDGE)
    if head == "snooze" and len(rest) <= 1:
        if not rest:
            return Command(CommandKind.SNOOZE)
        number = rest[0].removesuffix("min").removesuffix("m")
        try:
            return Command(CommandKind.SNOOZE, float(number))
        except ValueError:
            return f"snooze length {rest[0]!r} is not a number of minutes"
    return f"unknown command {text.strip()!r}; {usage}"


# --- state ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertState:
    """Everything the policy remembers between steps (plain values only)."""

    next_t_s: float | None = None
    """End of the last step consumed (None: nothing yet)."""
    local_offset_s: float = 0.0
    """UTC offset of the last step (used by commands that do not pass one)."""
    day: int | None = None
    """Local day of the counters."""
    prompted: int = 0
    taken: int = 0
    natural: int = 0
    late: int = 0
    snoozed: int = 0
    ignored: int = 0
    battery_low: bool = False
    gap_start_t_s: float | None = None
    gap_status: str | None = None
    """Status last reported for the open gap."""
    gap_reports: int = 0
    bout_start_t_s: float | None = None
    """The running compression bout (None: no bout)."""
    bout_delay_s: float = 0.0
    """Snoozes taken and short gaps paused in this bout: the prompt schedule runs this
    much later."""
    bout_level: int = 0
    """Highest stand-prompt level raised in this bout."""
    bout_phase: int = 0
    """Phase of the last stand prompt raised: 0 none, 1 prompt, 2 escalation."""
    acked_phase: int = 0
    """Phase whose repeats were acknowledged (0: none)."""
    taken_deadline_t_s: float | None = None
    """A break completed by then counts as taken (last prompt + taken_within_s,
    extended by snoozes)."""
    relief_start_t_s: float | None = None
    """The upright spell inside the running bout."""
    relief_feedback: bool = False
    """That spell gets break feedback (BREAK_STARTED was raised)."""
    snoozed_until_t_s: float | None = None
    hip_span_start_t_s: float | None = None
    hip_last_s: float = 0.0
    hip_level: int = 0
    hip_acked: bool = False
    saddle_start_t_s: float | None = None
    saddle_stand_t_s: float | None = None
    saddle_level: int = 0
    saddle_acked: bool = False
    commands: int = 0
    """Commands applied so far (numbers their alert ids)."""

    @property
    def adherence(self) -> Adherence:
        return Adherence(
            day=self.day if self.day is not None else 0,
            prompted=self.prompted,
            taken=self.taken,
            natural=self.natural,
            late=self.late,
            snoozed=self.snoozed,
            ignored=self.ignored,
        )

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["version"] = STATE_VERSION
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> AlertState:
        d = dict(d)
        version = d.pop("version", None)
        if version != STATE_VERSION:
            raise ValueError(
                f"the saved alert state has version {version}, this sitload reads "
                f"{STATE_VERSION}; delete the state file to start afresh"
            )
        try:
            return AlertState(**d)
        except TypeError as exc:
            raise ValueError(f"the saved alert state is damaged ({exc}); delete it") from None


_STATE_FIELDS = tuple(f.name for f in dataclasses.fields(AlertState))


def hip_gt90_s_from_stream(state: StreamState) -> float:
    """``AlertInput.hip_gt90_s`` from the streaming engine after a chunk: how long
    the debounced hip-above-90° span (seated steps only) has lasted, 0 if none."""
    if not state.above:
        return 0.0
    return (state.index - state.above_since) * state.dt_s


# --- schedules -----------------------------------------------------------------------


def _points(first_s: float, every_s: float, x_s: float) -> int:
    """How many of first, first + every, first + 2·every … are ≤ x (every 0: one)."""
    if x_s < first_s - _EPS_S:
        return 0
    if every_s <= 0:
        return 1
    return 1 + math.floor((x_s - first_s + _EPS_S) / every_s)


def _pre_levels(p: AlertParams) -> int:
    """Prompt-phase levels: prompt_after + k·repeat before escalate_after."""
    if p.repeat_every_s <= 0:
        return 1
    return math.ceil((p.escalate_after_s - p.prompt_after_s) / p.repeat_every_s - 1e-9)


def stand_level(p: AlertParams, clock_s: float) -> int:
    """Stand-prompt levels due at ``clock_s`` of (snooze-shifted) bout time."""
    if clock_s < p.escalate_after_s - _EPS_S:
        return min(_pre_levels(p), _points(p.prompt_after_s, p.repeat_every_s, clock_s))
    return _pre_levels(p) + _points(p.escalate_after_s, p.repeat_every_s, clock_s)


def stand_offset_s(p: AlertParams, level: int) -> float:
    """Bout time at which stand-prompt ``level`` (1, 2 …) is due."""
    pre = _pre_levels(p)
    if level <= pre:
        return p.prompt_after_s + (level - 1) * p.repeat_every_s
    return p.escalate_after_s + (level - pre - 1) * p.repeat_every_s


def _phase(p: AlertParams, level: int) -> int:
    return 1 if level <= _pre_levels(p) else 2


@functools.lru_cache(maxsize=64)
def _break_need(break_s: float, dt_s: float) -> int:
    return break_steps(ExposureParams(break_s=break_s), dt_s)


def _ms(t_s: float) -> int:
    return round(t_s * 1000.0)


def _fmt(duration_s: float) -> str:
    s = round(duration_s)
    if s % 60 == 0:
        return f"{s // 60} min"
    if s < 60:
        return f"{s} s"
    return f"{s // 60} min {s % 60} s"


def _minutes(duration_s: float) -> int:
    return math.floor(duration_s / 60.0 + 1e-9)


# --- the policy ----------------------------------------------------------------------


@dataclass(slots=True)
class _Work:
    """Mutable working copy of :class:`AlertState` (the same fields)."""

    next_t_s: float | None
    local_offset_s: float
    day: int | None
    prompted: int
    taken: int
    natural: int
    late: int
    snoozed: int
    ignored: int
    battery_low: bool
    gap_start_t_s: float | None
    gap_status: str | None
    gap_reports: int
    bout_start_t_s: float | None
    bout_delay_s: float
    bout_level: int
    bout_phase: int
    acked_phase: int
    taken_deadline_t_s: float | None
    relief_start_t_s: float | None
    relief_feedback: bool
    snoozed_until_t_s: float | None
    hip_span_start_t_s: float | None
    hip_last_s: float
    hip_level: int
    hip_acked: bool
    saddle_start_t_s: float | None
    saddle_stand_t_s: float | None
    saddle_level: int
    saddle_acked: bool
    commands: int

    @staticmethod
    def of(st: AlertState) -> _Work:
        return _Work(**{name: getattr(st, name) for name in _STATE_FIELDS})

    def freeze(self) -> AlertState:
        return AlertState(**{name: getattr(self, name) for name in _STATE_FIELDS})

    def counters(self) -> Adherence:
        return Adherence(
            day=self.day if self.day is not None else 0,
            prompted=self.prompted,
            taken=self.taken,
            natural=self.natural,
            late=self.late,
            snoozed=self.snoozed,
            ignored=self.ignored,
        )

    def roll_day(self, t_s: float) -> None:
        """Counters reset at local midnight (days only move forward)."""
        day, _wd, _sec = local_clock(t_s, self.local_offset_s)
        if self.day is None or day > self.day:
            self.day = day
            self.prompted = self.taken = self.natural = self.late = 0
            self.snoozed = self.ignored = 0

    def alert(
        self,
        kind: AlertKind,
        t_s: float,
        anchor_s: float,
        message: str,
        *,
        n: int = 0,
        level: int = 0,
        bout: bool = True,
        stand_for_s: float | None = None,
        upright_s: float | None = None,
        status: Status | None = None,
        command: str | None = None,
        minutes_at_s: float | None = None,
    ) -> Alert:
        start = self.bout_start_t_s if bout else None
        minutes = None
        if start is not None:
            minutes = ((t_s if minutes_at_s is None else minutes_at_s) - start) / 60.0
        return Alert(
            id=f"{kind.value}-{_ms(anchor_s)}-{n}",
            kind=kind,
            t_s=t_s,
            message=message,
            bout_start_t_s=start,
            bout_minutes=minutes,
            stand_for_s=stand_for_s,
            level=level,
            upright_s=upright_s,
            status=status,
            command=command,
            adherence=self.counters(),
        )

    def earliest(self, due_s: float, t_s: float) -> float:
        """When a prompt due at ``due_s`` may be raised in a step starting at ``t_s``."""
        snooze = self.snoozed_until_t_s if self.snoozed_until_t_s is not None else t_s
        return max(due_s, t_s, snooze)

    # --- one step --------------------------------------------------------------------
    def consume(self, p: AlertParams, inp: AlertInput, out: list[Alert]) -> None:
        t = inp.t_s
        if self.next_t_s is not None:
            if t < self.next_t_s - _EPS_S:
                return  # already consumed (a replay overlapping the saved state)
            if t > self.next_t_s + _EPS_S:  # missing steps: a gap, never a break
                gap = AlertInput(
                    t_s=self.next_t_s,
                    posture=Posture.NONWEAR,
                    dt_s=t - self.next_t_s,
                    local_offset_s=inp.local_offset_s,
                    data=DataState.NO_DATA,
                    battery_low=self.battery_low,
                )
                self.segment(p, gap, out)
        self.segment(p, inp, out)

    def segment(self, p: AlertParams, inp: AlertInput, out: list[Alert]) -> None:
        t, te = inp.t_s, inp.t_s + inp.dt_s
        self.local_offset_s = inp.local_offset_s
        self.roll_day(t)
        cls = GAP if inp.data != DataState.OK else _CLASS_OF[inp.posture]
        new: list[Alert] = []
        if inp.battery_low and not self.battery_low:
            msg = _STATUS_MESSAGE[Status.BATTERY_LOW]
            new.append(
                self.alert(AlertKind.STATUS, t, t, msg, bout=False, n=1, status=Status.BATTERY_LOW)
            )
        self.battery_low = inp.battery_low
        self.gap_status_step(p, inp, cls, new)
        self.saddle_track(p, inp)
        if cls == SEATED:
            if self.bout_start_t_s is None:
                self.new_bout(t)
            elif self.relief_start_t_s is not None:
                self.micro_break(p, t, new)
            self.stand_prompt(p, inp, new)
        elif cls == RELIEF:
            self.relief_step(p, inp, new)
        elif self.bout_start_t_s is not None:  # a gap: a pause until it lasts a break
            gap_start = self.gap_start_t_s if self.gap_start_t_s is not None else t
            if te - gap_start < p.break_s - _EPS_S:
                self.pause_bout(inp.dt_s)
            else:
                if self.bout_phase > 0:
                    self.ignored += 1
                self.end_bout()
        if cls == SEATED:
            self.hip_prompt(p, inp, new)
        else:
            self.hip_reset()
        if p.cyclist and inp.posture == Posture.RIDING_SEATED and cls == SEATED:
            self.saddle_prompt(p, inp, new)
        self.next_t_s = te
        new.sort(key=lambda a: a.t_s)  # stable: same-time alerts keep their order
        out.extend(new)

    def gap_status_step(self, p: AlertParams, inp: AlertInput, cls: int, new: list[Alert]) -> None:
        t, te = inp.t_s, inp.t_s + inp.dt_s
        if cls != GAP:
            if self.gap_start_t_s is not None and self.gap_reports > 0:
                msg = _STATUS_MESSAGE[Status.DATA_BACK]
                new.append(
                    self.alert(
                        AlertKind.STATUS,
                        t,
                        self.gap_start_t_s,
                        msg,
                        bout=False,
                        n=0,
                        status=Status.DATA_BACK,
                    )
                )
            self.gap_start_t_s, self.gap_status, self.gap_reports = None, None, 0
            return
        if self.gap_start_t_s is None:
            self.gap_start_t_s = t
        status = Status.NO_DATA if inp.data == DataState.NO_DATA else Status.SENSOR_OFF
        ready = self.gap_start_t_s + p.status_after_s
        if te >= ready - _EPS_S and status.value != self.gap_status:
            self.gap_reports += 1
            self.gap_status = status.value
            new.append(
                self.alert(
                    AlertKind.STATUS,
                    max(ready, t),
                    self.gap_start_t_s,
                    _STATUS_MESSAGE[status],
                    bout=False,
                    n=self.gap_reports,
                    status=status,
                )
            )

    # --- compression bout ------------------------------------------------------------
    def new_bout(self, t: float) -> None:
        self.end_bout()
        self.bout_start_t_s = t

    def pause_bout(self, dt_s: float) -> None:
        """A gap step shorter than a break: the bout clock, the upright spell and the
        taken-break deadline move on by it (as analytics.streaming does)."""
        self.bout_delay_s += dt_s
        if self.relief_start_t_s is not None:
            self.relief_start_t_s += dt_s
        if self.taken_deadline_t_s is not None:
            self.taken_deadline_t_s += dt_s

    def end_bout(self) -> None:
        self.bout_start_t_s = None
        self.bout_delay_s = 0.0
        self.bout_level = self.bout_phase = self.acked_phase = 0
        self.taken_deadline_t_s = None
        self.relief_start_t_s = None
        self.relief_feedback = False

    def micro_break(self, p: AlertParams, t: float, new: list[Alert]) -> None:
        assert self.relief_start_t_s is not None
        up = t - self.relief_start_t_s
        if self.relief_feedback:
            msg = (
                f"Break too short ({_fmt(up)} up): the sitting clock keeps running. "
                f"Stand for at least {_fmt(p.break_s)}."
            )
            new.append(
                self.alert(
                    AlertKind.BREAK_TOO_SHORT,
                    t,
                    self.relief_start_t_s,
                    msg,
                    upright_s=up,
                    minutes_at_s=self.relief_start_t_s,
                )
            )
        self.relief_start_t_s = None
        self.relief_feedback = False

    def relief_step(self, p: AlertParams, inp: AlertInput, new: list[Alert]) -> None:
        start = self.bout_start_t_s
        if start is None:
            return
        t, te = inp.t_s, inp.t_s + inp.dt_s
        if self.relief_start_t_s is None:
            self.relief_start_t_s = t
            on_pedals = p.cyclist and inp.posture == Posture.RIDING_STANDING
            due = self.bout_phase > 0 or (
                t - start >= p.prompt_after_s - _EPS_S and prompts_allowed(p, t, inp.local_offset_s)
            )
            self.relief_feedback = due and not on_pedals
            if self.relief_feedback:
                msg = f"Break started: keep standing for {_fmt(p.stand_for_s)}."
                new.append(
                    self.alert(AlertKind.BREAK_STARTED, t, t, msg, stand_for_s=p.stand_for_s)
                )
        rs = self.relief_start_t_s
        if round((te - rs) / inp.dt_s) < _break_need(p.break_s, inp.dt_s):
            return
        done = rs + p.break_s
        if self.bout_phase == 0:
            self.natural += 1
        elif self.taken_deadline_t_s is not None and done <= self.taken_deadline_t_s + _EPS_S:
            self.taken += 1
        else:
            self.late += 1
            self.ignored += 1
        if self.relief_feedback:
            msg = f"Break complete: {_fmt(p.break_s)} upright. The sitting clock starts again."
            new.append(
                self.alert(
                    AlertKind.BREAK_COMPLETE,
                    done,
                    rs,
                    msg,
                    upright_s=p.break_s,
                    minutes_at_s=rs,
                )
            )
        self.end_bout()

    def stand_prompt(self, p: AlertParams, inp: AlertInput, new: list[Alert]) -> None:
        start = self.bout_start_t_s
        assert start is not None
        if p.cyclist and inp.posture == Posture.RIDING_SEATED:
            return  # the saddle prompts cover riding
        t, te = inp.t_s, inp.t_s + inp.dt_s
        level = stand_level(p, te - start - self.bout_delay_s)
        if level <= self.bout_level:
            return
        phase = _phase(p, level)
        if phase == self.acked_phase:
            return
        at = self.earliest(start + self.bout_delay_s + stand_offset_s(p, level), t)
        if at > te + _EPS_S or not prompts_allowed(p, at, inp.local_offset_s):
            return
        if phase == 1:
            kind = AlertKind.PROMPT if self.bout_phase == 0 else AlertKind.REPEAT
        else:
            kind = AlertKind.ESCALATION if self.bout_phase < 2 else AlertKind.REPEAT
        if self.bout_phase > 0:
            self.ignored += 1  # the previous prompt passed without a break
        self.prompted += 1
        self.bout_level, self.bout_phase = level, phase
        self.taken_deadline_t_s = at + p.taken_within_s
        m, d = _minutes(at - start), _fmt(p.stand_for_s)
        msg = {
            AlertKind.PROMPT: f"You have been sitting for {m} min: stand up for {d}.",
            AlertKind.ESCALATION: f"Still sitting after {m} min: please stand up now for {d}.",
            AlertKind.REPEAT: f"Still sitting after {m} min: stand up for {d}.",
        }[kind]
        new.append(
            self.alert(kind, at, start, msg, n=level, level=level, stand_for_s=p.stand_for_s)
        )

    # --- hip flexion -----------------------------------------------------------------
    def hip_reset(self) -> None:
        self.hip_span_start_t_s = None
        self.hip_last_s = 0.0
        self.hip_level = 0
        self.hip_acked = False

    def hip_prompt(self, p: AlertParams, inp: AlertInput, new: list[Alert]) -> None:
        h = inp.hip_gt90_s
        if h <= 0 or h < self.hip_last_s - _EPS_S:
            self.hip_reset()  # not above, or a new span
        if h <= 0:
            return
        t, te = inp.t_s, inp.t_s + inp.dt_s
        if self.hip_span_start_t_s is None:
            self.hip_span_start_t_s = te - h
        self.hip_last_s = h
        level = _points(p.hip_prompt_after_s, p.repeat_every_s, h)
        if level <= self.hip_level or self.hip_acked:
            return
        span = self.hip_span_start_t_s
        due = span + p.hip_prompt_after_s + (level - 1) * p.repeat_every_s
        at = self.earliest(due, t)
        if at > te + _EPS_S or not prompts_allowed(p, at, inp.local_offset_s):
            return
        self.hip_level = level
        msg = (
            f"Hip bent past 90° for {_minutes(at - span)} min: sit more upright or raise the seat."
        )
        new.append(self.alert(AlertKind.POSTURE, at, span, msg, n=level, level=level))

    # --- saddle ----------------------------------------------------------------------
    def saddle_end(self) -> None:
        self.saddle_start_t_s = self.saddle_stand_t_s = None
        self.saddle_level = 0
        self.saddle_acked = False

    def saddle_track(self, p: AlertParams, inp: AlertInput) -> None:
        """Seated riding bouts as analytics.saddle: joined through short stands on the
        pedals, ended by a long stand or by anything that is not riding."""
        t, te = inp.t_s, inp.t_s + inp.dt_s
        riding_ok = inp.data == DataState.OK
        if riding_ok and inp.posture == Posture.RIDING_SEATED:
            if self.saddle_start_t_s is None:
                self.saddle_start_t_s = t
            self.saddle_stand_t_s = None
        elif (
            riding_ok
            and inp.posture == Posture.RIDING_STANDING
            and self.saddle_start_t_s is not None
        ):
            if self.saddle_stand_t_s is None:
                self.saddle_stand_t_s = t
            if te - self.saddle_stand_t_s >= p.saddle_stand_s - _EPS_S:
                self.saddle_end()
        else:
            self.saddle_end()

    def saddle_prompt(self, p: AlertParams, inp: AlertInput, new: list[Alert]) -> None:
        start = self.saddle_start_t_s
        assert start is not None
        t, te = inp.t_s, inp.t_s + inp.dt_s
        level = _points(p.saddle_prompt_after_s, p.repeat_every_s, te - start)
        if level <= self.saddle_level or self.saddle_acked:
            return
        due = start + p.saddle_prompt_after_s + (level - 1) * p.repeat_every_s
        at = self.earliest(due, t)
        if at > te + _EPS_S or not prompts_allowed(p, at, inp.local_offset_s):
            return
        self.saddle_level = level
        msg = (
            f"{_minutes(at - start)} min seated on the saddle: stand on the pedals or take a break."
        )
        new.append(self.alert(AlertKind.SADDLE, at, start, msg, n=level, level=level))

    # --- commands --------------------------------------------------------------------
    def command(self, p: AlertParams, cmd: Command | str, t: float) -> Alert:
        n = self.commands
        self.commands += 1
        text = cmd.strip() if isinstance(cmd, str) else str(cmd)
        parsed = parse_command(cmd) if isinstance(cmd, str) else cmd
        if isinstance(parsed, str):
            return self.reject(t, n, text, parsed)
        if parsed.kind == CommandKind.SNOOZE:
            return self.snooze(p, parsed, t, n, text)
        if parsed.kind == CommandKind.ACKNOWLEDGE:
            return self.acknowledge(t, n, text)
        return self.reject(t, n, text, f"unknown command kind {parsed.kind!r}")

    def reject(self, t: float, n: int, text: str, reason: str) -> Alert:
        msg = f"Command rejected: {reason}."
        return self.alert(AlertKind.REJECTED, t, t, msg, n=n, command=text)

    def snooze(self, p: AlertParams, cmd: Command, t: float, n: int, text: str) -> Alert:
        minutes = cmd.duration_min
        length = p.snooze_default_s if minutes is None else minutes * 60.0
        if not (math.isfinite(length) and length > 0):
            return self.reject(t, n, text, "snooze needs a positive number of minutes")
        if length > p.snooze_max_s + _EPS_S:
            return self.reject(t, n, text, f"a snooze lasts at most {_fmt(p.snooze_max_s)}")
        if self.snoozed >= p.snooze_daily_limit:
            reason = (
                f"the daily limit of {p.snooze_daily_limit} snoozes is used up "
                "(it resets at midnight)"
            )
            return self.reject(t, n, text, reason)
        self.snoozed += 1
        until = t + length
        if self.snoozed_until_t_s is None or self.snoozed_until_t_s < until:
            self.snoozed_until_t_s = until
        if self.bout_start_t_s is not None:
            self.bout_delay_s += length
            if self.taken_deadline_t_s is not None:
                self.taken_deadline_t_s += length
        msg = (
            f"Prompts snoozed for {_fmt(length)} ({self.snoozed} of {p.snooze_daily_limit} today)."
        )
        return self.alert(AlertKind.SNOOZED, t, t, msg, n=n, command=text)

    def acknowledge(self, t: float, n: int, text: str) -> Alert:
        stand = self.bout_start_t_s is not None and self.bout_phase > 0
        hip = self.hip_level > 0
        saddle = self.saddle_level > 0
        if not (stand or hip or saddle):
            return self.reject(t, n, text, "nothing to acknowledge: no prompt is active")
        if stand:
            self.acked_phase = self.bout_phase
        self.hip_acked = self.hip_acked or hip
        self.saddle_acked = self.saddle_acked or saddle
        if stand and self.bout_phase == 1:
            msg = "Acknowledged: no repeats until the prompt escalates."
        else:
            msg = "Acknowledged: no more repeats while this lasts."
        return self.alert(AlertKind.ACKNOWLEDGED, t, t, msg, n=n, command=text)


# --- public functions ----------------------------------------------------------------


def step(state: AlertState, params: AlertParams, inp: AlertInput) -> tuple[AlertState, list[Alert]]:
    """Consume one step. A step that starts before the end of the last one is ignored
    (a replay overlapping the saved state); a step that starts later than that end
    makes the missing time a gap (no data)."""
    w = _Work.of(state)
    out: list[Alert] = []
    w.consume(params, inp, out)
    return w.freeze(), out


def run(
    state: AlertState, params: AlertParams, inputs: Iterable[AlertInput]
) -> tuple[AlertState, list[Alert]]:
    """Consume a batch of steps: the same as :func:`step` on each, in order."""
    w = _Work.of(state)
    out: list[Alert] = []
    for inp in inputs:
        w.consume(params, inp, out)
    return w.freeze(), out


def pause(state: AlertState, gap_s: float) -> AlertState:
    """Move the policy over ``gap_s`` seconds of the service's own downtime (a restart
    shorter than a break) without a gap: the running bout, upright spell, hip and
    saddle spans and the taken-break deadline all move on by ``gap_s``, so their
    clocks keep the length they had. Snoozes keep their end time. See
    :func:`analytics.streaming.pause`."""
    if not (math.isfinite(gap_s) and gap_s >= 0):
        raise ValueError(f"gap_s must be a finite number >= 0, got {gap_s!r}")

    def later(t: float | None) -> float | None:
        return None if t is None else t + gap_s

    return dataclasses.replace(
        state,
        next_t_s=later(state.next_t_s),
        bout_start_t_s=later(state.bout_start_t_s),
        relief_start_t_s=later(state.relief_start_t_s),
        taken_deadline_t_s=later(state.taken_deadline_t_s),
        hip_span_start_t_s=later(state.hip_span_start_t_s),
        saddle_start_t_s=later(state.saddle_start_t_s),
        saddle_stand_t_s=later(state.saddle_stand_t_s),
        gap_start_t_s=later(state.gap_start_t_s),
    )


def apply_command(
    state: AlertState,
    params: AlertParams,
    command: Command | str,
    t_s: float,
    *,
    local_offset_s: float | None = None,
) -> tuple[AlertState, list[Alert]]:
    """Apply a snooze or an acknowledgement at ``t_s``; never raises: a bad command
    (unknown, bad or over-long snooze, over the daily limit, nothing to acknowledge,
    a non-finite time) gives one REJECTED alert and an unchanged policy.
    ``local_offset_s`` defaults to the last step's."""
    w = _Work.of(state)
    if not math.isfinite(t_s):
        t = w.next_t_s if w.next_t_s is not None else 0.0
        n = w.commands
        w.commands += 1
        text = command.strip() if isinstance(command, str) else str(command)
        return w.freeze(), [w.reject(t, n, text, f"the command time {t_s!r} is not finite")]
    if local_offset_s is not None and math.isfinite(local_offset_s):
        w.local_offset_s = local_offset_s
    w.roll_day(t_s)
    alert = w.command(params, command, t_s)
    return w.freeze(), [alert]
