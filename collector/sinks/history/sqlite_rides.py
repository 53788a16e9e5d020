"""The ``ride`` table of the SQLite history: one row per ride, keyed by user and the
whole second of its start (importing a ride again replaces its row)."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, Final

from collector.sinks.history.model import RideRecord

COLUMNS: Final = (
    "end_s",
    "riding_s",
    "on_bike_s",
    "seated_s",
    "standing_s",
    "longest_seated_bout_s",
    "stands",
    "stands_per_hour",
    "seated_hip_gt90_s",
    "position_from",
    "source",
)

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS ride (
    user TEXT NOT NULL,
    start_s INTEGER NOT NULL,
    end_s REAL NOT NULL,
    riding_s REAL NOT NULL,
    on_bike_s REAL NOT NULL,
    seated_s REAL,                  -- NULL: not known (no rider position, no thigh)
    standing_s REAL,
    longest_seated_bout_s REAL,
    stands INTEGER,
    stands_per_hour REAL,
    seated_hip_gt90_s REAL,         -- NULL: no thigh sensor
    position_from TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (user, start_s)
) WITHOUT ROWID
"""


def _opt(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def write_ride(conn: sqlite3.Connection, r: RideRecord) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO ride (user, start_s, "
        + ", ".join(COLUMNS)
        + ") VALUES (?, ?"
        + ", ?" * len(COLUMNS)
        + ")",
        (
            r.user,
            math.floor(r.start_s),
            float(r.end_s),
            float(r.riding_s),
            float(r.on_bike_s),
            _opt(r.seated_s),
            _opt(r.standing_s),
            _opt(r.longest_seated_bout_s),
            None if r.stands is None else int(r.stands),
            _opt(r.stands_per_hour),
            _opt(r.seated_hip_gt90_s),
            r.position_from,
            r.source,
        ),
    )


def read_rides(
    query: Callable[[str, Sequence[Any]], list[Any]], user: str, from_s: float, to_s: float
) -> list[RideRecord]:
    rows = query(
        "SELECT start_s, " + ", ".join(COLUMNS) + " FROM ride "
        "WHERE user = ? AND start_s >= ? AND start_s < ? ORDER BY start_s",
        (user, math.ceil(from_s), math.ceil(to_s)),
    )
    return [RideRecord(user, float(start), *rest) for start, *rest in rows]
