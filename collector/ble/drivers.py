"""Sensor drivers: what to subscribe to on each kind of sensor, and how its
notifications become timestamped samples and explicit gaps.

A driver is created per connection session of one device and keeps the state
that spans notifications (sequence numbers, the sample clock, a WitMotion byte
stream, crank counters). :meth:`Driver.parse` is synchronous and does no I/O:
the BLE source calls it from its consumer task with the notification's arrival
time; :meth:`Driver.setup` does the few reads and writes a sensor needs after
connecting (configuration, output rate).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Final, Protocol

import numpy as np

from analytics.records import FloatArray
from collector.ble import decoders, profile
from collector.ble.timing import ArrivalClock, CounterClock, Placement, SequenceTracker
from collector.sources.messages import Gap, GapReason, Message, Role, SampleBlock


class SensorKind(enum.StrEnum):
    SITLOAD_IMU = "sitload-imu"
    SITLOAD_PRESSURE = "sitload-pressure"
    WITMOTION = "witmotion"
    CSC = "csc"
    CYCLING_POWER = "cycling-power"


ADVERTISED_SERVICE: Final[dict[SensorKind, str]] = {
    SensorKind.SITLOAD_IMU: profile.SERVICE_UUID,
    SensorKind.SITLOAD_PRESSURE: profile.SERVICE_UUID,
    SensorKind.WITMOTION: profile.WITMOTION_SERVICE_UUID,
    SensorKind.CSC: profile.CSC_SERVICE_UUID,
    SensorKind.CYCLING_POWER: profile.POWER_SERVICE_UUID,
}
"""The service UUID each kind advertises (used by ``sitload scan`` and discovery)."""

WITMOTION_RATE_CODES: Final[dict[int, int]] = {10: 0x06, 20: 0x07, 50: 0x08, 100: 0x09}


@dataclass
class DeviceCounters:
    """Per-device health counters, shown by ``sitload record`` and published as status."""

    packets: int = 0
    samples: int = 0
    lost_packets: int = 0
    lost_samples: int = 0
    decode_errors: int = 0
    dropped: int = 0  # notifications dropped because the consumer queue was full
    connects: int = 0
    reconnects: int = 0
    gaps: int = 0
    last_seen_t_s: float | None = None
    battery_pct: int | None = None

    def as_dict(self) -> dict[str, int | float | None]:
        return dataclasses.asdict(self)


class GattClient(Protocol):
    """The part of ``bleak.BleakClient`` that drivers use."""

    async def read_gatt_char(self, char_specifier: str) -> bytearray: ...

    async def write_gatt_char(self, char_specifier: str, data: bytes, response: bool) -> None: ...


@dataclass
class Driver:
    """Base driver: ``notify_uuids`` to subscribe, ``parse`` to turn a notification
    into messages (raises :class:`~collector.ble.decoders.DecodeError`)."""

    device: str
    counters: DeviceCounters
    role: Role = Role.THIGH
    rate_hz: float = 50.0
    after_reconnect: bool = False

    kind: SensorKind = field(init=False, default=SensorKind.SITLOAD_IMU)

    @property
    def notify_uuids(self) -> tuple[str, ...]:
        raise NotImplementedError

    @property
    def haptic_uuid(self) -> str | None:
        """The characteristic that takes a vibration command, if the device has one."""
        return None

    async def setup(self, client: GattClient) -> None:
        """Reads and writes after connecting (nothing by default)."""

    def reconnected(self) -> None:
        """A new link: the next samples follow a disconnection gap."""
        self.after_reconnect = True
        clock = getattr(self, "clock", None)  # the sample clock of counter / arrival drivers
        if clock is not None:
            clock.reset()

    def _placed(self, placement: Placement, **arrays: FloatArray | None) -> list[Message]:
        """The gap before a placed batch (if any), then its samples."""
        out = self._gap(placement)
        out.append(SampleBlock(self.device, self.kind, self.role, placement.t_s, **arrays))
        return out

    def parse(self, uuid: str, data: bytes, arrival_t_s: float) -> list[Message]:
        raise NotImplementedError

    def _gap(self, placement: Placement) -> list[Message]:
        if placement.gap_start_t_s is None or placement.gap_end_t_s is None:
            self.after_reconnect = False
            return []
        if self.after_reconnect:
            reason = GapReason.DISCONNECTED
        elif placement.restarted:
            reason = GapReason.DEVICE_RESTART
        elif placement.late:
            reason = GapReason.LATE
        else:
            reason = GapReason.LOST_PACKETS
        self.after_reconnect = False
        self.counters.gaps += 1
        self.counters.lost_samples += placement.lost_samples
        return [
            Gap(
                self.device,
                placement.gap_start_t_s,
                placement.gap_end_t_s,
                reason,
                placement.lost_samples or None,
            )
        ]


@dataclass
class SitloadImuDriver(Driver):
    """sitload profile IMU: times from the device's sample counter."""

    kind: SensorKind = field(init=False, default=SensorKind.SITLOAD_IMU)
    clock: CounterClock | None = None
    seq: SequenceTracker = field(default_factory=SequenceTracker)

    @property
    def notify_uuids(self) -> tuple[str, ...]:
        return (profile.IMU_UUID,)

    @property
    def haptic_uuid(self) -> str | None:
        return profile.HAPTIC_UUID

    async def setup(self, client: GattClient) -> None:
        config = profile.SensorConfig.decode(
            bytes(await client.read_gatt_char(profile.CONFIG_UUID))
        )
        self.rate_hz = float(config.rate_hz)
        if config.role is profile.Role.TRUNK:
            self.role = Role.TRUNK
        if self.clock is None or self.clock.rate_hz != self.rate_hz:
            self.clock = CounterClock(rate_hz=self.rate_hz)

    def parse(self, uuid: str, data: bytes, arrival_t_s: float) -> list[Message]:
        batch = decoders.decode_sitload_imu(data)
        assert batch.seq is not None
        assert batch.first_sample is not None
        if self.clock is None:
            self.clock = CounterClock(rate_hz=self.rate_hz)
        self.counters.lost_packets += self.seq.update(batch.seq)
        placement = self.clock.place(batch.first_sample, batch.n, arrival_t_s)
        return self._placed(placement, acc_g=batch.acc_g, gyro_dps=batch.gyro_dps)


@dataclass
class SitloadPressureDriver(Driver):
    """sitload profile seat mat: one frame per notification, timed by its counter."""

    kind: SensorKind = field(init=False, default=SensorKind.SITLOAD_PRESSURE)
    role: Role = Role.SEAT
    rate_hz: float = 10.0
    clock: CounterClock | None = None
    seq: SequenceTracker = field(default_factory=SequenceTracker)
    cells: int = 0

    @property
    def notify_uuids(self) -> tuple[str, ...]:
        return (profile.PRESSURE_UUID,)

    async def setup(self, client: GattClient) -> None:
        config = profile.SensorConfig.decode(
            bytes(await client.read_gatt_char(profile.CONFIG_UUID))
        )
        self.rate_hz = float(config.rate_hz)
        self.cells = config.rows * config.cols
        if self.clock is None or self.clock.rate_hz != self.rate_hz:
            self.clock = CounterClock(rate_hz=self.rate_hz)

    def parse(self, uuid: str, data: bytes, arrival_t_s: float) -> list[Message]:
        frame = decoders.decode_sitload_pressure(data)
        if self.cells and frame.cells.shape[0] != self.cells:
            raise decoders.DecodeError(
                f"pressure frame of {frame.cells.shape[0]} cells; the configuration "
                f"says {self.cells}"
            )
        if self.clock is None:
            self.clock = CounterClock(rate_hz=self.rate_hz)
        self.counters.lost_packets += self.seq.update(frame.seq)
        placement = self.clock.place(frame.sample, 1, arrival_t_s)
        return self._placed(placement, seat_p=frame.cells[None, :])


@dataclass
class WitMotionDriver(Driver):
    """WitMotion WT901BLE: a byte stream of ``55 61`` frames; no counter, so times
    come from arrivals at the configured rate (late arrivals mean lost frames)."""

    kind: SensorKind = field(init=False, default=SensorKind.WITMOTION)
    clock: ArrivalClock | None = None
    stream: decoders.WitMotionStream = field(default_factory=decoders.WitMotionStream)

    @property
    def notify_uuids(self) -> tuple[str, ...]:
        return (profile.WITMOTION_NOTIFY_UUID,)

    async def setup(self, client: GattClient) -> None:
        code = WITMOTION_RATE_CODES.get(int(self.rate_hz))
        if code is None:
            raise ValueError(
                f"WitMotion rate {self.rate_hz:g} Hz is not one of "
                f"{', '.join(map(str, WITMOTION_RATE_CODES))}"
            )
        await client.write_gatt_char(
            profile.WITMOTION_WRITE_UUID, decoders.witmotion_rate_command(code), response=True
        )
        self.stream = decoders.WitMotionStream()
        if self.clock is None:
            self.clock = ArrivalClock(rate_hz=self.rate_hz)

    def parse(self, uuid: str, data: bytes, arrival_t_s: float) -> list[Message]:
        skipped = self.stream.skipped_bytes
        batch = self.stream.feed(data)
        if self.stream.skipped_bytes > skipped:
            self.counters.decode_errors += 1
        if batch is None:
            return []
        if self.clock is None:
            self.clock = ArrivalClock(rate_hz=self.rate_hz)
        placement = self.clock.place(batch.n, arrival_t_s)
        return self._placed(placement, acc_g=batch.acc_g, gyro_dps=batch.gyro_dps)


@dataclass
class CrankDriver(Driver):
    """CSC or Cycling Power: one cadence (and power) sample per notification, at its
    arrival time; cadence from the wrapping crank counters."""

    kind: SensorKind = field(init=False, default=SensorKind.CSC)
    role: Role = Role.BIKE
    rate_hz: float = 1.0
    tracker: decoders.CadenceTracker = field(default_factory=decoders.CadenceTracker)
    last_t_s: float | None = None
    power: bool = False

    def __post_init__(self) -> None:
        if self.power:
            self.kind = SensorKind.CYCLING_POWER

    @property
    def notify_uuids(self) -> tuple[str, ...]:
        return (profile.POWER_MEASUREMENT_UUID if self.power else profile.CSC_MEASUREMENT_UUID,)

    def reconnected(self) -> None:
        super().reconnected()
        self.tracker = decoders.CadenceTracker()

    def parse(self, uuid: str, data: bytes, arrival_t_s: float) -> list[Message]:
        power_w: float | None = None
        if self.power:
            measurement = decoders.decode_cycling_power(data)
            crank = measurement.crank
            power_w = float(measurement.power_w)
        else:
            crank = decoders.decode_csc(data).crank
        elapsed = 1.0 if self.last_t_s is None else max(0.0, arrival_t_s - self.last_t_s)
        resets = self.tracker.resets
        cadence = self.tracker.update(crank, elapsed) if crank is not None else float("nan")
        if self.tracker.resets != resets:  # the sensor restarted its counters: no cadence
            self.counters.decode_errors += 1
        out: list[Message] = []
        t = arrival_t_s
        if self.last_t_s is not None:
            t = max(t, np.nextafter(self.last_t_s, np.inf))
            if self.after_reconnect:
                self.counters.gaps += 1
                out.append(Gap(self.device, self.last_t_s, t, GapReason.DISCONNECTED))
        self.after_reconnect = False
        self.last_t_s = t
        out.append(
            SampleBlock(
                self.device,
                self.kind,
                self.role,
                np.array([t]),
                cadence_rpm=np.array([cadence]),
                power_w=None if power_w is None else np.array([power_w]),
            )
        )
        return out


def make_driver(
    kind: SensorKind,
    device: str,
    counters: DeviceCounters,
    *,
    role: Role | None = None,
    rate_hz: float | None = None,
) -> Driver:
    """The driver for ``kind``; ``role`` and ``rate_hz`` override the defaults."""
    driver: Driver
    match kind:
        case SensorKind.SITLOAD_IMU:
            driver = SitloadImuDriver(device, counters)
        case SensorKind.SITLOAD_PRESSURE:
            driver = SitloadPressureDriver(device, counters)
        case SensorKind.WITMOTION:
            driver = WitMotionDriver(device, counters)
        case SensorKind.CSC:
            driver = CrankDriver(device, counters)
        case SensorKind.CYCLING_POWER:
            driver = CrankDriver(device, counters, power=True)
    if role is not None:
        driver.role = role
    if rate_hz is not None:
        driver.rate_hz = rate_hz
    return driver
