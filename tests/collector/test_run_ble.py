"""The live service over Bluetooth LE: an emulated sitload IMU (bumble GATT over the
in-process radio) → bleak → BleSource → engine → alerts, no hand-made BleakClient."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

from analytics.alert_params import AlertParams
from analytics.alert_records import AlertKind
from analytics.compression import ExposureParams
from collector.ble.session import scaled_clock
from collector.ble.source import BleSource
from collector.ble.virtual.rig import VirtualRig, virtual_rig
from collector.config import Overrides, load_settings
from collector.service.plans import Emit, Source
from collector.service.runner import Service
from collector.sources.messages import Role
from tests.analytics.signals import Part, build
from tests.collector.test_service_runner import MemorySink

T0 = 1_795_420_800.0
SPEED = 40.0


class _Streamer:
    """Starts the emulated sensors, streams the recording, then stops the BLE sources
    (the end of the data)."""

    def __init__(self, rig: VirtualRig, sources: list[BleSource]) -> None:
        self.rig, self.sources = rig, sources

    async def run(self) -> None:
        await self.rig.start()
        await self.rig.stream()
        await asyncio.sleep(0.5)
        for s in self.sources:
            await s.stop()

    async def stop(self) -> None:
        for s in self.sources:
            await s.stop()


class RigPlan:
    def __init__(self, rig: VirtualRig) -> None:
        self.rig = rig

    def roles(self, extra: dict[str, Any]) -> set[Role]:
        return {Role.THIGH}

    def build(self, emit: Emit, resume_t_s: float | None, extra: dict[str, Any]) -> list[Source]:
        ctx = self.rig.context(scaled_clock(T0, SPEED))
        sources = [BleSource(spec, ctx, emit) for spec in self.rig.specs]
        return [*sources, _Streamer(self.rig, sources)]


def test_run_over_emulated_ble_sensors(tmp_path: Path) -> None:
    parts = [Part("walk", 120), Part("stand", 60), Part("sit", 400), Part("stand", 180)]
    rec = build(parts, seed=3, t0_s=T0).recording
    s = load_settings(None, Overrides(state_dir=tmp_path / "state"))
    # prompts 2 min apart: spaced by 2 min, not the default 10
    alerts = AlertParams(
        prompt_after_s=120, escalate_after_s=240, repeat_every_s=0, prompt_gap_s=120
    )
    s = dataclasses.replace(
        s,
        timezone="UTC",
        mqtt=None,
        alerts=alerts,
        exposure=ExposureParams(milestones_min=(2.0, 4.0), repeat_every_min=0),
    )
    sink = MemorySink()

    async def go() -> Any:
        rig = virtual_rig(rec, speed=SPEED)  # bumble objects need the running loop
        service = Service(s, RigPlan(rig), [sink])
        return await service.run(handle_signals=False)

    summary = asyncio.run(go())
    assert summary.stopped_by == "end of data"
    assert summary.samples >= rec.n * 0.99
    got = [(a.kind, a.bout_minutes) for a in sink.alerts]
    assert got[:4] == [
        (AlertKind.PROMPT, 2.0),
        (AlertKind.ESCALATION, 4.0),
        (AlertKind.BREAK_STARTED, got[2][1]),
        (AlertKind.BREAK_COMPLETE, got[3][1]),
    ]
    done = sink.alerts[3]
    assert done.upright_s == 120
    assert abs((done.bout_minutes or 0) - 400 / 60) < 0.2
