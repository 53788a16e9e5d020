"""What the alert policy remembers between steps: :class:`AlertState` (frozen, plain
values, saved as JSON across restarts) and :class:`AlertWork`, its mutable working
copy while a step or a batch of steps is consumed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from analytics.adherence import COUNTER_NAMES, AdherenceCounts
from analytics.alert_records import Adherence, Alert, AlertKind, Status
from analytics.alert_schedule import local_clock
from analytics.state_version import unversioned

STATE_VERSION = 1


def _adherence(s: AlertState | AlertWork) -> Adherence:
    return Adherence(
        day=s.day if s.day is not None else 0,
        prompted=s.prompted,
        taken=s.taken,
        natural=s.natural,
        late=s.late,
        snoozed=s.snoozed,
        ignored=s.ignored,
    )


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
    status_gap_t_s: float | None = None
    """Start of the gap whose "off" was reported and whose "back" is not yet."""
    back_from_t_s: float | None = None
    """Data flows again since then after a reported gap ("back" after ``back_after_s``)."""
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
    ride_end_t_s: float | None = None
    """Cyclist profile: end of the last riding step of the running ride (None: not
    on a ride)."""
    ride_stands: int = 0
    """Stands on the pedals (at least ``saddle_stand_s``) in the running or last ride."""
    commands: int = 0
    """Commands applied so far (numbers their alert ids)."""
    last_prompt_t_s: float | None = None
    """When the last prompt (stand, posture, saddle) was raised: the next one waits
    ``prompt_gap_s`` after it."""

    @property
    def adherence(self) -> Adherence:
        return _adherence(self)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["version"] = STATE_VERSION
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> AlertState:
        d = unversioned(d, STATE_VERSION, "alert")
        try:
            return AlertState(**d)
        except TypeError as exc:
            raise ValueError(f"the saved alert state is damaged ({exc}); delete it") from None


_STATE_FIELDS = tuple(f.name for f in dataclasses.fields(AlertState))


@dataclass(slots=True)
class AlertWork:
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
    status_gap_t_s: float | None
    back_from_t_s: float | None
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
    ride_end_t_s: float | None
    ride_stands: int
    commands: int
    last_prompt_t_s: float | None

    @staticmethod
    def of(st: AlertState) -> AlertWork:
        return AlertWork(**{name: getattr(st, name) for name in _STATE_FIELDS})

    def freeze(self) -> AlertState:
        return AlertState(**{name: getattr(self, name) for name in _STATE_FIELDS})

    def counters(self) -> Adherence:
        return _adherence(self)

    def count(self, c: AdherenceCounts) -> None:
        """Add what one event counts (:mod:`analytics.adherence`) to the day's
        counters."""
        for name in COUNTER_NAMES:
            setattr(self, name, getattr(self, name) + getattr(c, name))

    def roll_day(self, t_s: float) -> None:
        """Counters reset at local midnight (days only move forward)."""
        day, _wd, _sec = local_clock(t_s, self.local_offset_s)
        if self.day is None or day > self.day:
            self.day = day
            for name in COUNTER_NAMES:
                setattr(self, name, 0)

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
        saddle_minutes: float | None = None,
    ) -> Alert:
        start = self.bout_start_t_s if bout else None
        minutes = None
        if start is not None:
            minutes = ((t_s if minutes_at_s is None else minutes_at_s) - start) / 60.0
        return Alert(
            id=f"{kind.value}-{round(anchor_s * 1000.0)}-{n}",
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
            saddle_minutes=saddle_minutes,
        )

    def earliest(self, due_s: float, t_s: float, gap_s: float) -> float:
        """When a prompt due at ``due_s`` may be raised in a step starting at ``t_s``:
        not in a snooze, nor sooner than ``gap_s`` after the last prompt."""
        snooze = self.snoozed_until_t_s if self.snoozed_until_t_s is not None else t_s
        spaced = t_s if self.last_prompt_t_s is None else self.last_prompt_t_s + gap_s
        return max(due_s, t_s, snooze, spaced)
