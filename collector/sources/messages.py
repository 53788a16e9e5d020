"""What every source (BLE, replay, simulator) hands downstream, on one path.

A source yields :data:`Message` values: blocks of timestamped samples, explicit
gaps (a gap is never bridged silently), and device status. Times are seconds on
the wall clock the source was given (Unix time for live sources).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from analytics.records import FloatArray


class Role(enum.StrEnum):
    """Where a sensor sits; decides the recording columns its samples fill."""

    THIGH = "thigh"
    TRUNK = "trunk"
    SEAT = "seat"
    BIKE = "bike"  # cadence / power


@dataclass(frozen=True, slots=True)
class SampleBlock:
    """Consecutive samples of one device: ``t_s`` strictly increasing, shape (n,).

    Exactly the arrays the device's role produces are set: ``acc_g`` (n, 3) and
    optionally ``gyro_dps`` (n, 3) for an IMU, ``seat_p`` (n, cells) for a mat,
    ``cadence_rpm`` (n,) (and ``power_w``) for a bike sensor.
    """

    device: str
    kind: str
    role: Role
    t_s: FloatArray
    acc_g: FloatArray | None = None
    gyro_dps: FloatArray | None = None
    seat_p: FloatArray | None = None
    cadence_rpm: FloatArray | None = None
    power_w: FloatArray | None = None

    @property
    def n(self) -> int:
        return int(self.t_s.shape[0])


class GapReason(enum.StrEnum):
    LOST_PACKETS = "lost-packets"  # sequence or sample counter jumped
    DISCONNECTED = "disconnected"  # the link dropped; reconnected later
    DEVICE_RESTART = "device-restart"  # the sample counter went back
    LATE = "late"  # no counter: samples arrived later than the rate allows
    QUEUE_FULL = "queue-full"  # the consumer fell behind and notifications were dropped


@dataclass(frozen=True, slots=True)
class Gap:
    """No samples from ``device`` between ``start_t_s`` (the last sample before)
    and ``end_t_s`` (the first sample after, or the time the source stopped)."""

    device: str
    start_t_s: float
    end_t_s: float
    reason: GapReason
    lost_samples: int | None = None

    @property
    def duration_s(self) -> float:
        return self.end_t_s - self.start_t_s


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """A change in a device's link or battery, at ``t_s``."""

    device: str
    t_s: float
    connected: bool
    battery_pct: int | None = None
    detail: str = ""


Message = SampleBlock | Gap | DeviceStatus
