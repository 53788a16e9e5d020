"""Prompts felt on the leg (issue 18): the live service over the emulated radio
(bumble GATT) writes a distinct vibration per alert kind to the sitload IMU's haptic
characteristic, at the alert's second; none in quiet hours; failures counted."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from analytics.alert_params import AlertParams
from analytics.alert_records import Alert, AlertKind
from analytics.compression import ExposureParams
from analytics.live import LiveParams
from collector.ble import profile
from collector.ble.session import scaled_clock
from collector.ble.virtual.peripherals import SitloadImu
from collector.ble.virtual.rig import virtual_rig
from collector.config import Overrides, load_settings
from collector.service.runner import Service
from collector.sinks.haptic import HapticSink
from tests.analytics.signals import Part, build
from tests.collector.test_run_ble import SPEED, T0, RigPlan
from tests.collector.test_service_runner import MemorySink


class _Timed(list[bytes]):
    """The peripheral's received haptic writes, with the service clock at arrival."""

    def __init__(self, clock: Any) -> None:
        super().__init__()
        self.clock, self.at = clock, []

    def append(self, item: bytes) -> None:
        self.at.append(self.clock())
        super().append(item)


class _ClockedSink(MemorySink):
    """Keeps the service clock at which each alert was published."""

    def __init__(self, clock: Any) -> None:
        super().__init__()
        self.clock, self.raised_at = clock, {}

    def publish_alert(self, alert: Alert) -> None:
        self.raised_at[alert.id] = self.clock()
        super().publish_alert(alert)


def _run(state: Path, quiet_all_day: bool) -> tuple[_ClockedSink, _Timed, HapticSink]:
    parts = [Part("walk", 120), Part("stand", 60), Part("sit", 400), Part("stand", 180)]
    rec = build(parts, seed=3, t0_s=T0).recording
    s = load_settings(None, Overrides(state_dir=state))
    exposure = ExposureParams(milestones_min=(2.0, 4.0), repeat_every_min=0)
    alerts = AlertParams(  # prompts 2 min apart: spaced by 2 min, not the default 10
        prompt_after_s=120,
        escalate_after_s=240,
        repeat_every_s=0,
        prompt_gap_s=120,
        exposure=exposure,
    )
    s = dataclasses.replace(s, timezone="UTC", mqtt=None, alerts=alerts, exposure=exposure)
    clock = scaled_clock(T0, SPEED)  # one clock for both ends
    memory = _ClockedSink(clock)
    haptic = HapticSink(allowed=lambda _t: not quiet_all_day)
    holder: dict[str, _Timed] = {}

    async def go() -> None:
        rig = virtual_rig(rec, speed=SPEED)
        (imu,) = [sensor for sensor, _ in rig.sensors if isinstance(sensor, SitloadImu)]
        holder["got"] = imu.haptic = _Timed(clock)
        await Service(s, RigPlan(rig), [memory, haptic]).run(handle_signals=False)

    asyncio.run(go())
    return memory, holder["got"], haptic


def test_each_prompt_kind_buzzes_its_own_pattern_at_its_second(tmp_path: Path) -> None:
    memory, got, haptic = _run(tmp_path, quiet_all_day=False)
    buzzing = [a for a in memory.alerts if a.kind in haptic.patterns]
    assert [a.kind for a in buzzing] == [
        AlertKind.PROMPT,
        AlertKind.ESCALATION,
        AlertKind.BREAK_COMPLETE,
    ]
    want = [profile.haptic_command(1, 400), profile.haptic_command(2, 400)]
    want.append(profile.haptic_command(3, 800))
    assert list(got) == want
    # each buzz arrives after its alert was raised (a look-ahead after the alert's
    # second) and before the next buzzing alert: at the alert, not queued behind others
    live = LiveParams()
    raised = [memory.raised_at[a.id] for a in buzzing]
    for k, (alert, at) in enumerate(zip(buzzing, got.at, strict=True)):
        assert alert.t_s + live.lag_s <= raised[k] <= at, alert.kind
        assert k + 1 == len(raised) or at <= raised[k + 1], alert.kind
    assert haptic.counters.sent == 3
    assert haptic.counters.failed == 0


def test_no_buzz_in_quiet_hours(tmp_path: Path) -> None:
    memory, got, haptic = _run(tmp_path, quiet_all_day=True)
    assert any(a.kind is AlertKind.PROMPT for a in memory.alerts)
    assert list(got) == []
    assert haptic.counters.quiet == 3


class _Flaky:
    can_buzz = True

    def __init__(self, fail: int) -> None:
        self.fail, self.calls = fail, 0

    async def write_haptic(self, command: bytes, timeout_s: float = 3.0) -> bool:
        self.calls += 1
        return self.calls > self.fail


def test_a_failed_write_is_retried_once_and_counted() -> None:
    alert = Alert("a", AlertKind.PROMPT, 0.0, "stand up")

    async def go(target: _Flaky) -> HapticSink:
        sink = HapticSink(allowed=lambda _t: True)
        sink.attach([target, object()])
        sink.publish_alert(alert)
        await sink.stop()
        return sink

    once = asyncio.run(go(_Flaky(fail=1)))
    assert (once.counters.sent, once.counters.retried, once.counters.failed) == (1, 1, 0)
    never = asyncio.run(go(_Flaky(fail=5)))
    assert (never.counters.sent, never.counters.retried, never.counters.failed) == (0, 1, 1)
