"""Per-second alert inputs for the alert-policy tests: build them, drive the policy
through them (with commands and a restart), and the hypothesis scenarios."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from analytics.alert_commands import apply_command
from analytics.alert_params import AlertParams, working_week
from analytics.alert_records import (
    Alert,
    AlertInput,
    AlertKind,
    DataState,
)
from analytics.alert_rules import step
from analytics.alert_state import AlertState
from analytics.compression import ExposureParams
from analytics.records import Posture

S, U, L = Posture.SITTING, Posture.UPRIGHT, Posture.LYING
RS, RU, NW = Posture.RIDING_SEATED, Posture.RIDING_STANDING, Posture.NONWEAR
MIN = 60.0


def local_t(y: int, mo: int, d: int, h: int, mi: int = 0, *, offset_h: float = 0.0) -> float:
    """Unix time of a local wall-clock time at a fixed UTC offset."""
    tz = timezone(timedelta(hours=offset_h))
    return datetime(y, mo, d, h, mi, tzinfo=tz).timestamp()


T0 = local_t(2024, 1, 8, 8)  # Monday 08:00 UTC


def build(
    parts: list[tuple[Posture, int] | tuple[Posture, int, dict[str, Any]]],
    t0: float = T0,
    offset_s: float = 0.0,
) -> list[AlertInput]:
    """Per-second inputs. Extras per part: ``data``, ``battery_low``, ``hip`` (hip above
    90° on those steps: the sustained time counts up over consecutive hip steps)."""
    out: list[AlertInput] = []
    t = t0
    hip_s = 0.0
    for part in parts:
        posture, n = part[0], part[1]
        extra: dict[str, Any] = part[2] if len(part) == 3 else {}
        for _ in range(n):
            hip = bool(extra.get("hip", False)) and posture in (S, RS)
            hip_s = hip_s + 1.0 if hip else 0.0
            out.append(
                AlertInput(
                    t_s=t,
                    posture=posture,
                    local_offset_s=offset_s,
                    data=extra.get("data", DataState.OK),
                    battery_low=bool(extra.get("battery_low", False)),
                    hip_gt90_s=hip_s,
                )
            )
            t += 1.0
    return out


def drive(
    inputs: list[AlertInput],
    params: AlertParams | None = None,
    commands: dict[int, list[str]] | None = None,
    state: AlertState | None = None,
    *,
    split: int | None = None,
) -> tuple[AlertState, list[Alert]]:
    """Step through the inputs; ``commands[i]`` are applied just before step i (at its
    time); at ``split`` the state goes through JSON."""
    p = params or AlertParams()
    stt = state or AlertState()
    alerts: list[Alert] = []
    for i, inp in enumerate(inputs):
        if i == split:
            stt = AlertState.from_dict(json.loads(json.dumps(stt.to_dict())))
        for text in (commands or {}).get(i, []):
            stt, out = apply_command(stt, p, text, inp.t_s, local_offset_s=inp.local_offset_s)
            alerts += out
        stt, out = step(stt, p, inp)
        alerts += out
    return stt, alerts


def of(alerts: list[Alert], *kinds: AlertKind) -> list[Alert]:
    return [a for a in alerts if a.kind in kinds]


def rel(alerts: list[Alert], t0: float = T0) -> list[tuple[str, float]]:
    return [(a.kind.value, a.t_s - t0) for a in alerts]


POSTURES = [S, S, S, U, U, L, RS, RU, NW]
LENGTHS = st.one_of(
    st.integers(1, 30),
    st.sampled_from([9, 10, 119, 120, 121, 300, 1799, 1800]),
    st.integers(30, 2500),
)
COMMANDS = ["snooze 15", "snooze", "snooze 5", "ack", "bogus", "snooze -1"]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[AlertInput], dict[int, list[str]]]:
    parts: list[tuple[Posture, int] | tuple[Posture, int, dict[str, Any]]] = []
    for _ in range(draw(st.integers(1, 14))):
        extra: dict[str, Any] = {
            "hip": draw(st.booleans()),
            "battery_low": draw(st.integers(0, 5)) == 0,
            "data": draw(st.sampled_from([DataState.OK] * 9 + [DataState.NO_DATA])),
        }
        parts.append((draw(st.sampled_from(POSTURES)), draw(LENGTHS), extra))
    offset_h = draw(st.sampled_from([0.0, 2.0, -5.0, 5.5]))
    inputs = build(parts, t0=T0 + draw(st.integers(0, 86400)), offset_s=offset_h * 3600)
    n_cmd = draw(st.integers(0, 6))
    commands: dict[int, list[str]] = {}
    for _ in range(n_cmd):
        i = draw(st.integers(0, len(inputs) - 1))
        commands.setdefault(i, []).append(draw(st.sampled_from(COMMANDS)))
    return inputs, commands


PARAMS = st.sampled_from(
    [
        AlertParams(),
        AlertParams(cyclist=True, repeat_every_s=300.0, quiet_hours_s=((20 * 3600, 8 * 3600),)),
        AlertParams(
            prompt_after_s=600.0,
            escalate_after_s=900.0,
            exposure=ExposureParams(break_s=30.0),
            working_hours_s=working_week(8 * 3600, 18 * 3600),
        ),
    ]
)
