"""The sitload BLE sensor profile (docs/ble-profile.md): UUIDs and the small
configuration and haptic payloads. Pure constants and byte functions."""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import Final

from collector.ble.decoders import DecodeError

_BASE: Final = "b5d1e{:03x}-5174-4c0a-8f1e-7a11d0a5e000"
SERVICE_UUID: Final = _BASE.format(0x000)
IMU_UUID: Final = _BASE.format(0x001)
PRESSURE_UUID: Final = _BASE.format(0x002)
CONFIG_UUID: Final = _BASE.format(0x003)
HAPTIC_UUID: Final = _BASE.format(0x004)

BATTERY_SERVICE_UUID: Final = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL_UUID: Final = "00002a19-0000-1000-8000-00805f9b34fb"
CSC_SERVICE_UUID: Final = "00001816-0000-1000-8000-00805f9b34fb"
CSC_MEASUREMENT_UUID: Final = "00002a5b-0000-1000-8000-00805f9b34fb"
POWER_SERVICE_UUID: Final = "00001818-0000-1000-8000-00805f9b34fb"
POWER_MEASUREMENT_UUID: Final = "00002a63-0000-1000-8000-00805f9b34fb"
# WitMotion's base ends in 9a34fb, not the Bluetooth SIG's 9b34fb
WITMOTION_SERVICE_UUID: Final = "0000ffe5-0000-1000-8000-00805f9a34fb"
WITMOTION_NOTIFY_UUID: Final = "0000ffe4-0000-1000-8000-00805f9a34fb"
WITMOTION_WRITE_UUID: Final = "0000ffe9-0000-1000-8000-00805f9a34fb"


class Role(enum.IntEnum):
    THIGH = 0
    TRUNK = 1
    SEAT = 2


CONFIG: Final = struct.Struct("<HBBB")  # rate Hz, rows, columns, role


@dataclass(frozen=True, slots=True)
class SensorConfig:
    rate_hz: int
    rows: int = 0
    cols: int = 0
    role: Role = Role.THIGH

    def encode(self) -> bytes:
        return CONFIG.pack(self.rate_hz, self.rows, self.cols, int(self.role))

    @staticmethod
    def decode(data: bytes) -> SensorConfig:
        if len(data) != CONFIG.size:
            raise DecodeError(f"sitload config of {len(data)} bytes, expected {CONFIG.size}")
        rate, rows, cols, role = CONFIG.unpack(data)
        if not 1 <= rate <= 400:
            raise DecodeError(f"sitload config rate {rate} Hz is outside 1..400")
        try:
            return SensorConfig(rate, rows, cols, Role(role))
        except ValueError:
            raise DecodeError(f"sitload config role {role} is not 0, 1 or 2") from None


HAPTIC: Final = struct.Struct("<BH")  # pattern, duration ms


def haptic_command(pattern: int, duration_ms: int) -> bytes:
    """The haptic write: pattern 1 = one buzz, 2 = double, 3 = long; ≤ 5 s."""
    if not 1 <= pattern <= 3:
        raise ValueError(f"haptic pattern {pattern} is not 1, 2 or 3")
    if not 10 <= duration_ms <= 5000:
        raise ValueError(f"haptic duration {duration_ms} ms is outside 10..5000")
    return HAPTIC.pack(pattern, duration_ms)
