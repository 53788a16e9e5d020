"""FIT ride files (Garmin, Wahoo, COROS, Hammerhead …) read with ``fitdecode``.

Why fitdecode (MIT, like sitload): it streams the file frame by frame (a 5-hour ride
is not held as message objects), and it survives the malformed field definitions
some watches write (a field whose size does not fit its type is read as bytes and
flagged), which Garmin's own ``garmin-fit-sdk`` would need its whole file decoded
for and ships under the FIT Protocol Licence rather than an open-source one.

:func:`read_fit` decodes only the messages a ride needs
(:mod:`collector.recordings.fit_reader`) and keeps — records (timestamp, speed, cadence,
power), timer and rider-position events, the session's totals — as
:class:`analytics.ride.RideRecords`. A malformed field is dropped and counted (the
message's other fields are kept); a truncated or structurally corrupt file is a
:class:`RecordingError` (one line, exit status 2 in the CLI).
"""

from __future__ import annotations

import math
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from analytics.ride import RideRecords, SessionTotals
from collector.extras import require
from collector.recordings.errors import RecordingError
from collector.recordings.sniff import is_fit_file

__all__ = ["LoadedRide", "read_fit"]

FIT_EPOCH_S: Final = 631_065_600
"""1989-12-31T00:00:00Z, the FIT epoch, in Unix seconds (for raw timestamps)."""
_TIMER_STOPS: Final = frozenset({"stop", "stop_all", "stop_disable", "stop_disable_all"})
_STANDING: Final = frozenset({"standing", "transition_to_standing"})
_SEATED: Final = frozenset({"seated", "transition_to_seated"})


@dataclass(frozen=True, slots=True)
class LoadedRide:
    """A ride as read, with the problems counted in it."""

    ride: RideRecords
    warnings: tuple[str, ...] = ()
    bad_fields: int = 0
    """Malformed field definitions in the file (their values are dropped)."""
    bad_messages: int = 0
    """Data messages read with a malformed field dropped."""
    dropped_records: int = 0
    """Record messages without a usable timestamp or out of time order."""


def _crc_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC_TABLE: Final = _crc_table()


def _crc16(data: bytes) -> int:
    """The FIT CRC (CRC-16/ARC), a byte at a time (fitdecode's, a nibble at a time in
    every chunk it reads, is the slower half of its decoding)."""
    crc, table = 0, _CRC_TABLE
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc


def checksums_match(data: bytes) -> bool:
    """Every FIT file in ``data`` (a file may chain several) ends with the CRC of its
    header and records. A chain that does not add up (truncated) is left to the
    decoder, which reports it."""
    at = 0
    while at + 12 <= len(data):
        header_size = data[at]
        (data_size,) = struct.unpack_from("<I", data, at + 4)
        end = at + header_size + data_size
        if end + 2 > len(data):
            return True
        if _crc16(data[at:end]) != struct.unpack_from("<H", data, end)[0]:
            return False
        at = end + 2
    return True


def _number(value: Any) -> float:
    """A decoded value as a float (NaN for missing, invalid or malformed bytes)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    v = float(value)
    return v if math.isfinite(v) else math.nan


def _unix_s(value: Any) -> float:
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    if isinstance(value, int) and not isinstance(value, bool):  # raw FIT seconds
        return float(value + FIT_EPOCH_S)
    return math.nan


class _Collector:
    """Accumulates the messages a ride needs, as they stream past."""

    def __init__(self) -> None:
        self.rec: list[tuple[float, float, float, float]] = []
        self.timer: list[tuple[float, bool]] = []
        self.position: list[tuple[float, bool]] = []
        self.session: SessionTotals | None = None
        self.sessions = 0
        self.last_t = math.nan
        self.dropped = 0

    def add(self, msg: Any) -> None:
        name = msg.name
        if name == "record":
            self._record(msg)
        elif name == "event":
            self._event(msg)
        elif name == "session":
            self._session(msg)

    def _value(self, msg: Any, name: str) -> Any:
        return msg.get_value(name, fallback=None, raw_value=False)

    def _time(self, msg: Any) -> float:
        t = _unix_s(self._value(msg, "timestamp"))
        if math.isfinite(t):
            self.last_t = t
        return t

    def _record(self, msg: Any) -> None:
        values = {f.name: f.value for f in msg.fields}  # one pass over the fields
        t = _unix_s(values.get("timestamp"))
        if math.isfinite(t):
            self.last_t = t
        if not math.isfinite(t) or (self.rec and t < self.rec[-1][0]):
            self.dropped += 1
            return
        speed = _number(values.get("enhanced_speed"))
        if math.isnan(speed):
            speed = _number(values.get("speed"))
        row = (t, speed, _number(values.get("cadence")), _number(values.get("power")))
        if self.rec and t == self.rec[-1][0]:  # a second record in the same second
            last = self.rec[-1]  # (written at a lap or a timer restart): merge them
            self.rec[-1] = (
                t,
                *(b if math.isnan(a) else a for a, b in zip(row[1:], last[1:], strict=True)),
            )  # type: ignore[assignment]
            return
        self.rec.append(row)

    def _event(self, msg: Any) -> None:
        t = self._time(msg)
        if not math.isfinite(t):
            return
        event, kind = self._value(msg, "event"), self._value(msg, "event_type")
        if event == "timer" and kind == "start":
            self.timer.append((t, True))
        elif event in ("timer", "session") and kind in _TIMER_STOPS:
            self.timer.append((t, False))
        elif event == "rider_position_change":
            pos = self._value(msg, "rider_position")
            if pos in _STANDING or pos in _SEATED:
                self.position.append((t, pos in _STANDING))

    def _session(self, msg: Any) -> None:
        self.sessions += 1
        count = _number(self._value(msg, "stand_count"))
        standing = _number(self._value(msg, "time_standing"))
        timer = _number(self._value(msg, "total_timer_time"))
        elapsed = _number(self._value(msg, "total_elapsed_time"))
        old = self.session or SessionTotals()

        def add(a: float | None, b: float) -> float | None:  # multisport: sum the sessions
            return b if a is None else (a if math.isnan(b) else a + b)

        def keep(x: float | None) -> float | None:
            return None if x is None or math.isnan(x) else x

        self.session = SessionTotals(
            total_timer_s=keep(add(old.total_timer_s, timer)),
            total_elapsed_s=keep(add(old.total_elapsed_s, elapsed)),
            time_standing_s=keep(add(old.time_standing_s, standing)),
            stand_count=None if math.isnan(count) else int(count) + (old.stand_count or 0),
            sport=old.sport or str(self._value(msg, "sport") or ""),
        )


def _events(pairs: list[tuple[float, bool]]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    pairs = sorted(pairs, key=lambda x: x[0])  # stable: same-second events keep order
    t = np.array([p[0] for p in pairs], dtype=np.float64)
    on = np.array([p[1] for p in pairs], dtype=np.bool_)
    return t, on


def read_fit(path: str | os.PathLike[str]) -> LoadedRide:
    """Read a FIT activity file. Raises :class:`RecordingError` for a file that is not
    FIT, is truncated or corrupt, or holds no ride records."""
    fitdecode = require("fitdecode", "reading FIT ride files")

    from collector.recordings.fit_reader import ride_reader

    p = Path(path)
    if p.is_dir():
        raise RecordingError(path, "this is a directory; name a FIT file")
    if not p.exists():
        raise RecordingError(path, "no such file; check the path")
    if not is_fit_file(p):
        raise RecordingError(path, "not a FIT file (no .FIT header); name a ride file")
    col = _Collector()
    bad_defs: set[int] = set()
    bad_fields = bad_messages = 0
    crc_bad = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with ride_reader(str(p)) as reader:
                for frame in reader:
                    # warnings raised while reading this frame
                    bad = sum("invalid field size" in str(w.message) for w in caught)
                    crc_bad = crc_bad or any("CRC" in str(w.message) for w in caught)
                    caught.clear()
                    if isinstance(frame, fitdecode.FitDefinitionMessage):
                        if bad:
                            bad_fields += bad
                            bad_defs.add(id(frame))
                        else:
                            bad_defs.discard(id(frame))
                    elif isinstance(frame, fitdecode.FitDataMessage):
                        if id(frame.def_mesg) in bad_defs:
                            bad_messages += 1
                        col.add(frame)
        except fitdecode.FitEOFError:
            raise RecordingError(
                path,
                "the file ends in the middle of a message: it is truncated (copied before "
                "the ride was saved?); copy it again from the bike computer",
            ) from None
        except (fitdecode.FitError, ValueError, struct.error, LookupError, TypeError) as exc:
            raise RecordingError(
                path, f"the FIT data is corrupt ({exc}); copy the file again from the device"
            ) from None
        crc_bad = crc_bad or any("CRC" in str(w.message) for w in caught)
    try:
        crc_bad = crc_bad or not checksums_match(p.read_bytes())
    except OSError as exc:
        raise RecordingError(path, f"cannot read the file: {exc.strerror}") from None
    if not col.rec:
        raise RecordingError(path, "the file holds no ride records (no record messages)")
    arr = np.array(col.rec, dtype=np.float64)
    timer_t, timer_on = _events(col.timer)
    pos_t, pos_standing = _events(col.position)
    ride = RideRecords(
        t_s=arr[:, 0],
        speed_mps=arr[:, 1],
        cadence_rpm=arr[:, 2],
        power_w=arr[:, 3],
        timer_t_s=timer_t,
        timer_on=timer_on,
        position_t_s=pos_t,
        position_standing=pos_standing,
        session=col.session or SessionTotals(),
        source=str(path),
    )
    notes: list[str] = []
    if bad_fields:
        notes.append(
            f"{bad_fields} malformed field definition(s) (a size that does not fit the "
            f"type): their values are dropped in {bad_messages} message(s), the rest is read"
        )
    if crc_bad:
        notes.append("the file's checksum does not match: it may be damaged; check the figures")
    if col.dropped:
        notes.append(f"{col.dropped} record(s) without a timestamp or going back in time dropped")
    if not col.timer:
        notes.append("no timer events: the whole recording is taken as riding")
    return LoadedRide(ride, tuple(notes), bad_fields, bad_messages, col.dropped)
