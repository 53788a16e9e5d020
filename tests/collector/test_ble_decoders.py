"""Byte decoders of the BLE sensors, on hand-built and encoded packets."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.ble.decoders import (
    CadenceTracker,
    CrankData,
    DecodeError,
    WitMotionStream,
    decode_battery,
    decode_csc,
    decode_cycling_power,
    decode_sitload_imu,
    decode_sitload_pressure,
    decoder_for,
    encode_sitload_imu,
    encode_witmotion,
    witmotion_rate_command,
)


def test_sitload_imu_round_trip_with_and_without_gyro() -> None:
    acc = np.array([[0.0, 0.0, 1.0], [0.5, -0.25, 0.98]])
    gyro = np.array([[1.0, -2.0, 3.0], [100.0, 0.0, -50.0]])
    b = decode_sitload_imu(encode_sitload_imu(7, 1234, acc, gyro))
    assert (b.seq, b.first_sample, b.n) == (7, 1234, 2)
    np.testing.assert_allclose(b.acc_g, acc, atol=1 / 4096)
    assert b.gyro_dps is not None
    np.testing.assert_allclose(b.gyro_dps, gyro, atol=1 / 16.4)
    b2 = decode_sitload_imu(encode_sitload_imu(65535, 2**32 - 1, acc))
    assert b2.gyro_dps is None
    assert (b2.seq, b2.first_sample) == (65535, 2**32 - 1)


@pytest.mark.parametrize(
    "packet",
    [
        b"",
        b"\x01\x00",
        struct.pack("<HIBB", 1, 0, 2, 0) + b"\x00" * 11,
        struct.pack("<HIBB", 1, 0, 0, 0),
    ],
)
def test_sitload_imu_malformed(packet: bytes) -> None:
    with pytest.raises(DecodeError, match="sitload IMU"):
        decode_sitload_imu(packet)


def test_sitload_pressure() -> None:
    cells = [0, 100, 65535, 42]
    frame = decode_sitload_pressure(struct.pack("<HIB4H", 3, 99, 4, *cells))
    assert (frame.seq, frame.sample) == (3, 99)
    assert frame.cells.tolist() == cells
    with pytest.raises(DecodeError, match="pressure"):
        decode_sitload_pressure(struct.pack("<HIB3H", 3, 99, 4, 1, 2, 3))


def wit_frame(values: list[int]) -> bytes:
    return b"\x55\x61" + struct.pack("<9h", *values)


def test_witmotion_scaling_uses_the_documented_ranges() -> None:
    s = WitMotionStream()
    batch = s.feed(wit_frame([2048, 0, -2048, 16384, 0, 0, 0, 16384, -32768]))
    assert batch is not None
    np.testing.assert_allclose(batch.acc_g[0], [1.0, 0.0, -1.0])
    assert batch.gyro_dps is not None
    np.testing.assert_allclose(batch.gyro_dps[0], [1000.0, 0.0, 0.0])
    assert batch.angles_deg is not None
    np.testing.assert_allclose(batch.angles_deg[0], [0.0, 90.0, -180.0])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 6),
    junk=st.binary(max_size=7).filter(lambda b: b"\x55" not in b),
    cuts=st.lists(st.integers(1, 19), max_size=8),
)
def test_witmotion_stream_survives_any_split_and_leading_junk(
    n: int, junk: bytes, cuts: list[int]
) -> None:
    rng = np.random.default_rng(n)
    acc = rng.uniform(-2, 2, (n, 3))
    data = junk + encode_witmotion(
        acc, rng.uniform(-500, 500, (n, 3)), rng.uniform(-90, 90, (n, 3))
    )
    s = WitMotionStream()
    got = []
    pos = 0
    for c in [*cuts, len(data)]:
        part, pos = data[pos : pos + c], pos + c
        out = s.feed(part)
        if out is not None:
            got.append(out.acc_g)
        if pos >= len(data):
            break
    if pos < len(data):
        out = s.feed(data[pos:])
        if out is not None:
            got.append(out.acc_g)
    assert s.frames == n
    assert s.skipped_bytes == len(junk)
    np.testing.assert_allclose(np.vstack(got), acc, atol=16 / 32768)


def test_witmotion_resynchronises_after_garbage_inside_the_stream() -> None:
    s = WitMotionStream()
    good = wit_frame([2048, 0, 0, 0, 0, 0, 0, 0, 0])
    out = s.feed(good[:9] + b"\x00\x01" + good + good)
    assert out is not None
    assert s.frames == 2  # the broken first frame is dropped, not misread
    assert s.skipped_bytes > 0


def test_witmotion_rate_command() -> None:
    assert witmotion_rate_command(0x08) == bytes.fromhex("ffaa030800")
    with pytest.raises(ValueError, match="rate code"):
        witmotion_rate_command(0x20)


def test_csc_flags_and_fields() -> None:
    both = decode_csc(bytes([0x03]) + struct.pack("<IHHH", 1000, 500, 77, 2048))
    assert (both.wheel_revolutions, both.wheel_event_time_1024) == (1000, 500)
    assert both.crank == CrankData(77, 2048)
    crank_only = decode_csc(bytes([0x02]) + struct.pack("<HH", 5, 6))
    assert crank_only.wheel_revolutions is None
    assert crank_only.crank == CrankData(5, 6)
    with pytest.raises(DecodeError, match="CSC"):
        decode_csc(bytes([0x03]) + b"\x00" * 6)


def test_cycling_power_signed_power_and_optional_fields() -> None:
    flags = 0x0001 | 0x0004 | 0x0020 | 0x0800
    data = struct.pack("<Hh", flags, -25) + bytes([100]) + struct.pack("<H", 9)
    data += struct.pack("<HH", 300, 1024) + struct.pack("<H", 12)
    m = decode_cycling_power(data)
    assert m.power_w == -25
    assert m.pedal_balance_pct == 50.0
    assert m.crank == CrankData(300, 1024)
    assert m.accumulated_energy_kj == 12
    # a field before the crank data shifts it: wheel data (6 bytes) here
    data2 = struct.pack("<Hh", 0x0030, 250) + b"\x00" * 6 + struct.pack("<HH", 7, 8)
    assert decode_cycling_power(data2).crank == CrankData(7, 8)
    with pytest.raises(DecodeError, match="cycling power"):
        decode_cycling_power(struct.pack("<Hh", 0x0020, 250) + b"\x00\x00")


def test_cadence_from_wrapping_counters() -> None:
    c = CadenceTracker()
    c.update(CrankData(65534, 65000))
    # 2 revolutions in 1024 ticks (1 s) across both wraps: 120 rpm
    assert c.update(CrankData(0, (65000 + 1024) & 0xFFFF)) == pytest.approx(120.0)
    # no new crank event: cadence holds, then drops to 0 after 3 s
    assert c.update(CrankData(0, (65000 + 1024) & 0xFFFF)) == pytest.approx(120.0)
    c.update(CrankData(0, (65000 + 1024) & 0xFFFF))
    assert c.update(CrankData(0, (65000 + 1024) & 0xFFFF)) == 0.0


def test_battery_and_registry() -> None:
    assert decode_battery(b"\x57") == 87
    with pytest.raises(DecodeError, match="battery"):
        decode_battery(b"\x65")
    assert decoder_for("csc") is decode_csc
    with pytest.raises(ValueError, match="witmotion"):
        decoder_for("polar")


def test_profile_config_and_haptic() -> None:
    from collector.ble.profile import (
        IMU_UUID,
        SERVICE_UUID,
        WITMOTION_SERVICE_UUID,
        Role,
        SensorConfig,
        haptic_command,
    )

    cfg = SensorConfig(50, 8, 8, Role.SEAT)
    assert SensorConfig.decode(cfg.encode()) == cfg
    with pytest.raises(DecodeError, match="rate"):
        SensorConfig.decode(SensorConfig(0).encode())
    with pytest.raises(DecodeError, match="role"):
        SensorConfig.decode(struct.pack("<HBBB", 50, 0, 0, 9))
    assert haptic_command(2, 400) == bytes([2, 0x90, 0x01])
    with pytest.raises(ValueError, match="duration"):
        haptic_command(1, 60_000)
    assert SERVICE_UUID != IMU_UUID
    assert WITMOTION_SERVICE_UUID.endswith("9a34fb")


def test_a_crank_counter_reset_is_dropped_and_counted() -> None:
    """A sensor that restarts its counters (battery change, reset) sends a lower
    revolution count: the wrapped difference would be ~65,000 revolutions, tens of
    thousands of rpm. It is a reset, not pedalling: no cadence for that sample, counted,
    and the cadence resumes from the new counters."""
    c = CadenceTracker()
    c.update(CrankData(1000, 10_000))
    assert c.update(CrankData(1002, 11_024)) == pytest.approx(120.0)
    after_reset = c.update(CrankData(3, 11_024 + 1024))
    assert math.isnan(after_reset)
    assert c.resets == 1
    assert c.update(CrankData(5, 11_024 + 2048)) == pytest.approx(120.0)
    # the event time restarting too (a reset sensor's clock starts near 0)
    c.update(CrankData(2, 500))
    assert c.resets == 2
    # a genuine 16-bit wrap of both counters is still a cadence
    c = CadenceTracker()
    c.update(CrankData(65535, 65535))
    assert c.update(CrankData(1, 1023)) == pytest.approx(120.0)
    assert c.resets == 0


def test_the_csc_driver_sends_no_cadence_for_a_counter_reset_and_counts_it() -> None:
    from collector.ble.drivers import CrankDriver, DeviceCounters
    from collector.sources.messages import SampleBlock

    counters = DeviceCounters()
    driver = CrankDriver("bike", counters)

    def cadence(revs: int, t_1024: int, at_s: float) -> float:
        (block,) = driver.parse("csc", bytes([0x02]) + struct.pack("<HH", revs, t_1024), at_s)
        assert isinstance(block, SampleBlock)
        assert block.cadence_rpm is not None
        return float(block.cadence_rpm[0])

    cadence(1000, 10_000, 100.0)
    assert cadence(1002, 11_024, 101.0) == pytest.approx(120.0)
    assert math.isnan(cadence(3, 12_048, 102.0))  # the sensor restarted: 3.9 million rpm
    assert counters.decode_errors == 1
    assert cadence(5, 13_072, 103.0) == pytest.approx(120.0)
