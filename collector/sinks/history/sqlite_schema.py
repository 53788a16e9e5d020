"""The SQLite history file's schema, its version check and its connections.

* ``schema_version`` in table ``meta``; a file written by a newer sitload is refused
  with :class:`StoreConfigError` instead of being misread (:func:`migrate`).
* Connections (:func:`connect`): WAL journal, ``synchronous=NORMAL`` (a commit
  survives a crash of the program; a power cut may lose the last commits, never the
  database) and a busy timeout.
* SQLite errors become the store errors the writer sorts by (:func:`store_error`):
  a full or read-only disk (or an I/O error) is transient
  (:class:`StoreUnavailableError`), anything else a configuration error.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path
from typing import Final

from collector.sinks.history.model import StoreConfigError, StoreUnavailableError
from collector.sinks.history.sqlite_rides import SCHEMA as RIDE_SCHEMA

log = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 2
"""2: the ``ride`` table (:mod:`.sqlite_rides`); a version-1 file gains it when opened."""
HOUR_S: Final = 3600

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS timeline_hour (
    user TEXT NOT NULL,
    hour INTEGER NOT NULL,          -- Unix time // 3600
    device TEXT NOT NULL DEFAULT '',
    sensor_kind TEXT NOT NULL DEFAULT '',
    posture BLOB NOT NULL,          -- 3600 x int8 (analytics.records.Posture)
    hip_flexion_deg BLOB NOT NULL,  -- 3600 x float32 little-endian, NaN: unknown
    data BLOB NOT NULL,             -- 3600 x int8 (DATA_OK / DATA_NONE / DATA_OFF)
    PRIMARY KEY (user, hour)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS event (
    user TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    t_s REAL NOT NULL,
    value REAL,
    message TEXT,
    payload TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (user, source, kind, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_by_time ON event (user, t_s);
CREATE TABLE IF NOT EXISTS bout (
    user TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_s REAL NOT NULL,
    seated_s REAL NOT NULL,
    micro_breaks INTEGER NOT NULL,
    hip_gt90_s REAL NOT NULL,
    hip_dose_deg_min REAL NOT NULL,
    ended_by TEXT NOT NULL,
    gap_s REAL,
    PRIMARY KEY (user, start_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS daily (
    user TEXT NOT NULL,
    date TEXT NOT NULL,
    t_s INTEGER NOT NULL,
    compression_s REAL NOT NULL,
    hip_gt90_s REAL NOT NULL,
    bouts_over_30 INTEGER NOT NULL,
    saddle_s REAL NOT NULL,
    prompted INTEGER NOT NULL,
    taken INTEGER NOT NULL,
    natural INTEGER NOT NULL,
    late INTEGER NOT NULL,
    snoozed INTEGER NOT NULL,
    ignored INTEGER NOT NULL,
    PRIMARY KEY (user, date)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS daily_by_time ON daily (user, t_s);
CREATE TABLE IF NOT EXISTS pain (
    user TEXT NOT NULL,
    t_s INTEGER NOT NULL,
    score INTEGER NOT NULL,
    "when" TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (user, t_s)
) WITHOUT ROWID;
"""


def store_error(exc: sqlite3.Error, path: Path, doing: str) -> Exception:
    """The store error for ``exc`` raised while ``doing`` (opened / used)."""
    if isinstance(exc, sqlite3.OperationalError):
        if disk_refused(exc):
            return StoreUnavailableError(f"history database {path} cannot be written: {exc}")
        if doing == "opened":
            return StoreConfigError(
                f"history database {path} cannot be opened: {exc}; check the path "
                "and its permissions"
            )
    return StoreConfigError(
        f"history database {path} cannot be used: {exc}; is it a sitload history database?"
    )


def connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL journal."""
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(
            path,
            timeout=busy_timeout_s,
            isolation_level=None,  # autocommit; transactions are explicit
            check_same_thread=False,  # close() may run in another thread
        )
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning(
                "history database %s: WAL journal not available (%s); a reader may "
                "wait for the writer",
                path,
                mode,
            )
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
    except sqlite3.DatabaseError as exc:
        with contextlib.suppress(sqlite3.Error):
            if conn is not None:
                conn.close()
        raise store_error(exc, path, "opened") from exc
    return conn


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Create or check the schema (inside the caller's transaction)."""
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise StoreConfigError(
            f"history database {path} has schema version {version}, newer "
            f"than this sitload understands ({SCHEMA_VERSION}); upgrade sitload, "
            "or point the history URL to another file"
        )
    if version < SCHEMA_VERSION:
        for statement in [*SCHEMA.split(";"), RIDE_SCHEMA]:
            if statement.strip():
                conn.execute(statement)
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )


_DISK_REFUSED: Final = frozenset(
    {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY}
)


def disk_refused(exc: sqlite3.Error) -> bool:
    """A full or read-only disk (or an I/O error): transient, not a configuration error."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _DISK_REFUSED
    text = str(exc).lower()
    return "disk is full" in text or "disk i/o error" in text or "readonly" in text
