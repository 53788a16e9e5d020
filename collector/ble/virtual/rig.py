"""Virtual sensors on an in-process radio streaming a recording through the whole
BLE path (``simulate --ble`` and the tests). Needs bumble (the ``[sim]`` extra)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from analytics.records import Recording
from collector.ble import profile
from collector.ble.drivers import SensorKind
from collector.ble.source import BleContext, DeviceSpec
from collector.ble.virtual.backend import VirtualClient, VirtualScanner
from collector.ble.virtual.peripherals import SitloadImu, SitloadPressure
from collector.ble.virtual.radio import VirtualRadio
from collector.ble.virtual.sensor import VirtualSensor
from collector.sources.messages import Role


@dataclass
class VirtualRig:
    """Virtual sensors on an in-process radio streaming a recording, and the bleak
    arguments that reach them."""

    radio: VirtualRadio
    sensors: list[tuple[VirtualSensor, Callable[[], Awaitable[None]]]]
    specs: list[DeviceSpec]

    def context(self, clock: Callable[[], float]) -> BleContext:
        return BleContext(
            scanner_kwargs={"backend": VirtualScanner, "radio": self.radio},
            client_kwargs={"backend": VirtualClient},
            clock=clock,
            scan_timeout_s=2.0,
        )

    async def start(self) -> None:
        for sensor, _ in self.sensors:
            await sensor.start()

    async def stream(self) -> None:
        """Stream every sensor's samples once subscribed; returns when all are sent."""

        async def one(sensor: VirtualSensor, send: Callable[[], Awaitable[None]]) -> None:
            char = getattr(sensor, "imu", None) or getattr(sensor, "pressure", None)
            assert char is not None
            await sensor.wait_subscribed(char, timeout_s=30.0)
            await send()
            sensor.retire()

        await asyncio.gather(*(one(s, send) for s, send in self.sensors))
        await asyncio.sleep(0.2)


def virtual_rig(recording: Recording, *, speed: float) -> VirtualRig:
    """A sitload thigh IMU (and trunk IMU and seat mat when the recording has them)
    that will stream ``recording`` at ``speed``× real time. Sample gaps in the
    recording are not reproduced: the sensors stream their samples back to back."""
    radio = VirtualRadio()
    rate = round(1.0 / float(np.median(np.diff(recording.t_s)))) if recording.n > 1 else 50
    sensors: list[tuple[VirtualSensor, Callable[[], Awaitable[None]]]] = []
    specs: list[DeviceSpec] = []

    def imu(name: str, role: profile.Role, acc: np.ndarray, label: Role) -> None:
        keep = ~np.isnan(acc).any(axis=1)
        sensor = SitloadImu(radio, name, role=role, rate_hz=rate)
        sensors.append((sensor, lambda: sensor.stream(acc[keep], speed=speed)))
        specs.append(DeviceSpec(label.value, SensorKind.SITLOAD_IMU, name=name))

    if recording.thigh_acc_g is not None:
        imu("SL-THIGH", profile.Role.THIGH, recording.thigh_acc_g, Role.THIGH)
    if recording.trunk_acc_g is not None:
        imu("SL-TRUNK", profile.Role.TRUNK, recording.trunk_acc_g, Role.TRUNK)
    if recording.seat_p is not None:
        side = round(np.sqrt(recording.seat_p.shape[1]))
        mat = SitloadPressure(
            radio, "SL-SEAT", rows=side, cols=recording.seat_p.shape[1] // side, rate_hz=rate
        )
        step = max(1, rate // 10)
        cells = recording.seat_p[::step]
        cells = cells[~np.isnan(cells).any(axis=1)]
        mat.config = profile.SensorConfig(
            rate_hz=max(1, rate // step),
            rows=mat.config.rows,
            cols=mat.config.cols,
            role=profile.Role.SEAT,
        )
        sensors.append((mat, lambda: mat.stream(cells, speed=speed)))
        specs.append(DeviceSpec("seat", SensorKind.SITLOAD_PRESSURE, name="SL-SEAT"))
    return VirtualRig(radio, sensors, specs)
