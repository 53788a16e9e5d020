"""fitdecode's reader, made to decode only the messages a ride needs.

fitdecode decodes every field of every data message in Python (most of a ride
file's time), and its default data processor then visits every field again.
:func:`ride_reader` returns a ``FitReader``

* **without a data processor**: timestamps stay raw FIT seconds (the caller adds
  the FIT epoch), which is all a ride needs; the processor's other work (datetime
  objects, booleans) is not needed;
* that **skips the fields of messages a ride does not use** (a Wahoo ELEMNT writes
  one proprietary message per record, for example): their bytes are read and
  counted as fitdecode reads them, the compressed-timestamp state is kept as
  fitdecode keeps it, and the message is yielded with no fields;
* that decodes only the **record fields a ride uses** (:data:`RECORD_FIELDS`: the
  position, altitude, heart rate, temperature … of every second are skipped);
* that reads each message's bytes at once, with unpackers made once per
  definition (fitdecode reads and makes them a field at a time).

The skips hook fitdecode's ``_read_data_message`` and
``_read_data_message_raw_values`` (private methods: the version is pinned in
pyproject.toml, and ``tests/collector/recordings/test_fit_reader.py`` checks on
every real ride that the skips change nothing a ride reads). Should the hooks not
fit a fitdecode version, every message is decoded as before.
"""

from __future__ import annotations

import struct
from typing import Any, Final

import fitdecode
from fitdecode import records, types

__all__ = ["DECODED", "RECORD_FIELDS", "ride_reader"]

DECODED: Final = frozenset(
    {
        0,  # file_id
        18,  # session
        20,  # record
        21,  # event
        206,  # field_description (developer fields)
        207,  # developer_data_id
    }
)
"""Global message numbers decoded in full; the others are skipped."""
_TIMESTAMP: Final = 253
_RECORD: Final = 20
RECORD_FIELDS: Final = frozenset({4, 6, 7, 8, 73, _TIMESTAMP})
"""The record fields decoded: cadence, speed, power, compressed_speed_distance (old
devices' speed), enhanced_speed and the timestamp; the others' bytes are skipped."""
_U32: Final = struct.Struct("<I")
_U32_BE: Final = struct.Struct(">I")
_INVALID_U32: Final = 0xFFFFFFFF
_BYTE_ID: Final = types.BASE_TYPE_BYTE.identifier


class _RideReader(fitdecode.FitReader):  # type: ignore[misc]
    """A FitReader that decodes :data:`DECODED` messages only, and reads each
    message's bytes at once (fitdecode reads them a field at a time)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, tuple[Any, int, list[tuple[int, Any, Any, int]]]] = {}
        self._trims: dict[int, tuple[Any, Any]] = {}

    def _plan(self, def_mesg: Any) -> tuple[int, list[tuple[int, Any, Any, int]]]:
        """Per definition: the message's size and each field's (offset, unpacker,
        base type, kind) — fitdecode's own unpackers, made once instead of per message."""
        known = self._plans.get(id(def_mesg))
        if known is not None and known[0] is def_mesg:
            return known[1], known[2]
        plan = []
        at = 0
        for fd in def_mesg.all_field_defs:
            bt = fd.base_type
            unpacker = struct.Struct(f"{def_mesg.endian}{int(fd.size / bt.size)}{bt.fmt}")
            kind = 0 if bt.identifier == _BYTE_ID else (1 if unpacker.size > bt.size else 2)
            plan.append((at, unpacker, bt, kind))
            at += unpacker.size
        self._plans[id(def_mesg)] = (def_mesg, at, plan)  # the object kept: ids stay unique
        return at, plan

    def _read_data_message_raw_values(self, def_mesg: Any) -> tuple[list[bytes], list[Any]]:
        size, plan = self._plan(def_mesg)
        chunk = self._read_bytes(size) if size > 0 else b""
        raw_values: list[Any] = []
        for at, unpacker, bt, kind in plan:
            raw = unpacker.unpack_from(chunk, at)
            if kind == 0:  # as fitdecode: bytes fields whole, arrays per value
                raw_values.append(bt.parse(raw))
            elif kind == 1 and len(raw) > 1:
                raw_values.append(tuple(bt.parse(v) for v in raw))
            else:
                raw_values.append(bt.parse(raw[0]))
        return [chunk], raw_values

    def _trimmed(self, def_mesg: Any) -> Any:
        """A record definition with only :data:`RECORD_FIELDS` (no developer fields),
        whose plan reads the whole message and unpacks those fields from it."""
        known = self._trims.get(id(def_mesg))
        if known is not None and known[0] is def_mesg:
            return known[1]
        size, plan = self._plan(def_mesg)
        keep = [
            (fd, step)
            for fd, step in zip(def_mesg.all_field_defs, plan, strict=True)
            if not fd.is_dev and fd.def_num in RECORD_FIELDS
        ]
        trimmed = records.FitDefinitionMessage(
            def_mesg.is_developer_data,
            def_mesg.local_mesg_num,
            def_mesg.time_offset,
            def_mesg.mesg_type,
            def_mesg.global_mesg_num,
            def_mesg.endian,
            [fd for fd, _step in keep],
            [],
            None,
        )
        self._plans[id(trimmed)] = (trimmed, size, [step for _fd, step in keep])
        self._trims[id(def_mesg)] = (def_mesg, trimmed)
        return trimmed

    def _read_data_message(self, header_chunk: bytes, record_header: Any) -> Any:
        local = record_header.local_mesg_num
        def_mesg = self._local_mesg_defs.get(local)
        if def_mesg is not None and def_mesg.global_mesg_num == _RECORD:
            self._local_mesg_defs[local] = self._trimmed(def_mesg)
            try:
                message = super()._read_data_message(header_chunk, record_header)
            finally:
                self._local_mesg_defs[local] = def_mesg
            message.def_mesg = def_mesg  # the file's definition (malformed fields counted)
            return message
        if def_mesg is None or def_mesg.global_mesg_num in DECODED:
            return super()._read_data_message(header_chunk, record_header)
        chunks = [header_chunk]
        size, plan = self._plan(def_mesg)
        stamp = None
        for fd, (at, unpacker, _bt, _kind) in zip(def_mesg.all_field_defs, plan, strict=True):
            if fd.def_num == _TIMESTAMP and not fd.is_dev and unpacker.size == 4:
                stamp = at
        body = self._read_bytes(size) if size > 0 else b""
        chunks.append(body)
        if stamp is not None:  # fitdecode keeps the last timestamp for compressed ones
            unpack = _U32_BE if def_mesg.endian == ">" else _U32
            (raw,) = unpack.unpack_from(body, stamp)
            if raw != _INVALID_U32:
                self._last_timestamp = raw
                self._compressed_ts_accumulator = raw
        if record_header.time_offset is not None:
            self._compressed_ts_accumulator = self._apply_compressed_accumulation(
                record_header.time_offset, self._compressed_ts_accumulator, 5
            )
        return records.FitDataMessage(
            record_header.is_developer_data,
            record_header.local_mesg_num,
            record_header.time_offset,
            def_mesg,
            [],
            self._keep_chunk(chunks),
        )


def _hook_fits() -> bool:
    """fitdecode still has what the skip relies on."""
    reader = fitdecode.FitReader
    return all(
        hasattr(reader, name)
        for name in (
            "_read_data_message",
            "_read_data_message_raw_values",
            "_read_bytes",
            "_apply_compressed_accumulation",
        )
    )


_HOOK: Final = _hook_fits()


def ride_reader(data: Any, *, skip: bool = True) -> Any:
    """A ``FitReader`` over ``data`` (a path or a binary file) without a data
    processor, CRC left to the caller, malformed fields as warnings; ``skip``:
    messages a ride does not use are not decoded."""
    cls = _RideReader if skip and _HOOK else fitdecode.FitReader
    return cls(
        data,
        processor=None,
        check_crc=fitdecode.CrcCheck.DISABLED,
        error_handling=fitdecode.ErrorHandling.WARN,
    )
