"""Snooze and acknowledge: accepted, rejected (never raised), parsed."""

from __future__ import annotations

import dataclasses

import pytest

from analytics.alert_commands import Command, CommandKind, apply_command, parse_command
from analytics.alert_params import AlertParams
from analytics.alert_records import (
    STAND_PROMPTS,
    AlertKind,
)
from analytics.alert_state import AlertState
from tests.analytics.alert_steps import T0, S, U, build, drive, local_t, of, rel


def test_snooze_delays_the_next_prompt_by_its_length() -> None:
    stt, alerts = drive(build([(S, 3600)]), commands={1800: ["snooze 15"]})
    assert rel(alerts) == [("prompt", 1800.0), ("snoozed", 1800.0), ("escalation", 3300.0)]
    assert alerts[1].message == "Prompts snoozed for 15 min (1 of 3 today)."
    assert alerts[1].command == "snooze 15"
    assert stt.snoozed == 1
    # a snooze before the first prompt moves it too
    _, alerts = drive(build([(S, 3000)]), commands={600: ["snooze 15"]})
    assert rel(of(alerts, *STAND_PROMPTS)) == [("prompt", 2700.0)]
    assert alerts[-1].message == "You have been sitting for 45 min: stand up for 2 min."


def test_snooze_extends_the_taken_window() -> None:
    # prompt at 30:00, snoozed 15 min: a break completed at 50:00 is still taken
    stt, _ = drive(build([(S, 2880), (U, 120)]), commands={1800: ["snooze 15"]})
    assert (stt.taken, stt.late, stt.ignored) == (1, 0, 0)


def test_the_fourth_snooze_of_a_day_is_rejected_and_the_limit_resets_at_midnight() -> None:
    p = AlertParams()
    stt, _ = drive(build([(S, 10)]), p)
    kinds = []
    for k in range(4):
        stt, out = apply_command(stt, p, "snooze 5", T0 + 10 + k)
        kinds += [a.kind for a in out]
    assert kinds == [AlertKind.SNOOZED] * 3 + [AlertKind.REJECTED]
    assert stt.snoozed == 3
    stt2, out = apply_command(stt, p, "snooze 5", T0 + 20)
    assert "daily limit of 3 snoozes" in out[0].message
    assert stt2.snoozed == 3
    midnight = local_t(2024, 1, 9, 0)
    stt3, out = apply_command(stt2, p, "snooze 5", midnight + 1)
    assert out[0].kind == AlertKind.SNOOZED
    assert stt3.snoozed == 1


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("dance", "unknown command"),
        ("", "empty command"),
        ("snooze -5", "positive number"),
        ("snooze 0", "positive number"),
        ("snooze nan", "positive number"),
        ("snooze inf", "positive number"),
        ("snooze abc", "not a number"),
        ("snooze 1000", "at most 120 min"),
        ("ack", "nothing to acknowledge"),
        (Command(CommandKind.SNOOZE, -1.0), "positive number"),
    ],
)
def test_bad_commands_are_rejected_never_raised(command: str | Command, reason: str) -> None:
    p = AlertParams()
    stt, _ = drive(build([(S, 100)]), p)
    after, out = apply_command(stt, p, command, T0 + 100)
    assert [a.kind for a in out] == [AlertKind.REJECTED]
    assert reason in out[0].message, out[0].message
    assert dataclasses.replace(after, commands=stt.commands) == stt


def test_a_non_finite_command_time_is_rejected() -> None:
    stt, out = apply_command(AlertState(), AlertParams(), "snooze 5", float("nan"))
    assert out[0].kind == AlertKind.REJECTED
    assert stt.snoozed == 0


def test_parse_command() -> None:
    assert parse_command("Snooze 15min") == Command(CommandKind.SNOOZE, 15.0)
    assert parse_command(" snooze ") == Command(CommandKind.SNOOZE)
    assert parse_command("acknowledge") == Command(CommandKind.ACKNOWLEDGE)
    assert isinstance(parse_command("ack now"), str)


def test_snooze_without_minutes_uses_the_default() -> None:
    _, alerts = drive(build([(S, 3700)]), commands={1800: ["snooze"]})
    assert rel(of(alerts, *STAND_PROMPTS)) == [("prompt", 1800.0), ("escalation", 3300.0)]


def test_acknowledge_stops_repeats_until_escalation() -> None:
    # prompt 30, repeat 35, escalation 40, repeats (prompts 5 min apart allowed)
    p = AlertParams(repeat_every_s=300.0, prompt_gap_s=300.0)
    _, plain = drive(build([(S, 3001)]), p)
    assert rel(plain) == [
        ("prompt", 1800.0),
        ("repeat", 2100.0),
        ("escalation", 2400.0),
        ("repeat", 2700.0),
        ("repeat", 3000.0),
    ]
    _, alerts = drive(build([(S, 3001)]), p, commands={1850: ["ack"]})
    assert rel(alerts) == [
        ("prompt", 1800.0),
        ("acknowledged", 1850.0),
        ("escalation", 2400.0),
        ("repeat", 2700.0),
        ("repeat", 3000.0),
    ]
    assert alerts[1].message == "Acknowledged: no repeats until the prompt escalates."
    # acknowledging the escalation silences the rest of the bout
    _, alerts = drive(build([(S, 5000)]), p, commands={2450: ["ack"]})
    assert rel(alerts)[-2:] == [("escalation", 2400.0), ("acknowledged", 2450.0)]


def test_default_acknowledge_after_escalation_stops_repeats() -> None:
    _, alerts = drive(build([(S, 4000)]), commands={2401: ["ack"]})
    assert [a.kind.value for a in alerts] == ["prompt", "escalation", "acknowledged"]
    # a new bout prompts again
    _, alerts = drive(build([(S, 2500), (U, 120), (S, 1800)]), commands={2401: ["ack"]})
    assert rel(of(alerts, *STAND_PROMPTS))[-1] == ("prompt", 2620.0 + 1800.0)
