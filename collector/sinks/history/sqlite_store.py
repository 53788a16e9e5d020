"""History in one SQLite file: the embedded default (``sqlite:///PATH/history.db``).

* One connection per thread (:func:`.sqlite_schema.connect`: WAL journal, a busy
  timeout): the writer thread writes while report readers read.
* Writes are idempotent (every table is keyed by the record's natural key and
  written with upserts), all records of one ``write`` in one transaction
  (``BEGIN IMMEDIATE``: the write lock is taken up front, so two writers queue on the
  busy timeout instead of failing).
* The timeline is kept compactly: one row per (user, UTC hour) with three arrays as
  little-endian blobs (posture int8, hip flexion float32 with NaN for unknown, data
  state int8). Writing a chunk merges it into its hour rows (read, overwrite the
  seconds it covers, write back, inside the transaction). 90 days are 2,160 rows.
* The schema and its version check are in :mod:`.sqlite_schema`.

Times: bouts are keyed to the millisecond of their start, pain reports, rides and
daily rows to the whole second (as in InfluxDB, see docs/influxdb.md).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from analytics.live import DATA_NONE
from analytics.records import Posture
from collector.sinks.history.model import (
    DAILY_COLUMNS,
    BoutRecord,
    DailyRecord,
    EventRecord,
    HistoryRecord,
    PainReport,
    RideRecord,
    StoreConfigError,
    StoreUnavailableError,
    TimelineChunk,
    WriteResult,
    blank_timeline,
    event_source,
    pain_when,
    points_of,
    with_source,
)
from collector.sinks.history.sqlite_rides import read_rides, write_ride
from collector.sinks.history.sqlite_schema import HOUR_S, connect, migrate, store_error

log = logging.getLogger(__name__)

_HIP_DTYPE: Final = np.dtype("<f4")


class SqliteStore:
    """A :class:`~collector.sinks.history.model.HistoryStore` in one SQLite file."""

    name = "sqlite"

    def __init__(self, path: Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        self._ready = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreConfigError(
                f"history database {self.path}: cannot create its folder ({exc}); "
                "choose a writable path in the history URL (sqlite:///PATH/history.db)"
            ) from exc
        try:
            self._setup()
        except StoreUnavailableError as exc:
            # a full or read-only disk: start anyway (the writer spools and retries)
            log.warning("%s; the database is set up once the disk takes writes again", exc)

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    # --- connections -------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise RuntimeError(f"history database {self.path} is closed")
        conn = connect(self.path, self.busy_timeout_s)
        self._local.conn = conn
        with self._lock:
            self._connections.append(conn)
        return conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _setup(self) -> None:
        """Create or check the schema; StoreUnavailableError when the disk refuses
        (full, read-only, I/O error): tried again at the next write."""
        try:
            with self._transaction() as c:
                migrate(c, self.path)
        except sqlite3.DatabaseError as exc:
            raise store_error(exc, self.path, "used") from exc
        self._ready = True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()

    # --- writing -------------------------------------------------------------------------

    def write(self, records: Sequence[HistoryRecord]) -> WriteResult:
        if not self._ready:
            self._setup()
        points = 0
        try:
            with self._transaction() as conn:
                for record in records:
                    self._write_one(conn, record)
                    points += points_of(record)
        except sqlite3.OperationalError as exc:
            # locked beyond the busy timeout, disk full, I/O error: try again later
            raise StoreUnavailableError(f"history database {self.path}: {exc}") from exc
        return WriteResult(points)

    def _write_one(self, conn: sqlite3.Connection, record: HistoryRecord) -> None:
        if isinstance(record, TimelineChunk):
            self._write_timeline(conn, record)
        elif isinstance(record, EventRecord):
            conn.execute(
                "INSERT OR REPLACE INTO event (user, source, kind, id, t_s, value, message, "
                "payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.user,
                    record.source,
                    record.kind,
                    record.id,
                    float(record.t_s),
                    None if record.value is None else float(record.value),
                    record.message,
                    json.dumps(record.payload, sort_keys=True, separators=(",", ":")),
                ),
            )
        elif isinstance(record, BoutRecord):
            conn.execute(
                "INSERT OR REPLACE INTO bout (user, start_ms, end_s, seated_s, micro_breaks, "
                "hip_gt90_s, hip_dose_deg_min, ended_by, gap_s) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    record.user,
                    round(record.start_s * 1000.0),
                    float(record.end_s),
                    float(record.seated_s),
                    int(record.micro_breaks),
                    float(record.hip_gt90_s),
                    float(record.hip_dose_deg_min),
                    record.ended_by,
                    None if record.gap_s is None else float(record.gap_s),
                ),
            )
        elif isinstance(record, DailyRecord):
            conn.execute(
                "INSERT OR REPLACE INTO daily (user, date, t_s, "
                + ", ".join(DAILY_COLUMNS)
                + ") VALUES (?, ?, ?"
                + ", ?" * len(DAILY_COLUMNS)
                + ")",
                (
                    record.user,
                    record.date,
                    math.floor(record.t_s),
                    *(
                        float(getattr(record, c)) if c.endswith("_s") else int(getattr(record, c))
                        for c in DAILY_COLUMNS
                    ),
                ),
            )
        elif isinstance(record, PainReport):
            conn.execute(
                'INSERT OR REPLACE INTO pain (user, t_s, score, "when", note) '
                "VALUES (?, ?, ?, ?, ?)",
                (record.user, math.floor(record.t_s), int(record.score), record.when, record.note),
            )
        elif isinstance(record, RideRecord):
            write_ride(conn, record)
        else:
            raise TypeError(f"not a history record: {type(record).__name__}")

    def _write_timeline(self, conn: sqlite3.Connection, chunk: TimelineChunk) -> None:
        n = chunk.n
        if n == 0:
            return
        t0 = int(chunk.t0_s)
        h0, h1 = t0 // HOUR_S, (t0 + n - 1) // HOUR_S
        existing = {
            int(row[0]): row[1:]
            for row in conn.execute(
                "SELECT hour, posture, hip_flexion_deg, data FROM timeline_hour "
                "WHERE user = ? AND hour BETWEEN ? AND ?",
                (chunk.user, h0, h1),
            )
        }
        posture_in = np.asarray(chunk.posture, dtype=np.int8)
        hip_in = np.asarray(chunk.hip_flexion_deg, dtype=_HIP_DTYPE)
        data_in = np.asarray(chunk.data, dtype=np.int8)
        rows = []
        for hour in range(h0, h1 + 1):
            start = hour * HOUR_S
            old = existing.get(hour)
            if old is None:
                posture, hip, data = _empty_hour()
            else:
                posture = np.frombuffer(old[0], dtype=np.int8).copy()
                hip = np.frombuffer(old[1], dtype=_HIP_DTYPE).copy()
                data = np.frombuffer(old[2], dtype=np.int8).copy()
            a, b = max(t0, start), min(t0 + n, start + HOUR_S)
            src = slice(a - t0, b - t0)
            dst = slice(a - start, b - start)
            posture[dst] = posture_in[src]
            hip[dst] = hip_in[src]
            data[dst] = data_in[src]
            rows.append(
                (
                    chunk.user,
                    hour,
                    chunk.device,
                    chunk.sensor_kind,
                    posture.tobytes(),
                    hip.tobytes(),
                    data.tobytes(),
                )
            )
        conn.executemany(
            "INSERT OR REPLACE INTO timeline_hour (user, hour, device, sensor_kind, posture, "
            "hip_flexion_deg, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    # --- reading -------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailableError(f"history database {self.path}: {exc}") from exc

    def read_timeline(self, user: str, from_s: float, to_s: float) -> TimelineChunk:
        out = blank_timeline(user, from_s, to_s)
        t0, t1 = out.t0_s, out.t0_s + out.n
        sources: set[tuple[str, str]] = set()
        if out.n:
            rows = self._query(
                "SELECT hour, device, sensor_kind, posture, hip_flexion_deg, data "
                "FROM timeline_hour WHERE user = ? AND hour BETWEEN ? AND ? ORDER BY hour",
                (user, t0 // HOUR_S, (t1 - 1) // HOUR_S),
            )
            for hour, device, kind, p, h, d in rows:
                start = int(hour) * HOUR_S
                a, b = max(t0, start), min(t1, start + HOUR_S)
                src = slice(a - start, b - start)
                dst = slice(a - t0, b - t0)
                out.posture[dst] = np.frombuffer(p, dtype=np.int8)[src]
                out.hip_flexion_deg[dst] = np.frombuffer(h, dtype=_HIP_DTYPE)[src]
                out.data[dst] = np.frombuffer(d, dtype=np.int8)[src]
                sources.add((device, kind))
        return with_source(out, sources)

    def read_events(
        self, user: str, from_s: float, to_s: float, source: str | None = None
    ) -> list[EventRecord]:
        sql = (
            "SELECT t_s, source, kind, id, value, message, payload FROM event "
            "WHERE user = ? AND t_s >= ? AND t_s < ?"
        )
        params: list[Any] = [user, float(from_s), float(to_s)]
        if source is not None:
            sql += " AND source = ?"
            params.append(source)
        sql += " ORDER BY t_s, source, kind, id"
        return [
            EventRecord(
                user,
                float(t_s),
                event_source(src),
                kind,
                ident,
                value=value,
                message=message,
                payload=json.loads(payload) if payload else {},
            )
            for t_s, src, kind, ident, value, message, payload in self._query(sql, params)
        ]

    def read_bouts(self, user: str, from_s: float, to_s: float) -> list[BoutRecord]:
        rows = self._query(
            "SELECT start_ms, end_s, seated_s, micro_breaks, hip_gt90_s, hip_dose_deg_min, "
            "ended_by, gap_s FROM bout WHERE user = ? AND start_ms >= ? AND start_ms < ? "
            "ORDER BY start_ms",
            (user, round(from_s * 1000.0), round(to_s * 1000.0)),
        )
        return [
            BoutRecord(user, start_ms / 1000.0, end, seated, micro, hip, dose, ended_by, gap)
            for start_ms, end, seated, micro, hip, dose, ended_by, gap in rows
        ]

    def read_daily(self, user: str, from_s: float, to_s: float) -> list[DailyRecord]:
        rows = self._query(
            "SELECT date, t_s, " + ", ".join(DAILY_COLUMNS) + " FROM daily "
            "WHERE user = ? AND t_s >= ? AND t_s < ? ORDER BY t_s",
            (user, math.ceil(from_s), math.ceil(to_s)),
        )
        return [DailyRecord(user, date, float(t_s), *rest) for date, t_s, *rest in rows]

    def read_pain(self, user: str, from_s: float, to_s: float) -> list[PainReport]:
        rows = self._query(
            'SELECT t_s, score, "when", note FROM pain WHERE user = ? AND t_s >= ? AND t_s < ? '
            "ORDER BY t_s",
            (user, math.ceil(from_s), math.ceil(to_s)),
        )
        return [
            PainReport(user, float(t_s), int(score), pain_when(when), note)
            for t_s, score, when, note in rows
        ]

    def read_rides(self, user: str, from_s: float, to_s: float) -> list[RideRecord]:
        return read_rides(self._query, user, from_s, to_s)

    def users(self) -> list[str]:
        rows = self._query(
            "SELECT user FROM timeline_hour UNION SELECT user FROM event "
            "UNION SELECT user FROM bout UNION SELECT user FROM daily "
            "UNION SELECT user FROM pain UNION SELECT user FROM ride ORDER BY 1",
            (),
        )
        return [str(r[0]) for r in rows]


def _empty_hour() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    return (
        np.full(HOUR_S, Posture.NONWEAR, dtype=np.int8),
        np.full(HOUR_S, np.nan, dtype=_HIP_DTYPE),
        np.full(HOUR_S, DATA_NONE, dtype=np.int8),
    )
