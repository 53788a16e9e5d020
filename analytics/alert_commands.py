"""Commands from the person: ``snooze [minutes]`` and ``ack``.

:func:`apply_command` never raises: a bad command (unknown, a bad or over-long
snooze, over the daily limit, nothing to acknowledge, a non-finite time) gives one
REJECTED alert and leaves the policy as it was (only the command counter, which
numbers the alert ids, moves on). Definitions in ``docs/alerts.md``.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from analytics import alert_wording as wording
from analytics.adherence import SNOOZE_COUNTS
from analytics.alert_params import AlertParams
from analytics.alert_records import Alert, AlertKind
from analytics.alert_schedule import EPS_S
from analytics.alert_state import AlertState, AlertWork


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
    if not words:
        return wording.empty_command()
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
            return wording.snooze_not_a_number(rest[0])
    return wording.unknown_command(text)


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
    w = AlertWork.of(state)
    if not math.isfinite(t_s):
        t = w.next_t_s if w.next_t_s is not None else 0.0
        n = w.commands
        w.commands += 1
        text = command.strip() if isinstance(command, str) else str(command)
        return w.freeze(), [_reject(w, t, n, text, wording.time_not_finite(t_s))]
    if local_offset_s is not None and math.isfinite(local_offset_s):
        w.local_offset_s = local_offset_s
    w.roll_day(t_s)
    alert = _command(w, params, command, t_s)
    return w.freeze(), [alert]


def _command(w: AlertWork, p: AlertParams, cmd: Command | str, t: float) -> Alert:
    n = w.commands
    w.commands += 1
    text = cmd.strip() if isinstance(cmd, str) else str(cmd)
    parsed = parse_command(cmd) if isinstance(cmd, str) else cmd
    if isinstance(parsed, str):
        return _reject(w, t, n, text, parsed)
    if parsed.kind == CommandKind.SNOOZE:
        return _snooze(w, p, parsed, t, n, text)
    if parsed.kind == CommandKind.ACKNOWLEDGE:
        return _acknowledge(w, t, n, text)
    return _reject(w, t, n, text, wording.unknown_command_kind(parsed.kind))


def _reject(w: AlertWork, t: float, n: int, text: str, reason: str) -> Alert:
    return w.alert(AlertKind.REJECTED, t, t, wording.rejected(reason), n=n, command=text)


def _snooze(w: AlertWork, p: AlertParams, cmd: Command, t: float, n: int, text: str) -> Alert:
    """No prompts until ``t + length``; the running bout's stand-prompt schedule and
    the taken window of its last prompt move ``length`` later."""
    minutes = cmd.duration_min
    length = p.snooze_default_s if minutes is None else minutes * 60.0
    if not (math.isfinite(length) and length > 0):
        return _reject(w, t, n, text, wording.SNOOZE_NOT_POSITIVE)
    if length > p.snooze_max_s + EPS_S:
        return _reject(w, t, n, text, wording.snooze_too_long(p.snooze_max_s))
    if w.snoozed >= p.snooze_daily_limit:
        return _reject(w, t, n, text, wording.snooze_limit_used(p.snooze_daily_limit))
    w.count(SNOOZE_COUNTS)
    until = t + length
    if w.snoozed_until_t_s is None or w.snoozed_until_t_s < until:
        w.snoozed_until_t_s = until
    if w.bout_start_t_s is not None:
        w.bout_delay_s += length
        if w.taken_deadline_t_s is not None:
            w.taken_deadline_t_s += length
    msg = wording.snoozed(length, w.snoozed, p.snooze_daily_limit)
    return w.alert(AlertKind.SNOOZED, t, t, msg, n=n, command=text)


def _acknowledge(w: AlertWork, t: float, n: int, text: str) -> Alert:
    """Stop the repeats of what is prompting now: the stand prompt's current phase,
    the hip span's and the saddle bout's."""
    stand = w.bout_start_t_s is not None and w.bout_phase > 0
    hip = w.hip_level > 0
    saddle = w.saddle_level > 0
    if not (stand or hip or saddle):
        return _reject(w, t, n, text, wording.NOTHING_TO_ACKNOWLEDGE)
    if stand:
        w.acked_phase = w.bout_phase
    w.hip_acked = w.hip_acked or hip
    w.saddle_acked = w.saddle_acked or saddle
    msg = wording.acknowledged(until_escalation=stand and w.bout_phase == 1)
    return w.alert(AlertKind.ACKNOWLEDGED, t, t, msg, n=n, command=text)
