"""What the history keeps, and the small protocol every history store implements.

Records are plain frozen dataclasses with the pseudonymous user id (never a name);
times are seconds since the Unix epoch (UTC). Every record has a natural key, so
writing it twice stores it once (at-least-once delivery is safe):

=============  ==============================================  =====================
record         key                                             InfluxDB measurement
=============  ==============================================  =====================
TimelineChunk  user, second                                    ``timeline``
EventRecord    user, kind, t_s (events) / id (alerts)          ``event``
BoutRecord     user, start_s                                   ``bout``
DailyRecord    user, date                                      ``daily``
PainReport     user, t_s                                       ``pain``
RideRecord     user, start_s (whole second)                    ``ride``
=============  ==============================================  =====================

See docs/influxdb.md for the InfluxDB schema (tags, fields, precision).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, Protocol

import numpy as np

from analytics.records import FloatArray, Int8Array

PainWhen = Literal["morning", "evening", "now"]


@dataclass(frozen=True, slots=True)
class TimelineChunk:
    """Consecutive seconds ``[t0_s, t0_s + n)`` of one user: posture code
    (analytics.records.Posture), hip flexion (NaN: unknown) and data state
    (analytics.live DATA_OK / DATA_NONE / DATA_OFF)."""

    user: str
    t0_s: int
    posture: Int8Array
    hip_flexion_deg: FloatArray
    data: Int8Array
    device: str = ""
    """Primary sensor label (a tag), e.g. ``thigh``."""
    sensor_kind: str = ""
    """e.g. ``sitload-imu``, ``witmotion``, ``replay``, ``sim``."""

    @property
    def n(self) -> int:
        return int(self.posture.shape[0])

    def __post_init__(self) -> None:
        n = self.posture.shape[0]
        if self.hip_flexion_deg.shape[0] != n or self.data.shape[0] != n:
            raise ValueError("posture, hip_flexion_deg and data must have the same length")


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An alert (``source == "alert"``, ``id`` = the alert id, ``payload`` =
    Alert.to_dict()), an exposure event (``source == "exposure"``: bout_started,
    break_taken, hip_gt90_started …, ``value`` as ExposureEvent.value) or a sensor gap
    (``source == "gap"``, ``value`` = its length in seconds)."""

    user: str
    t_s: float
    source: Literal["alert", "exposure", "gap"]
    kind: str
    id: str
    value: float | None = None
    message: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BoutRecord:
    """A finished compression bout (analytics.compression.CompressionBout)."""

    user: str
    start_s: float
    end_s: float
    seated_s: float
    micro_breaks: int
    hip_gt90_s: float
    hip_dose_deg_min: float
    ended_by: str
    gap_s: float | None = None


@dataclass(frozen=True, slots=True)
class DailyRecord:
    """The live service's running totals of one local day (overwritten as the day
    goes on) and the day's prompt adherence."""

    user: str
    date: str
    """Local date, ISO ``YYYY-MM-DD``."""
    t_s: float
    """Local midnight of that date, as Unix time (the InfluxDB timestamp)."""
    compression_s: float
    hip_gt90_s: float
    bouts_over_30: int
    saddle_s: float
    prompted: int
    taken: int
    natural: int
    late: int
    snoozed: int
    ignored: int


DAILY_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(DailyRecord))[3:]
"""The day's totals and counters of a :class:`DailyRecord` (after user, date, t_s)."""
DAILY_SECONDS: tuple[str, ...] = tuple(c for c in DAILY_COLUMNS if c.endswith("_s"))
"""The ones in seconds (floats); the others are counts (integers)."""
DAILY_COUNTS: tuple[str, ...] = tuple(c for c in DAILY_COLUMNS if not c.endswith("_s"))


@dataclass(frozen=True, slots=True)
class RideRecord:
    """One ride (a bike computer's FIT file, alone or joined with a thigh recording):
    its figures as ``sitload analyze`` gives them. None: not known from what was
    imported (seated vs standing needs rider-position data or a thigh sensor, the hip
    angle a thigh sensor)."""

    user: str
    start_s: float
    """Start of the ride (the bike computer's first timer start), Unix time; the key
    (to the whole second)."""
    end_s: float
    riding_s: float
    """Timer running and not inside a break off the saddle."""
    on_bike_s: float
    """Riding plus stops shorter than a break."""
    seated_s: float | None = None
    standing_s: float | None = None
    longest_seated_bout_s: float | None = None
    stands: int | None = None
    stands_per_hour: float | None = None
    seated_hip_gt90_s: float | None = None
    position_from: str = "none"
    """Where seated vs standing comes from: ``thigh``, ``events`` (the file's rider
    position, per second), ``session`` (the file's totals) or ``none``."""
    source: str = ""
    """The FIT file's name."""


RIDE_OPTIONAL: tuple[str, ...] = tuple(f.name for f in fields(RideRecord))[5:11]
"""The figures of a :class:`RideRecord` that may be unknown (None)."""


@dataclass(frozen=True, slots=True)
class PainReport:
    user: str
    t_s: float
    score: int
    """0 (no pain) – 10 (worst imaginable), numeric rating scale."""
    when: PainWhen = "now"
    """``morning``: the 24-hour response to the previous day; ``evening``; ``now``."""
    note: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.score, bool) or not isinstance(self.score, int):
            raise ValueError(f"pain score must be a whole number 0–10, got {self.score!r}")
        if not 0 <= self.score <= 10:
            raise ValueError(f"pain score must be 0–10, got {self.score}")
        if self.when not in ("morning", "evening", "now"):
            raise ValueError(f"when must be morning, evening or now, got {self.when!r}")


EventSource = Literal["alert", "exposure", "gap"]


def event_source(value: object) -> EventSource:
    """A stored ``source`` value back as the literal (anything unknown: exposure)."""
    if value == "alert":
        return "alert"
    return "gap" if value == "gap" else "exposure"


def pain_when(value: object) -> PainWhen:
    """A stored ``when`` value back as the literal (anything unknown: now)."""
    if value == "morning":
        return "morning"
    return "evening" if value == "evening" else "now"


HistoryRecord = TimelineChunk | EventRecord | BoutRecord | DailyRecord | PainReport | RideRecord


class StoreUnavailableError(ConnectionError):
    """Transient: the store cannot be reached now (retry later; the writer spools)."""


class StoreConfigError(RuntimeError):
    """Permanent until the configuration changes: credentials refused, a database or
    bucket that does not exist and cannot be created, a database file of a newer
    schema, a URL that is not an InfluxDB. The message says what to check (never a
    secret). The writer keeps the data in its spool and retries slowly."""


class StoreNotReadableError(StoreConfigError):
    """The server takes the writes but cannot be queried (VictoriaMetrics with the
    InfluxDB write API): reports and imports that read need another store."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    written: int
    """Points the store accepted (see :func:`points_of`; SQLite counts the same way)."""
    rejected: int = 0
    """Permanently bad points (HTTP 400 …): counted, logged once, never retried."""
    reason: str | None = None
    """Why some were rejected (trimmed server message)."""


class HistoryStore(Protocol):
    """A history store. ``write`` is synchronous and may be slow (network); the
    writer calls it from its own thread. It raises StoreUnavailableError for
    transient failures and reports permanent rejections in the result."""

    name: str

    def write(self, records: Sequence[HistoryRecord]) -> WriteResult: ...

    def read_timeline(self, user: str, from_s: float, to_s: float) -> TimelineChunk:
        """Every second in ``[floor(from_s), ceil(to_s))``; seconds never written are
        NONWEAR / NaN / DATA_NONE."""
        ...

    def read_events(
        self, user: str, from_s: float, to_s: float, source: str | None = None
    ) -> list[EventRecord]: ...

    def read_bouts(self, user: str, from_s: float, to_s: float) -> list[BoutRecord]: ...

    def read_daily(self, user: str, from_s: float, to_s: float) -> list[DailyRecord]: ...

    def read_pain(self, user: str, from_s: float, to_s: float) -> list[PainReport]: ...

    def read_rides(self, user: str, from_s: float, to_s: float) -> list[RideRecord]:
        """The rides that start in ``[from_s, to_s)``, by start."""
        ...

    def users(self) -> list[str]: ...

    def close(self) -> None: ...


def points_of(record: HistoryRecord) -> int:
    """How many points a record is: one per timeline second, one for any other record
    (one line of InfluxDB line protocol each)."""
    return record.n if isinstance(record, TimelineChunk) else 1


def empty_timeline(user: str, t0_s: int, n: int) -> TimelineChunk:
    """``n`` seconds with nothing known (NONWEAR, NaN, no data)."""
    return TimelineChunk(
        user,
        t0_s,
        np.zeros(n, dtype=np.int8),
        np.full(n, np.nan),
        np.ones(n, dtype=np.int8),
    )


def blank_timeline(user: str, from_s: float, to_s: float) -> TimelineChunk:
    """The whole seconds from ``from_s`` to ``to_s`` with nothing known: what a store's
    ``read_timeline`` fills in (its arrays are the caller's to write)."""
    t0 = math.floor(from_s)
    return empty_timeline(user, t0, max(t0, math.ceil(to_s)) - t0)


def with_source(chunk: TimelineChunk, sources: set[tuple[str, str]]) -> TimelineChunk:
    """``chunk`` labelled with its (device, sensor kind) when all its seconds came
    from one source, else unlabelled."""
    device, kind = next(iter(sources)) if len(sources) == 1 else ("", "")
    return replace(chunk, device=device, sensor_kind=kind)
