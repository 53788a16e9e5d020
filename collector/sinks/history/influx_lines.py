"""History records as InfluxDB line protocol (pure: no I/O, no clock).

The schema (docs/influxdb.md has the full description and example queries):

===========  =========================  ==========================================  =========
measurement  tags                       fields                                      precision
===========  =========================  ==========================================  =========
timeline     user, device, sensor_kind  posture (int), hip_flexion_deg (float,      s
                                        absent when unknown), data (int)
event        user, source, kind         id (str), t_s (float), value (float),       us
                                        message (str), payload (JSON str)
bout         user                       end_s, seated_s, hip_gt90_s,                ms
                                        hip_dose_deg_min, gap_s (float),
                                        micro_breaks (int), ended_by (str)
daily        user                       date (str), compression_s, hip_gt90_s,      s
                                        saddle_s (float), bouts_over_30, prompted,
                                        taken, natural, late, snoozed, ignored (int)
pain         user, when                 score (int), note (str)                     s
ride         user                       end_s, riding_s, on_bike_s, seated_s,       s
                                        standing_s, longest_seated_bout_s,
                                        stands_per_hour, seated_hip_gt90_s (float,
                                        absent when unknown), stands (int),
                                        position_from, source (str)
===========  =========================  ==========================================  =========

Idempotency is InfluxDB's own rule: a point with the same measurement, tag set and
timestamp as a stored one replaces its fields. So every record maps to exactly one
timestamp derived from its natural key:

* timeline: the second; daily: local midnight (whole seconds); pain: the second of
  the report (a second report in the same second with the same ``when`` replaces
  the first);
* bout: the start, in milliseconds; ride: the start, whole seconds;
* event: the time rounded to the millisecond **plus** ``crc32(id) mod 1000``
  microseconds, so two different events of one kind in the same millisecond get
  different timestamps (while the same event always gets the same one). The exact
  time is kept in the ``t_s`` field.

Optional values that are None (or NaN) are left out of the line (InfluxDB has no
null). Tags never are: every point of a measurement carries the same tag keys, an
empty value written as ``unknown`` (:data:`UNKNOWN`, read back as ""), because
InfluxDB 3 fixes a table's tag set at its first write and Grafana's ``GROUP BY``
would otherwise split one device's series in two. Line breaks in ``message`` and
``note`` become spaces (:func:`one_line`).

Points are built with influxdb-client's :class:`~influxdb_client.Point` (its escaping
and number formatting). The per-second timeline is the bulk of the data, so
:func:`timeline_lines` formats the seconds of a chunk itself behind a prefix that a
Point built (measurement and escaped tags), with Point's float formatting;
:func:`timeline_points` is the plain Point version (a test checks they agree).
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterable, Iterator
from typing import Any, Final, Literal

from influxdb_client.client.write.point import Point as _Point
from influxdb_client.domain.write_precision import WritePrecision

from collector.sinks.history.model import (
    DAILY_COUNTS,
    DAILY_SECONDS,
    RIDE_OPTIONAL,
    BoutRecord,
    DailyRecord,
    EventRecord,
    HistoryRecord,
    PainReport,
    RideRecord,
    TimelineChunk,
)

Precision = Literal["s", "ms", "us"]

Point: Any = _Point
"""influxdb-client's Point (its methods are not typed: used as Any here)."""
PointT = Any

TIMELINE: Final = "timeline"
EVENT: Final = "event"
BOUT: Final = "bout"
DAILY: Final = "daily"
PAIN: Final = "pain"
RIDE: Final = "ride"

UNKNOWN: Final = "unknown"
"""The value of a tag whose value is not known (an empty text)."""

TAG_KEYS: Final[dict[str, tuple[str, ...]]] = {
    TIMELINE: ("device", "sensor_kind", "user"),
    EVENT: ("kind", "source", "user"),
    BOUT: ("user",),
    DAILY: ("user",),
    PAIN: ("user", "when"),
}
"""Every point of each measurement carries exactly these tags."""


def tag(value: str | None) -> str:
    """A tag's value as written: the text, or :data:`UNKNOWN` when empty."""
    return value or UNKNOWN


def untag(value: str | None) -> str:
    """A tag's value as read back: "" for :data:`UNKNOWN` (or an absent tag)."""
    return "" if value is None or value == UNKNOWN else value


V1_PRECISION: Final[dict[Precision, str]] = {"s": "s", "ms": "ms", "us": "u"}
"""The ``precision`` query parameter of InfluxDB 1.x ``/write`` (``u``: microseconds)."""

V2_PRECISION: Final[dict[Precision, str]] = {
    "s": WritePrecision.S,
    "ms": WritePrecision.MS,
    "us": WritePrecision.US,
}
"""influxdb-client's WritePrecision (``/api/v2/write?precision=…``)."""

PRECISION_OF: Final[dict[type, Precision]] = {
    TimelineChunk: "s",
    EventRecord: "us",
    BoutRecord: "ms",
    DailyRecord: "s",
    PainReport: "s",
    RideRecord: "s",
}


def event_time_us(record: EventRecord) -> int:
    """The event's InfluxDB timestamp in microseconds (see the module docstring)."""
    return round(record.t_s * 1000.0) * 1000 + zlib.crc32(record.id.encode("utf-8")) % 1000


def bout_time_ms(start_s: float) -> int:
    return round(start_s * 1000.0)


def whole_second(t_s: float) -> int:
    return math.floor(t_s)


def one_line(text: str | None) -> str | None:
    """Text for a string field: line breaks become spaces (InfluxDB 1.x takes them
    inside a quoted string, but other line-protocol readers split lines on them)."""
    if text is None:
        return None
    return " ".join(text.splitlines()) if ("\n" in text or "\r" in text) else text


def _opt_float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _timeline_head(chunk: TimelineChunk) -> PointT:
    return (
        Point(TIMELINE)
        .tag("user", tag(chunk.user))
        .tag("device", tag(chunk.device))
        .tag("sensor_kind", tag(chunk.sensor_kind))
    )


def timeline_points(chunk: TimelineChunk) -> list[PointT]:
    """One Point per second (the reference for :func:`timeline_lines`)."""
    out = []
    for i, (p, h, d) in enumerate(
        zip(
            chunk.posture.tolist(),
            chunk.hip_flexion_deg.tolist(),
            chunk.data.tolist(),
            strict=True,
        )
    ):
        point = _timeline_head(chunk).field("posture", int(p)).field("data", int(d))
        if math.isfinite(h):
            point.field("hip_flexion_deg", float(h))
        out.append(point.time(chunk.t0_s + i, WritePrecision.S))
    return out


def timeline_lines(chunk: TimelineChunk, start: int = 0, stop: int | None = None) -> list[str]:
    """Seconds ``[start, stop)`` of the chunk as lines (precision s), formatted like
    :class:`Point` does."""
    probe = "posture=0i"
    head = _timeline_head(chunk).field("posture", 0).to_line_protocol()
    prefix = head[: len(head) - len(probe)]  # "timeline,device=…,sensor_kind=…,user=… "
    isfinite = math.isfinite
    out: list[str] = []
    append = out.append
    t = chunk.t0_s + start
    part = slice(start, stop)
    # Point writes fields sorted by key: data, hip_flexion_deg, posture
    for p, h, d in zip(
        chunk.posture[part].tolist(),
        chunk.hip_flexion_deg[part].tolist(),
        chunk.data[part].tolist(),
        strict=True,
    ):
        if isfinite(h):
            s = str(h)
            if s.endswith(".0"):
                s = s[:-2]
            append(f"{prefix}data={d}i,hip_flexion_deg={s},posture={p}i {t}")
        else:
            append(f"{prefix}data={d}i,posture={p}i {t}")
        t += 1
    return out


def event_point(record: EventRecord) -> PointT:
    point = (
        Point(EVENT)
        .tag("user", tag(record.user))
        .tag("source", tag(record.source))
        .tag("kind", tag(record.kind))
        .field("id", record.id)
        .field("t_s", float(record.t_s))
        .field("value", _opt_float(record.value))
        .field("message", one_line(record.message))
    )
    if record.payload:
        point.field("payload", json.dumps(record.payload, sort_keys=True, separators=(",", ":")))
    return point.time(event_time_us(record), WritePrecision.US)


def bout_point(record: BoutRecord) -> PointT:
    return (
        Point(BOUT)
        .tag("user", tag(record.user))
        .field("end_s", float(record.end_s))
        .field("seated_s", float(record.seated_s))
        .field("micro_breaks", int(record.micro_breaks))
        .field("hip_gt90_s", float(record.hip_gt90_s))
        .field("hip_dose_deg_min", float(record.hip_dose_deg_min))
        .field("ended_by", record.ended_by)
        .field("gap_s", _opt_float(record.gap_s))
        .time(bout_time_ms(record.start_s), WritePrecision.MS)
    )


def daily_point(record: DailyRecord) -> PointT:
    point = Point(DAILY).tag("user", tag(record.user)).field("date", record.date)
    for name in DAILY_SECONDS:
        point.field(name, float(getattr(record, name)))
    for name in DAILY_COUNTS:
        point.field(name, int(getattr(record, name)))
    return point.time(whole_second(record.t_s), WritePrecision.S)


def pain_point(record: PainReport) -> PointT:
    return (
        Point(PAIN)
        .tag("user", tag(record.user))
        .tag("when", tag(record.when))
        .field("score", int(record.score))
        .field("note", one_line(record.note) or None)
        .time(whole_second(record.t_s), WritePrecision.S)
    )


def ride_point(record: RideRecord) -> PointT:
    point = (
        Point(RIDE)
        .tag("user", record.user)
        .field("end_s", float(record.end_s))
        .field("riding_s", float(record.riding_s))
        .field("on_bike_s", float(record.on_bike_s))
        .field("position_from", record.position_from)
        .field("source", one_line(record.source) or None)
    )
    for name in RIDE_OPTIONAL:
        value = getattr(record, name)
        if value is not None and math.isfinite(value):
            point.field(name, int(value) if name == "stands" else float(value))
    return point.time(whole_second(record.start_s), WritePrecision.S)


def record_points(record: HistoryRecord) -> list[PointT]:
    """The record as Points (one per timeline second)."""
    if isinstance(record, TimelineChunk):
        return timeline_points(record)
    if isinstance(record, EventRecord):
        return [event_point(record)]
    if isinstance(record, BoutRecord):
        return [bout_point(record)]
    if isinstance(record, DailyRecord):
        return [daily_point(record)]
    if isinstance(record, PainReport):
        return [pain_point(record)]
    if isinstance(record, RideRecord):
        return [ride_point(record)]
    raise TypeError(f"not a history record: {type(record).__name__}")


def record_lines(record: HistoryRecord) -> list[str]:
    """The record as lines of line protocol, in the precision :data:`PRECISION_OF` it."""
    if isinstance(record, TimelineChunk):
        return timeline_lines(record)
    return [p.to_line_protocol() for p in record_points(record)]


def line_batches(
    records: Iterable[HistoryRecord], max_lines: int
) -> Iterator[tuple[Precision, list[str]]]:
    """Lines in batches of at most ``max_lines`` of one precision (one write request
    each), yielded as soon as a batch is full: the caller can send one while the next
    is built. Inside a precision the order of the records is kept (and each record's
    key lives in exactly one precision)."""
    buffers: dict[Precision, list[str]] = {}
    for record in records:
        precision = PRECISION_OF[type(record)]
        buf = buffers.setdefault(precision, [])
        if isinstance(record, TimelineChunk):
            i = 0
            while i < record.n:
                room = max_lines - len(buf)
                buf.extend(timeline_lines(record, i, i + room))
                i += room
                if len(buf) >= max_lines:
                    yield precision, buf
                    buf = buffers[precision] = []
            continue
        buf.extend(record_lines(record))
        if len(buf) >= max_lines:
            yield precision, buf
            buffers[precision] = []
    for precision, buf in buffers.items():
        if buf:
            yield precision, buf


def to_lines(records: Iterable[HistoryRecord]) -> dict[Precision, list[str]]:
    """Lines grouped by precision (one write request each); the order of the records is
    kept inside each group (and each key lives in exactly one group)."""
    out: dict[Precision, list[str]] = {}
    for record in records:
        lines = record_lines(record)
        if lines:
            out.setdefault(PRECISION_OF[type(record)], []).extend(lines)
    return out
