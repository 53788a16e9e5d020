"""Fuzzing the BLE decoders: any bytes either decode or raise DecodeError.

Only :class:`DecodeError` is caught, so any other exception fails the test. Next
to arbitrary bytes, structured inputs (valid headers with random fields, every
flag combination, counts that disagree with the length) reach the deep branches
and check what was decoded against what was sent.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import struct
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.records import FloatArray
from collector.ble.decoders import (
    ACC_LSB_G,
    DECODERS,
    GYRO_LSB_DPS,
    WIT_FRAME_LEN,
    WIT_HEADER,
    WIT_MAX_BUFFER,
    CrankData,
    CscMeasurement,
    DecodeError,
    ImuBatch,
    PowerMeasurement,
    PressureFrame,
    WitMotionStream,
    decode_battery,
    decode_csc,
    decode_cycling_power,
    decode_sitload_imu,
    decode_sitload_pressure,
)
from collector.ble.profile import CONFIG, Role, SensorConfig

FUZZ = settings(max_examples=200, deadline=None)
STRUCTURED = settings(max_examples=100, deadline=None)


def assert_finite(value: object) -> None:
    """Every array and float in a decoded result (recursively) is finite."""
    if isinstance(value, np.ndarray):
        assert np.all(np.isfinite(value)), value
    elif isinstance(value, float):
        assert math.isfinite(value), value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            assert_finite(getattr(value, f.name))


def decode_or_reject(decode: Callable[[bytes], object], data: bytes) -> object | None:
    """The decoded value (checked finite), or None for a DecodeError."""
    try:
        out = decode(data)
    except DecodeError:
        return None
    assert_finite(out)
    return out


# --------------------------------------------------------------------------- arbitrary bytes


@pytest.mark.parametrize("kind", sorted(DECODERS))
@FUZZ
@given(data=st.binary(max_size=600))
def test_every_decoder_decodes_or_rejects_arbitrary_bytes(kind: str, data: bytes) -> None:
    decode_or_reject(DECODERS[kind], data)


@FUZZ
@given(data=st.binary(max_size=600))
def test_sensor_config_decodes_or_rejects_arbitrary_bytes(data: bytes) -> None:
    cfg = decode_or_reject(SensorConfig.decode, data)
    if cfg is not None:
        assert isinstance(cfg, SensorConfig)
        assert cfg.encode() == data


def check_stream(chunks: list[bytes]) -> list[FloatArray]:
    """Feeds the chunks and checks the stream's invariants after each; returns
    each batch as (n, 9) rows of acceleration, angular rate and angles."""
    s = WitMotionStream()
    fed = rows = 0
    batches: list[FloatArray] = []
    for chunk in chunks:
        out = s.feed(chunk)
        fed += len(chunk)
        assert len(s.buffer) <= WIT_MAX_BUFFER
        if out is not None:
            assert out.n >= 1
            assert out.acc_g.shape == (out.n, 3)
            assert out.gyro_dps is not None
            assert out.gyro_dps.shape == (out.n, 3)
            assert out.angles_deg is not None
            assert out.angles_deg.shape == (out.n, 3)
            assert_finite(out)
            assert np.all(np.abs(out.acc_g) <= 16.0)
            assert np.all(np.abs(out.gyro_dps) <= 2000.0)
            assert np.all(np.abs(out.angles_deg) <= 180.0)
            rows += out.n
            batches.append(np.hstack([out.acc_g, out.gyro_dps, out.angles_deg]))
        assert s.frames == rows
        # every byte fed is skipped, decoded in a frame, or waiting in the buffer
        assert s.skipped_bytes + WIT_FRAME_LEN * s.frames + len(s.buffer) == fed
    return batches


@FUZZ
@given(chunks=st.lists(st.binary(max_size=120), max_size=8))
def test_witmotion_stream_survives_arbitrary_chunks(chunks: list[bytes]) -> None:
    check_stream(chunks)


# --------------------------------------------------------------------------- WitMotion, structured

INT16 = st.integers(-32768, 32767)
wit_frames = st.lists(INT16, min_size=9, max_size=9).map(
    lambda v: WIT_HEADER + struct.pack("<9h", *v)
)
# junk made of the header's own bytes, so false and split headers are common
header_junk = st.lists(st.sampled_from([0x55, 0x61, 0x00, 0xFF]), max_size=25).map(bytes)


@st.composite
def split(draw: st.DrawFn, pieces: st.SearchStrategy[list[bytes]]) -> list[bytes]:
    """The concatenated pieces, cut at random points into notifications."""
    data = b"".join(draw(pieces))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=10)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@FUZZ
@given(chunks=split(st.lists(st.one_of(wit_frames, header_junk), max_size=12)))
def test_witmotion_stream_survives_frames_mixed_with_header_bytes(chunks: list[bytes]) -> None:
    check_stream(chunks)


@STRUCTURED
@given(
    frames=st.lists(st.lists(INT16, min_size=9, max_size=9), min_size=1, max_size=8),
    junk=st.lists(st.binary(max_size=12).filter(lambda b: 0x55 not in b), max_size=8),
    data=st.data(),
)
def test_witmotion_stream_recovers_every_frame_between_junk_without_0x55(
    frames: list[list[int]], junk: list[bytes], data: st.DataObject
) -> None:
    pieces = []
    for i, values in enumerate(frames):
        pieces.append(junk[i] if i < len(junk) else b"")
        pieces.append(WIT_HEADER + struct.pack("<9h", *values))
    batches = check_stream(data.draw(split(st.just(pieces))))
    got = np.vstack(batches)
    scale = np.array([16.0] * 3 + [2000.0] * 3 + [180.0] * 3) / 32768.0
    np.testing.assert_array_equal(got, np.asarray(frames, dtype=np.float64) * scale)


def test_witmotion_truncated_frame_is_dropped_not_misread() -> None:
    good = WIT_HEADER + struct.pack("<9h", 2048, 0, 0, 0, 0, 0, 0, 0, 0)
    out = WitMotionStream().feed(good[:9] + b"\x00\x01" + good + good)
    assert out is not None
    assert out.gyro_dps is not None
    np.testing.assert_array_equal(out.gyro_dps, np.zeros((2, 3)))  # two good frames
    # the same across notifications: a truncated frame, then a good one
    stream = WitMotionStream()
    assert stream.feed(good[:9]) is None
    later = stream.feed(good + good[:1])
    assert later is not None
    assert later.n == 1
    assert later.gyro_dps is not None
    np.testing.assert_array_equal(later.gyro_dps, np.zeros((1, 3)))


# --------------------------------------------------------------------------- sitload profile


@st.composite
def sized_body(draw: st.DrawFn, expected: int) -> bytes:
    """A body of the expected size, or one a few bytes off, or any size."""
    size = draw(
        st.one_of(
            st.just(expected),
            st.integers(max(expected - 13, 0), expected + 13),
            st.integers(0, 600),
        )
    )
    return draw(st.binary(min_size=size, max_size=size))


@STRUCTURED
@given(
    seq=st.integers(0, 0xFFFF),
    first=st.integers(0, 0xFFFF_FFFF),
    n=st.one_of(st.just(0), st.integers(1, 8), st.just(255), st.integers(0, 255)),
    flags=st.integers(0, 255),
    data=st.data(),
)
def test_sitload_imu_structured(
    seq: int, first: int, n: int, flags: int, data: st.DataObject
) -> None:
    per = 12 if flags & 0x01 else 6
    body = data.draw(sized_body(n * per))
    out = decode_or_reject(decode_sitload_imu, struct.pack("<HIBB", seq, first, n, flags) + body)
    assert (out is not None) == (n > 0 and len(body) == n * per)
    if out is None:
        return
    assert isinstance(out, ImuBatch)
    assert (out.seq, out.first_sample, out.n) == (seq, first, n)
    raw = np.frombuffer(body, dtype="<i2").reshape(n, per // 2).astype(np.float64)
    np.testing.assert_array_equal(out.acc_g, raw[:, :3] * ACC_LSB_G)
    if flags & 0x01:
        assert out.gyro_dps is not None
        np.testing.assert_array_equal(out.gyro_dps, raw[:, 3:] * GYRO_LSB_DPS)
    else:
        assert out.gyro_dps is None


@STRUCTURED
@given(
    seq=st.integers(0, 0xFFFF),
    sample=st.integers(0, 0xFFFF_FFFF),
    n=st.one_of(st.just(0), st.integers(1, 16), st.just(255), st.integers(0, 255)),
    data=st.data(),
)
def test_sitload_pressure_structured(seq: int, sample: int, n: int, data: st.DataObject) -> None:
    body = data.draw(sized_body(2 * n))
    out = decode_or_reject(decode_sitload_pressure, struct.pack("<HIB", seq, sample, n) + body)
    assert (out is not None) == (n > 0 and len(body) == 2 * n)
    if out is None:
        return
    assert isinstance(out, PressureFrame)
    assert (out.seq, out.sample) == (seq, sample)
    assert out.cells.tolist() == list(struct.unpack(f"<{n}H", body))


@STRUCTURED
@given(
    rate=st.one_of(st.integers(0, 401), st.integers(0, 0xFFFF)),
    rows=st.integers(0, 255),
    cols=st.integers(0, 255),
    role=st.one_of(st.integers(0, 3), st.integers(0, 255)),
)
def test_sensor_config_structured(rate: int, rows: int, cols: int, role: int) -> None:
    data = CONFIG.pack(rate, rows, cols, role)
    cfg = decode_or_reject(SensorConfig.decode, data)
    assert (cfg is not None) == (1 <= rate <= 400 and role in (0, 1, 2))
    if cfg is not None:
        assert cfg == SensorConfig(rate, rows, cols, Role(role))


# --------------------------------------------------------------------------- SIG cycling


def csc_size(flags: int) -> int:
    return 1 + (6 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)


def check_csc(flags: int, data: bytes, out: object) -> None:
    assert isinstance(out, CscMeasurement)
    pos = 1
    if flags & 0x01:
        assert (out.wheel_revolutions, out.wheel_event_time_1024) == struct.unpack_from(
            "<IH", data, pos
        )
        pos += 6
    else:
        assert out.wheel_revolutions is None
        assert out.wheel_event_time_1024 is None
    if flags & 0x02:
        assert out.crank == CrankData(*struct.unpack_from("<HH", data, pos))
    else:
        assert out.crank is None


def test_csc_every_flag_combination_at_every_length() -> None:
    rng = np.random.default_rng(0)
    for flags in range(256):
        for size in range(0, csc_size(flags) + 3):
            data = (bytes([flags]) + rng.bytes(16))[:size]
            out = decode_or_reject(decode_csc, data)
            assert (out is not None) == (size >= csc_size(flags)), (flags, size)
            if out is not None:
                check_csc(flags, data, out)


@STRUCTURED
@given(flags=st.integers(0, 255), body=st.binary(max_size=16))
def test_csc_structured(flags: int, body: bytes) -> None:
    data = bytes([flags]) + body
    out = decode_or_reject(decode_csc, data)
    assert (out is not None) == (len(data) >= csc_size(flags))
    if out is not None:
        check_csc(flags, data, out)


# Cycling Power Measurement optional fields by flag bit, in order (Bluetooth SIG)
CP_FIELD_SIZES = {0: 1, 2: 2, 4: 6, 5: 4, 6: 4, 7: 4, 8: 3, 9: 2, 10: 2, 11: 2}


def cp_offsets(flags: int) -> tuple[dict[int, int], int]:
    """Byte offset of each present field by bit, and the minimum length."""
    pos, where = 4, {}
    for bit, size in CP_FIELD_SIZES.items():
        if flags >> bit & 1:
            where[bit] = pos
            pos += size
    return where, pos


def check_power(flags: int, data: bytes, out: object) -> None:
    assert isinstance(out, PowerMeasurement)
    where, _ = cp_offsets(flags)
    assert out.power_w == struct.unpack_from("<h", data, 2)[0]
    if 0 in where:
        assert out.pedal_balance_pct == data[where[0]] / 2.0
    else:
        assert out.pedal_balance_pct is None
    if 5 in where:
        assert out.crank == CrankData(*struct.unpack_from("<HH", data, where[5]))
    else:
        assert out.crank is None
    if 11 in where:
        assert out.accumulated_energy_kj == struct.unpack_from("<H", data, where[11])[0]
    else:
        assert out.accumulated_energy_kj is None


def test_cycling_power_every_flag_combination_at_and_below_its_length() -> None:
    filler = bytes(range(7, 7 + 40))
    for flags in range(0x1_0000):
        _, size = cp_offsets(flags)
        data = (struct.pack("<Hh", flags, -1234) + filler)[:size]
        out = decode_or_reject(decode_cycling_power, data)
        assert out is not None, hex(flags)
        check_power(flags, data, out)
        assert decode_or_reject(decode_cycling_power, data[:-1]) is None, hex(flags)


@STRUCTURED
@given(
    flags=st.integers(0, 0xFFFF),
    power=st.integers(-32768, 32767),
    body=st.binary(max_size=40),
)
def test_cycling_power_structured(flags: int, power: int, body: bytes) -> None:
    data = struct.pack("<Hh", flags, power) + body
    out = decode_or_reject(decode_cycling_power, data)
    assert (out is not None) == (len(data) >= cp_offsets(flags)[1])
    if out is not None:
        check_power(flags, data, out)


def test_battery_every_byte_and_wrong_lengths() -> None:
    for level in range(256):
        out = decode_or_reject(decode_battery, bytes([level]))
        assert out == (level if level <= 100 else None)
    for data in (b"", b"\x10\x10", b"\x64" * 3):
        assert decode_or_reject(decode_battery, data) is None
