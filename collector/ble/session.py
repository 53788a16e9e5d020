"""What the ``scan`` and ``record`` commands run: scanning and a recording session
over several BLE sources (the virtual sensors of ``simulate --ble`` are in
:mod:`collector.ble.virtual.rig`: they need bumble, the ``[sim]`` extra).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bleak import BleakScanner
from bleak.exc import BleakError

from collector.ble.drivers import ADVERTISED_SERVICE, DeviceCounters, SensorKind
from collector.ble.source import BleContext, BleSource, DeviceSpec
from collector.recorder import Recorder
from collector.sources.messages import Role

_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f-]{36}$")


class SetupError(ValueError):
    """A device option or the Bluetooth setup is wrong; the message says what to do."""


def parse_device(text: str, index: int = 0) -> DeviceSpec:
    """``KIND[:ADDRESS|NAME][/ROLE]``, e.g. ``sitload-imu``, ``witmotion:WT901BLE68/trunk``,
    ``csc:C4:12:34:56:78:9A``. Without a selector the device is found by the service
    its kind advertises."""
    body, _, role_text = text.partition("/")
    kind_text, _, selector = body.partition(":")
    try:
        kind = SensorKind(kind_text)
    except ValueError:
        kinds = ", ".join(k.value for k in SensorKind)
        raise SetupError(
            f"--device {text!r}: unknown sensor kind {kind_text!r}; use one of {kinds}"
        ) from None
    role: Role | None = None
    if role_text:
        try:
            role = Role(role_text)
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise SetupError(
                f"--device {text!r}: unknown role {role_text!r}; use one of {roles}"
            ) from None
    address = selector if selector and _ADDRESS.match(selector) else None
    name = selector if selector and address is None else None
    label = (role or default_role(kind)).value
    if index:
        label = f"{label}{index + 1}"
    return DeviceSpec(label=label, kind=kind, address=address, name=name, role=role)


def default_role(kind: SensorKind) -> Role:
    return {
        SensorKind.SITLOAD_PRESSURE: Role.SEAT,
        SensorKind.CSC: Role.BIKE,
        SensorKind.CYCLING_POWER: Role.BIKE,
    }.get(kind, Role.THIGH)


def unique_labels(specs: list[DeviceSpec]) -> list[DeviceSpec]:
    seen: dict[str, int] = {}
    out = []
    for spec in specs:
        n = seen.get(spec.label, 0)
        seen[spec.label] = n + 1
        out.append(
            spec
            if n == 0
            else DeviceSpec(
                f"{spec.label}{n + 1}",
                spec.kind,
                spec.address,
                spec.name,
                spec.service_uuid,
                spec.role,
                spec.rate_hz,
            )
        )
    return out


# --------------------------------------------------------------------------- scan


@dataclass(frozen=True, slots=True)
class Found:
    kind: SensorKind
    address: str
    name: str
    rssi: int


async def scan(duration_s: float, scanner_kwargs: dict[str, Any] | None = None) -> list[Found]:
    """Sensors sitload can read that advertise within ``duration_s``, strongest first."""
    try:
        seen = await BleakScanner.discover(
            timeout=duration_s, return_adv=True, **(scanner_kwargs or {})
        )
    except (BleakError, OSError) as exc:
        raise SetupError(
            f"cannot scan: {exc}. Check that a Bluetooth adapter is present and BlueZ is "
            "running (systemctl status bluetooth); `sitload simulate --ble` needs neither"
        ) from exc
    service_kind: dict[str, SensorKind] = {}
    for kind, uuid in ADVERTISED_SERVICE.items():
        service_kind.setdefault(uuid, kind)
    out = []
    for device, adv in seen.values():
        for uuid in adv.service_uuids:
            found_kind = service_kind.get(uuid.lower())
            if found_kind is not None:
                out.append(
                    Found(found_kind, device.address, adv.local_name or device.name or "", adv.rssi)
                )
                break
    return sorted(out, key=lambda f: -f.rssi)


# --------------------------------------------------------------------------- record


async def check_adapter(ctx: BleContext) -> None:
    """Fail at once, in one line, when no Bluetooth adapter can be reached (a recording
    would otherwise retry forever and write nothing). Emulated radios pass."""
    if ctx.scanner_kwargs:
        return
    scanner = BleakScanner()
    try:
        await scanner.start()
        await scanner.stop()
    except (BleakError, OSError) as exc:
        raise SetupError(
            f"no Bluetooth adapter can be reached ({exc}); check that an adapter is "
            "present and BlueZ is running (systemctl status bluetooth); "
            "`sitload simulate --ble` works without one"
        ) from exc


Progress = Callable[[list[BleSource], Recorder], None]


async def record(
    specs: list[DeviceSpec],
    out: Path,
    *,
    ctx: BleContext,
    duration_s: float | None = None,
    progress: Progress | None = None,
    progress_every_s: float = 1.0,
    until: Awaitable[Any] | None = None,
) -> tuple[list[BleSource], Recorder]:
    """Record ``specs`` to ``out`` until ``duration_s`` of wall time, ``until``
    completes, or SIGINT / SIGTERM; always closes the recording cleanly."""
    roles = {s.role or default_role(s.kind) for s in specs}
    try:
        recorder = Recorder(out, roles)  # checks the roles; the file opens with the first row
    except ValueError as exc:
        raise SetupError(str(exc)) from exc
    await check_adapter(ctx)
    sources = [BleSource(spec, ctx, recorder.accept) for spec in specs]
    tasks = [asyncio.create_task(s.run(), name=s.spec.label) for s in sources]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.ensure_future(until) if until is not None else None
    started = time.monotonic()
    try:
        while not stop.is_set():
            if duration_s is not None and time.monotonic() - started >= duration_s:
                break
            if waiter is not None and waiter.done():
                break
            if any(t.done() for t in tasks):  # a source died: surface its error
                break
            if progress is not None:
                progress(sources, recorder)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), progress_every_s)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        for s in sources:
            await s.stop()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        if waiter is not None and not waiter.done():
            waiter.cancel()
        recorder.close({s.spec.label: s.counters.as_dict() for s in sources})
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return sources, recorder


def scaled_clock(t0_s: float, speed: float) -> Callable[[], float]:
    """A clock that starts at ``t0_s`` and runs ``speed`` times faster than real time."""
    m0 = time.monotonic()
    return lambda: t0_s + (time.monotonic() - m0) * speed


def counters_rows(sources: list[BleSource], now_t_s: float) -> list[tuple[str, ...]]:
    """One row per device for the progress display and the summary."""
    rows: list[tuple[str, ...]] = []
    for s in sources:
        c: DeviceCounters = s.counters
        age = "—" if c.last_seen_t_s is None else f"{max(0.0, now_t_s - c.last_seen_t_s):.0f} s"
        rows.append(
            (
                s.spec.label,
                str(s.spec.kind),
                "yes" if s.connected else "no",
                f"{c.samples:,}",
                f"{c.packets:,}",
                str(c.lost_packets),
                str(c.decode_errors),
                str(c.reconnects),
                "—" if c.battery_pct is None else f"{c.battery_pct} %",
                age,
            )
        )
    return rows


COUNTER_COLUMNS = (
    "device",
    "kind",
    "connected",
    "samples",
    "packets",
    "lost",
    "decode errors",
    "reconnects",
    "battery",
    "last seen",
)
