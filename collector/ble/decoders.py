"""Pure byte decoders for the sensors sitload reads, in a registry keyed by kind.

No bleak here: a decoder turns the bytes of one notification (and its own small
state, for stream formats and wrapping counters) into samples. The BLE sources in
this package feed them; tests feed them bytes directly. Formats:

* ``sitload-imu`` / ``sitload-pressure``: the sitload DIY profile, docs/ble-profile.md;
* ``witmotion``: WitMotion WT901BLE / BWT901BLECL 20-byte ``55 61`` frames, which may
  be split across or packed into notifications (a byte stream that resynchronises);
* ``csc``: Bluetooth SIG Cycling Speed and Cadence Measurement (0x2A5B);
* ``cycling-power``: Bluetooth SIG Cycling Power Measurement (0x2A63);
* ``battery``: Battery Level (0x2A19).

Malformed input raises :class:`DecodeError` (the source counts it and drops the
packet); it never corrupts the decoder's state for the next packet.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from analytics.records import FloatArray


class DecodeError(ValueError):
    """A notification that cannot be decoded (counted and dropped by the source)."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class ImuBatch:
    """Accelerometer (and gyro) samples from one notification.

    ``seq`` is the packet sequence number (None when the format has none),
    ``first_sample`` the device's counter of the first sample (None when unknown).
    """

    acc_g: FloatArray  # (n, 3)
    gyro_dps: FloatArray | None = None  # (n, 3)
    seq: int | None = None
    first_sample: int | None = None
    angles_deg: FloatArray | None = None  # (n, 3) roll, pitch, yaw (WitMotion)

    @property
    def n(self) -> int:
        return int(self.acc_g.shape[0])


@dataclass(frozen=True, slots=True)
class PressureFrame:
    cells: FloatArray  # (n_cells,) counts
    seq: int
    sample: int


@dataclass(frozen=True, slots=True)
class CrankData:
    """Cumulative crank revolutions and the last crank event time (1/1024 s), both
    uint16 and wrapping, as sent; ``cadence_rpm`` is filled by :class:`CadenceTracker`."""

    revolutions: int
    event_time_1024: int


@dataclass(frozen=True, slots=True)
class CscMeasurement:
    wheel_revolutions: int | None
    wheel_event_time_1024: int | None
    crank: CrankData | None


@dataclass(frozen=True, slots=True)
class PowerMeasurement:
    power_w: int
    crank: CrankData | None
    pedal_balance_pct: float | None = None
    accumulated_energy_kj: int | None = None


# --------------------------------------------------------------------------- sitload profile

SITLOAD_IMU_HEADER: Final = struct.Struct("<HIBB")  # seq, first sample, n, flags
SITLOAD_PRESSURE_HEADER: Final = struct.Struct("<HIB")  # seq, sample, n cells
IMU_FLAG_GYRO: Final = 0x01
ACC_LSB_G: Final = 1.0 / 4096.0  # ±8 g in int16
GYRO_LSB_DPS: Final = 1.0 / 16.4  # ±2000 °/s in int16


def decode_sitload_imu(data: bytes) -> ImuBatch:
    """sitload IMU characteristic: header ``<HIBB`` (seq, first sample counter,
    sample count, flags) then per sample 3 × int16 accel (1/4096 g) and, with flag
    bit 0, 3 × int16 gyro (1/16.4 °/s)."""
    if len(data) < SITLOAD_IMU_HEADER.size:
        raise DecodeError(f"sitload IMU packet of {len(data)} bytes is shorter than its header")
    seq, first, n, flags = SITLOAD_IMU_HEADER.unpack_from(data)
    per = 12 if flags & IMU_FLAG_GYRO else 6
    expected = SITLOAD_IMU_HEADER.size + n * per
    if n == 0 or len(data) != expected:
        raise DecodeError(
            f"sitload IMU packet: {len(data)} bytes for {n} samples, expected {expected}"
        )
    raw = np.frombuffer(data, dtype="<i2", offset=SITLOAD_IMU_HEADER.size).reshape(n, per // 2)
    acc = raw[:, :3].astype(np.float64) * ACC_LSB_G
    gyro = raw[:, 3:6].astype(np.float64) * GYRO_LSB_DPS if per == 12 else None
    return ImuBatch(acc_g=acc, gyro_dps=gyro, seq=int(seq), first_sample=int(first))


def encode_sitload_imu(
    seq: int, first_sample: int, acc_g: FloatArray, gyro_dps: FloatArray | None = None
) -> bytes:
    """The inverse of :func:`decode_sitload_imu` (for the simulator and firmware tests)."""
    n = acc_g.shape[0]
    flags = IMU_FLAG_GYRO if gyro_dps is not None else 0
    acc = np.clip(np.rint(acc_g / ACC_LSB_G), -32768, 32767).astype("<i2")
    cols = [acc]
    if gyro_dps is not None:
        cols.append(np.clip(np.rint(gyro_dps / GYRO_LSB_DPS), -32768, 32767).astype("<i2"))
    body = np.hstack(cols).astype("<i2").tobytes()
    return SITLOAD_IMU_HEADER.pack(seq & 0xFFFF, first_sample & 0xFFFFFFFF, n, flags) + body


def decode_sitload_pressure(data: bytes) -> PressureFrame:
    """sitload pressure characteristic: header ``<HIB`` (seq, sample counter, cell
    count) then one uint16 per cell (raw counts)."""
    if len(data) < SITLOAD_PRESSURE_HEADER.size:
        raise DecodeError(
            f"sitload pressure packet of {len(data)} bytes is shorter than its header"
        )
    seq, sample, n = SITLOAD_PRESSURE_HEADER.unpack_from(data)
    expected = SITLOAD_PRESSURE_HEADER.size + 2 * n
    if n == 0 or len(data) != expected:
        raise DecodeError(
            f"sitload pressure packet: {len(data)} bytes for {n} cells, expected {expected}"
        )
    cells = np.frombuffer(data, dtype="<u2", offset=SITLOAD_PRESSURE_HEADER.size).astype(np.float64)
    return PressureFrame(cells=cells, seq=int(seq), sample=int(sample))


# --------------------------------------------------------------------------- WitMotion

WIT_HEADER: Final = b"\x55\x61"
WIT_FRAME_LEN: Final = 20
WIT_MAX_BUFFER: Final = 4 * WIT_FRAME_LEN


def witmotion_rate_command(rate_code: int) -> bytes:
    """The output-rate command ``FF AA 03 <code> 00`` (0x08 = 50 Hz; default 10 Hz)."""
    if not 0x01 <= rate_code <= 0x0D:
        raise ValueError(f"WitMotion rate code {rate_code:#x} is out of range 0x01..0x0d")
    return bytes((0xFF, 0xAA, 0x03, rate_code, 0x00))


@dataclass
class WitMotionStream:
    """Reassembles ``55 61`` frames from notifications that split or pack them.

    Bytes before a header are skipped (counted in ``skipped_bytes``); an incomplete
    frame waits for the next notification. Acceleration is in g (v/32768·16),
    angular rate in °/s (v/32768·2000), angles in degrees (v/32768·180): use the
    gravity vector, not the pitch, since a seated thigh sits on the ±90° pitch
    singularity.
    """

    buffer: bytearray = field(default_factory=bytearray)
    skipped_bytes: int = 0
    frames: int = 0

    def feed(self, data: bytes) -> ImuBatch | None:
        self.buffer.extend(data)
        rows: list[tuple[int, ...]] = []
        while True:
            start = self.buffer.find(WIT_HEADER)
            if start < 0:
                # keep a trailing 0x55: it may be the first half of a header
                keep = 1 if self.buffer[-1:] == b"\x55" else 0
                self.skipped_bytes += len(self.buffer) - keep
                del self.buffer[: len(self.buffer) - keep]
                break
            if start:
                self.skipped_bytes += start
                del self.buffer[:start]
            if len(self.buffer) < WIT_FRAME_LEN:
                break
            # no checksum: when the bytes after this frame do not start the next
            # frame and a header lies inside it, this was a truncated frame that ran
            # into the next one: skip to that header
            follow = bytes(self.buffer[WIT_FRAME_LEN : WIT_FRAME_LEN + 2])
            if follow and follow != WIT_HEADER[: len(follow)]:
                inner = self.buffer.find(WIT_HEADER, 1, WIT_FRAME_LEN + 1)
                if inner > 0:
                    self.skipped_bytes += inner
                    del self.buffer[:inner]
                    continue
            rows.append(struct.unpack_from("<9h", self.buffer, 2))
            del self.buffer[:WIT_FRAME_LEN]
            self.frames += 1
        if len(self.buffer) > WIT_MAX_BUFFER:  # never grows without bound
            self.skipped_bytes += len(self.buffer)
            self.buffer.clear()
        if not rows:
            return None
        v = np.asarray(rows, dtype=np.float64) / 32768.0
        return ImuBatch(
            acc_g=v[:, 0:3] * 16.0, gyro_dps=v[:, 3:6] * 2000.0, angles_deg=v[:, 6:9] * 180.0
        )


def encode_witmotion(acc_g: FloatArray, gyro_dps: FloatArray, angles_deg: FloatArray) -> bytes:
    """Frames for the given samples (for emulated sensors and tests)."""
    out = bytearray()
    for a, g, e in zip(acc_g, gyro_dps, angles_deg, strict=True):
        vals = np.concatenate((a / 16.0, g / 2000.0, e / 180.0)) * 32768.0
        ints = np.clip(np.rint(vals), -32768, 32767).astype(int).tolist()
        out += WIT_HEADER + struct.pack("<9h", *ints)
    return bytes(out)


# --------------------------------------------------------------------------- SIG cycling


def _need(data: bytes, size: int, what: str) -> None:
    if len(data) < size:
        raise DecodeError(f"{what}: {len(data)} bytes, the flags say at least {size}")


def decode_csc(data: bytes) -> CscMeasurement:
    """CSC Measurement (0x2A5B): flags bit 0 wheel data (uint32 revolutions, uint16
    event time), bit 1 crank data (uint16 revolutions, uint16 event time), 1/1024 s."""
    _need(data, 1, "CSC measurement")
    flags = data[0]
    pos = 1
    wheel_revs = wheel_time = None
    crank = None
    if flags & 0x01:
        _need(data, pos + 6, "CSC measurement")
        wheel_revs, wheel_time = struct.unpack_from("<IH", data, pos)
        pos += 6
    if flags & 0x02:
        _need(data, pos + 4, "CSC measurement")
        revs, t = struct.unpack_from("<HH", data, pos)
        crank = CrankData(revs, t)
        pos += 4
    return CscMeasurement(wheel_revs, wheel_time, crank)


# optional fields of the Cycling Power Measurement after flags and power, in order
_CP_FIELDS: Final = (
    (0x0001, 1),  # pedal power balance (uint8, 1/2 %)
    (0x0004, 2),  # accumulated torque
    (0x0010, 6),  # wheel revolution data (uint32 + uint16, 1/2048 s)
    (0x0020, 4),  # crank revolution data (uint16 + uint16, 1/1024 s)
    (0x0040, 4),  # extreme force magnitudes
    (0x0080, 4),  # extreme torque magnitudes
    (0x0100, 3),  # extreme angles
    (0x0200, 2),  # top dead spot angle
    (0x0400, 2),  # bottom dead spot angle
    (0x0800, 2),  # accumulated energy (kJ)
)


def decode_cycling_power(data: bytes) -> PowerMeasurement:
    """Cycling Power Measurement (0x2A63): uint16 flags, sint16 instantaneous power,
    then the optional fields the flags announce, in their fixed order."""
    _need(data, 4, "cycling power measurement")
    flags, power = struct.unpack_from("<Hh", data, 0)
    pos = 4
    balance = energy = None
    crank = None
    for bit, size in _CP_FIELDS:
        if not flags & bit:
            continue
        _need(data, pos + size, "cycling power measurement")
        if bit == 0x0001:
            balance = data[pos] / 2.0
        elif bit == 0x0020:
            revs, t = struct.unpack_from("<HH", data, pos)
            crank = CrankData(revs, t)
        elif bit == 0x0800:
            (energy,) = struct.unpack_from("<H", data, pos)
        pos += size
    return PowerMeasurement(power_w=power, crank=crank, pedal_balance_pct=balance,
                            accumulated_energy_kj=energy)  # fmt: skip


def decode_battery(data: bytes) -> int:
    """Battery Level (0x2A19): uint8 percent."""
    if len(data) != 1 or data[0] > 100:
        raise DecodeError(f"battery level {data.hex()} is not one byte of 0..100")
    return int(data[0])


@dataclass
class CadenceTracker:
    """Cadence from cumulative crank revolutions and crank event times (uint16,
    wrapping). A repeated event time means no new crank event: the cadence holds
    until ``stop_after_s`` of sensor time without one, then reads 0.

    A counter that went backwards (the sensor restarted: battery change, reset) wraps
    to tens of thousands of revolutions; a result above ``max_cadence_rpm`` (no one
    pedals faster; track sprinters peak near 250 rpm) is taken as such a reset: that
    sample has no cadence (NaN), it is counted in ``resets``, and the next one is
    measured from the new counters."""

    stop_after_s: float = 3.0
    max_cadence_rpm: float = 300.0
    last: CrankData | None = None
    cadence_rpm: float = 0.0
    idle_s: float = 0.0
    resets: int = 0

    def update(self, crank: CrankData, elapsed_s: float = 1.0) -> float:
        prev, self.last = self.last, crank
        if prev is None:
            return self.cadence_rpm
        d_revs = (crank.revolutions - prev.revolutions) & 0xFFFF
        d_time = (crank.event_time_1024 - prev.event_time_1024) & 0xFFFF
        if d_time == 0 or d_revs == 0:
            self.idle_s += elapsed_s
            if self.idle_s >= self.stop_after_s:
                self.cadence_rpm = 0.0
            return self.cadence_rpm
        cadence_rpm = d_revs * 60.0 * 1024.0 / d_time
        if cadence_rpm > self.max_cadence_rpm:
            self.resets += 1
            self.idle_s = 0.0
            self.cadence_rpm = 0.0
            return math.nan
        self.idle_s = 0.0
        self.cadence_rpm = cadence_rpm
        return self.cadence_rpm


# --------------------------------------------------------------------------- registry

Decoder = Callable[[bytes], object]

DECODERS: Final[dict[str, Decoder]] = {
    "sitload-imu": decode_sitload_imu,
    "sitload-pressure": decode_sitload_pressure,
    "csc": decode_csc,
    "cycling-power": decode_cycling_power,
    "battery": decode_battery,
}
"""Stateless decoders by sensor kind. WitMotion is a stream: use WitMotionStream."""


def decoder_for(kind: str) -> Decoder:
    try:
        return DECODERS[kind]
    except KeyError:
        known = ", ".join(sorted([*DECODERS, "witmotion"]))
        raise ValueError(f"unknown sensor kind {kind!r}; sitload reads {known}") from None
