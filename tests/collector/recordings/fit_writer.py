"""A minimal FIT activity writer for tests: records (speed, cadence, power), timer and
rider-position events, and a session with ``time_standing`` / ``stand_count`` (what
no real fixture we may commit carries). Little-endian, one definition per message
type, as the FIT protocol describes; the CRC is fitdecode's own function."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fitdecode.utils import compute_crc

FIT_EPOCH_S = 631_065_600
_UINT8, _ENUM, _UINT16, _UINT32 = 0x02, 0x00, 0x84, 0x86

# (global number, [(field number, size, base type, struct code)])
_FILE_ID = (0, [(0, 1, _ENUM, "B")])
_RECORD = (20, [(253, 4, _UINT32, "I"), (6, 2, _UINT16, "H"), (4, 1, _UINT8, "B"),
                (7, 2, _UINT16, "H")])  # fmt: skip
_EVENT = (21, [(253, 4, _UINT32, "I"), (0, 1, _ENUM, "B"), (1, 1, _ENUM, "B"),
               (3, 4, _UINT32, "I")])  # fmt: skip
_SESSION = (18, [(253, 4, _UINT32, "I"), (2, 4, _UINT32, "I"), (7, 4, _UINT32, "I"),
                 (8, 4, _UINT32, "I"), (5, 1, _ENUM, "B"), (112, 4, _UINT32, "I"),
                 (113, 2, _UINT16, "H")])  # fmt: skip

TIMER, RIDER_POSITION = 0, 44
START, STOP_ALL, MARKER = 0, 4, 3
SEATED, STANDING = 0, 1
INVALID_U8, INVALID_U16, INVALID_U32 = 0xFF, 0xFFFF, 0xFFFFFFFF


@dataclass
class FitRide:
    """A ride to write; times are Unix seconds (whole)."""

    records: Sequence[tuple[int, float | None, int | None, int | None]] = ()
    """(t_s, speed m/s, cadence rpm, power W); None: field invalid."""
    events: Sequence[tuple[int, int, int, int]] = ()
    """(t_s, event, event type, data)."""
    total_timer_s: float | None = None
    time_standing_s: float | None = None
    stand_count: int | None = None
    extra: list[bytes] = field(default_factory=list)


def _definition(local: int, msg: tuple[int, list[tuple[int, int, int, str]]]) -> bytes:
    num, fields = msg
    out = struct.pack("<BBBHB", 0x40 | local, 0, 0, num, len(fields))
    return out + b"".join(struct.pack("<BBB", f, s, t) for f, s, t, _ in fields)


def _data(local: int, msg: tuple[int, list[tuple[int, int, int, str]]], *values: int) -> bytes:
    codes = "".join(code for *_rest, code in msg[1])
    return struct.pack("<B" + codes, local, *values)


def fit_bytes(ride: FitRide) -> bytes:
    body = bytearray()
    body += _definition(0, _FILE_ID) + _data(0, _FILE_ID, 4)  # activity file
    body += _definition(1, _RECORD) + _definition(2, _EVENT)
    items: list[tuple[int, int, bytes]] = []
    for t, speed, cad, power in ride.records:
        items.append(
            (
                t,
                1,
                _data(
                    1,
                    _RECORD,
                    t - FIT_EPOCH_S,
                    INVALID_U16 if speed is None else round(speed * 1000),
                    INVALID_U8 if cad is None else cad,
                    INVALID_U16 if power is None else power,
                ),
            )
        )
    for t, event, kind, data in ride.events:
        items.append((t, 0, _data(2, _EVENT, t - FIT_EPOCH_S, event, kind, data)))
    for _t, _order, b in sorted(items, key=lambda x: (x[0], x[1])):
        body += b
    body += bytes(b"".join(ride.extra))
    if ride.records:
        t_end = max(r[0] for r in ride.records) + 1
        t0 = min(r[0] for r in ride.records)

        def ms(x: float | None) -> int:
            return INVALID_U32 if x is None else round(x * 1000)

        body += _definition(3, _SESSION) + _data(
            3,
            _SESSION,
            t_end - FIT_EPOCH_S,
            t0 - FIT_EPOCH_S,
            (t_end - t0) * 1000,
            ms(ride.total_timer_s),
            2,  # cycling
            ms(ride.time_standing_s),
            INVALID_U16 if ride.stand_count is None else ride.stand_count,
        )
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", compute_crc(header))
    data = header + bytes(body)
    return data + struct.pack("<H", compute_crc(data))


def write_fit(path: Path, ride: FitRide) -> Path:
    path.write_bytes(fit_bytes(ride))
    return path


def steady_ride(
    t0_s: int, seconds: int, cadence: int = 85, speed_mps: float = 8.0
) -> list[tuple[int, float | None, int | None, int | None]]:
    """One record a second at a steady cadence, speed and 200 W."""
    return [(t0_s + i, speed_mps, cadence, 200) for i in range(seconds)]
