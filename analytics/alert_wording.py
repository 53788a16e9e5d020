"""The wording of every alert the policy raises: one catalogue, apart from the rules.

The rules (:mod:`analytics.alert_rules`, :mod:`analytics.alert_hip_saddle`,
:mod:`analytics.alert_commands`) decide *when* and *what* (a kind, a level, the
durations involved); the sentences the person reads are built here, from those
facts only. Change the wording here and nowhere else.
"""

from __future__ import annotations

import math

from analytics.alert_records import AlertKind, Status
from analytics.durations import format_min_s


def whole_minutes(duration_s: float) -> int:
    """Completed minutes of a duration (29:59 is 29)."""
    return math.floor(duration_s / 60.0 + 1e-9)


# --- stand prompts and break feedback ------------------------------------------------


def stand_prompt(kind: AlertKind, bout_s: float, stand_for_s: float) -> str:
    """A PROMPT, ESCALATION or REPEAT after ``bout_s`` of sitting."""
    m, d = whole_minutes(bout_s), format_min_s(stand_for_s)
    if kind == AlertKind.PROMPT:
        return f"You have been sitting for {m} min: stand up for {d}."
    if kind == AlertKind.ESCALATION:
        return f"Still sitting after {m} min: please stand up now for {d}."
    if kind == AlertKind.REPEAT:
        return f"Still sitting after {m} min: stand up for {d}."
    raise ValueError(f"{kind!r} is not a stand prompt")


def break_started(stand_for_s: float) -> str:
    return f"Break started: keep standing for {format_min_s(stand_for_s)}."


def break_complete(break_s: float) -> str:
    return f"Break complete: {format_min_s(break_s)} upright. The sitting clock starts again."


def break_too_short(upright_s: float, break_s: float) -> str:
    return (
        f"Break too short ({format_min_s(upright_s)} up): the sitting clock keeps running. "
        f"Stand for at least {format_min_s(break_s)}."
    )


# --- posture and saddle ---------------------------------------------------------------


def hip_posture(span_s: float) -> str:
    """Hip flexion past 90° for ``span_s`` while seated."""
    return f"Hip bent past 90° for {whole_minutes(span_s)} min: sit more upright or raise the seat."


def saddle(seated_s: float, stand_s: float) -> str:
    """``seated_s`` of continuous seated riding; standing on the pedals ``stand_s``
    ends the saddle bout."""
    return (
        f"{whole_minutes(seated_s)} min seated on the saddle: stand on the pedals for "
        f"{format_min_s(stand_s)} or take a break."
    )


def merged(messages: list[str]) -> str:
    """Several prompts due together, as one message (the first one leads)."""
    return " ".join(messages)


# --- sensor status --------------------------------------------------------------------

STATUS: dict[Status, str] = {
    Status.NO_DATA: "No data from the sensor: breaks cannot be checked.",
    Status.SENSOR_OFF: "Sensor off (not worn): breaks cannot be checked.",
    Status.BATTERY_LOW: "Sensor battery low: charge it soon.",
    Status.DATA_BACK: "Sensor data is back.",
}


# --- commands -------------------------------------------------------------------------

COMMAND_USAGE = "expected 'snooze [minutes]' or 'ack'"


def empty_command() -> str:
    return f"empty command; {COMMAND_USAGE}"


def unknown_command(text: str) -> str:
    return f"unknown command {text.strip()!r}; {COMMAND_USAGE}"


def snooze_not_a_number(word: str) -> str:
    return f"snooze length {word!r} is not a number of minutes"


SNOOZE_NOT_POSITIVE = "snooze needs a positive number of minutes"
NOTHING_TO_ACKNOWLEDGE = "nothing to acknowledge: no prompt is active"


def snooze_too_long(snooze_max_s: float) -> str:
    return f"a snooze lasts at most {format_min_s(snooze_max_s)}"


def snooze_limit_used(limit: int) -> str:
    return f"the daily limit of {limit} snoozes is used up (it resets at midnight)"


def time_not_finite(t_s: float) -> str:
    return f"the command time {t_s!r} is not finite"


def rejected(reason: str) -> str:
    return f"Command rejected: {reason}."


def snoozed(length_s: float, used: int, limit: int) -> str:
    return f"Prompts snoozed for {format_min_s(length_s)} ({used} of {limit} today)."


def acknowledged(until_escalation: bool) -> str:
    """``until_escalation``: the first prompt's repeats were stopped (the escalation
    still comes); otherwise every repeat of what is prompting now."""
    if until_escalation:
        return "Acknowledged: no repeats until the prompt escalates."
    return "Acknowledged: no more repeats while this lasts."


def unknown_command_kind(kind: object) -> str:
    return f"unknown command kind {kind!r}"


# --- the calibrate command's answers ------------------------------------------------------


def calibration_needs_no_mat() -> str:
    return "A seat mat needs no calibration."


def calibration_failed(reason: str) -> str:
    return f"Calibration failed: {reason}"


def calibrated_from(minutes: int) -> str:
    return f"Calibrated from the last {minutes} minutes of data."
