"""How the spool stores a batch: the frame around it and the records as JSON.

A frame is ``b"SLB2"``, payload length (u32), points (u32), CRC-32 of the payload
(u32), CRC-32 of these first 16 header bytes (u32), all little-endian, then the
payload: the batch as JSON (:func:`encode_records`). Frames of the older ``b"SLB1"``
format (no header CRC) are read too. :func:`frame_at` checks a header and
:func:`next_frame` searches for the next one that checks (resync after damage).

Records round-trip exactly: arrays as base64 of their little-endian bytes (NaN and
its bits kept), floats as JSON numbers (repr: exact), ``NaN`` / ``Infinity`` in
event payloads as JSON's non-standard tokens that Python reads back.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Final

import numpy as np

from collector.sinks.history.model import (
    BoutRecord,
    DailyRecord,
    EventRecord,
    HistoryRecord,
    PainReport,
    RideRecord,
    TimelineChunk,
    points_of,
)

MAGIC: Final = b"SLB2"
MAGIC_V1: Final = b"SLB1"
HEADER: Final = struct.Struct("<4sIIII")
HEADER_V1: Final = struct.Struct("<4sIII")
HEADER_BYTES: Final = HEADER.size
MAX_FRAME_BYTES: Final = 1 << 30

_I8: Final = np.dtype("i1")
_F8: Final = np.dtype("<f8")


# --- records <-> JSON ----------------------------------------------------------------


def _b64(array: np.ndarray[Any, Any], dtype: np.dtype[Any]) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _unb64(text: str, dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    return np.frombuffer(base64.b64decode(text), dtype=dtype).copy()


_TYPE_OF: Final[dict[type, str]] = {
    EventRecord: "event",
    BoutRecord: "bout",
    DailyRecord: "daily",
    PainReport: "pain",
    RideRecord: "ride",
}
_FIELDS: Final = {kind: [f.name for f in fields(cls)] for cls, kind in _TYPE_OF.items()}
"""The JSON keys of each record type: its fields, in order."""


def record_to_json(record: HistoryRecord) -> dict[str, Any]:
    if isinstance(record, TimelineChunk):
        return {
            "type": "timeline",
            "user": record.user,
            "t0_s": int(record.t0_s),
            "posture": _b64(record.posture, _I8),
            "hip_flexion_deg": _b64(record.hip_flexion_deg, _F8),
            "data": _b64(record.data, _I8),
            "device": record.device,
            "sensor_kind": record.sensor_kind,
        }
    kind = _TYPE_OF.get(type(record))
    if kind is not None:
        return {"type": kind, **{name: getattr(record, name) for name in _FIELDS[kind]}}
    raise TypeError(f"not a history record: {type(record).__name__}")


def record_from_json(doc: dict[str, Any]) -> HistoryRecord:
    kind = doc.pop("type")
    if kind == "timeline":
        return TimelineChunk(
            doc["user"],
            int(doc["t0_s"]),
            _unb64(doc["posture"], _I8),
            _unb64(doc["hip_flexion_deg"], _F8).astype(np.float64, copy=False),
            _unb64(doc["data"], _I8),
            device=doc.get("device", ""),
            sensor_kind=doc.get("sensor_kind", ""),
        )
    if kind == "event":
        return EventRecord(**doc)
    if kind == "bout":
        return BoutRecord(**doc)
    if kind == "daily":
        return DailyRecord(**doc)
    if kind == "pain":
        return PainReport(**doc)
    if kind == "ride":
        return RideRecord(**doc)
    raise ValueError(f"unknown record type {kind!r}")


def _plain(value: Any) -> Any:
    """numpy scalars (in counts or payloads) as Python numbers for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def encode_records(records: Sequence[HistoryRecord]) -> bytes:
    return json.dumps(
        [record_to_json(r) for r in records], separators=(",", ":"), default=_plain
    ).encode("utf-8")


def decode_records(payload: bytes) -> list[HistoryRecord]:
    docs = json.loads(payload)
    if not isinstance(docs, list):
        raise ValueError("a spooled batch is not a list")
    return [record_from_json(d) for d in docs]


# --- frames ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Frame:
    """One spooled batch: where it is and how many points it holds."""

    seq: int
    offset: int
    length: int
    """Payload bytes."""
    points: int
    header_bytes: int = HEADER_BYTES
    """20 (``SLB2``) or 16 (``SLB1``)."""

    @property
    def end(self) -> int:
        return self.offset + self.header_bytes + self.length

    @property
    def size(self) -> int:
        return self.header_bytes + self.length


def frame_bytes(payload: bytes, points: int) -> bytes:
    """One ``SLB2`` frame: the header (with its own CRC) and the payload."""
    head = HEADER_V1.pack(MAGIC, len(payload), points, zlib.crc32(payload))
    return head + struct.pack("<I", zlib.crc32(head)) + payload


def frame_at(data: bytes, off: int, *, check_v1_payload: bool) -> tuple[int, int, int] | None:
    """(header bytes, payload length, points) of a whole frame whose header checks at
    ``off``, else None. A v1 header has no CRC of its own: when it is a resync
    candidate (``check_v1_payload``) its payload's CRC must match."""
    magic = data[off : off + 4]
    if magic == MAGIC and off + HEADER_BYTES <= len(data):
        _m, length, points, _crc, head_crc = HEADER.unpack_from(data, off)
        if zlib.crc32(data[off : off + 16]) != head_crc or length > MAX_FRAME_BYTES:
            return None
        if off + HEADER_BYTES + length > len(data):
            return None
        return HEADER_BYTES, length, points
    if magic == MAGIC_V1 and off + HEADER_V1.size <= len(data):
        _m, length, points, crc = HEADER_V1.unpack_from(data, off)
        start = off + HEADER_V1.size
        if length > MAX_FRAME_BYTES or start + length > len(data):
            return None
        if check_v1_payload and zlib.crc32(data[start : start + length]) != crc:
            return None
        return HEADER_V1.size, length, points
    return None


def next_frame(data: bytes, pos: int) -> int | None:
    """The offset of the next frame at or after ``pos`` whose header checks."""
    while pos < len(data):
        hits = [i for i in (data.find(MAGIC, pos), data.find(MAGIC_V1, pos)) if i >= 0]
        if not hits:
            return None
        i = min(hits)
        if frame_at(data, i, check_v1_payload=True) is not None:
            return i
        pos = i + 1
    return None


def points_in(region: bytes) -> int | None:
    """Points of the batch in skipped bytes (a frame whose header is damaged but whose
    payload still decodes), or None."""
    for header in (HEADER_BYTES, HEADER_V1.size):
        try:
            return sum(points_of(r) for r in decode_records(region[header:]))
        except (ValueError, KeyError, TypeError):
            continue
    return None


@dataclass(frozen=True, slots=True)
class Dropped:
    """Batches removed from the spool without being written."""

    batches: int
    points: int
    bytes: int
    why: str
    points_known: bool = True
    """False: damaged bytes whose batch could not be decoded (its points unknown)."""
