"""Which days a report covers when ``--from`` / ``--to`` are not given, and how a
report names the store it read (never a secret)."""

from __future__ import annotations

import datetime as dt
from datetime import tzinfo
from urllib.parse import parse_qsl, unquote, urlsplit

import numpy as np

from analytics.live import DATA_OK
from analytics.records import Posture
from collector.sinks.history.model import HistoryStore

DEFAULT_DAYS = 28
"""A report without ``--from`` covers this many days (four weeks)."""
LOOK_BACK_DAYS = 3 * 366
"""How far back the last day with data is looked for."""
PROBE_DAYS = 7
"""Days of timeline read after the last daily total (see :func:`data_span`)."""


def data_span(
    store: HistoryStore, user: str, zone: tzinfo, now_s: float
) -> tuple[dt.date, dt.date] | None:
    """The first and the last local day with data of ``user`` in the
    :data:`DEFAULT_DAYS` days up to the last one (up to ``now_s`` plus a day); None
    when there is none in :data:`LOOK_BACK_DAYS` days.

    The latest daily total (the live service and ``sitload history import`` write one
    per day with data) or bout start: one point a day or a bout, cheap from any
    store. Then the timeline of the :data:`PROBE_DAYS` days after it is read, for
    days whose totals were not written (a service stopped before the day's record)."""
    lo = now_s - LOOK_BACK_DAYS * 86_400.0
    hi = now_s + 86_400.0
    days = [dt.date.fromisoformat(d.date) for d in store.read_daily(user, lo, hi)]
    days += [
        dt.datetime.fromtimestamp(b.start_s, zone).date() for b in store.read_bouts(user, lo, hi)
    ]
    found = max(days, default=None)
    if found is None:
        return None
    window = found - dt.timedelta(days=DEFAULT_DAYS - 1)
    first = min(d for d in days if d >= window)
    nxt = found + dt.timedelta(days=1)
    probe_lo = dt.datetime.combine(nxt, dt.time(0), zone).timestamp()
    probe_hi = min(hi, probe_lo + PROBE_DAYS * 86_400.0)
    if probe_hi <= probe_lo:
        return first, found
    chunk = store.read_timeline(user, probe_lo, probe_hi)
    worn = np.flatnonzero((chunk.data == DATA_OK) & (chunk.posture != Posture.NONWEAR))
    if worn.size:
        last_s = chunk.t0_s + int(worn[-1])
        found = max(found, dt.datetime.fromtimestamp(last_s, zone).date())
    return max(first, found - dt.timedelta(days=DEFAULT_DAYS - 1)), found


def default_range(
    first: dt.date | None, last: dt.date | None, span_days: tuple[dt.date, dt.date] | None
) -> tuple[dt.date, dt.date] | None:
    """``--from`` / ``--to`` with the missing ends filled in: without both, the
    :data:`DEFAULT_DAYS` days up to the last day with data (from the first day with
    data when that is later: ``span_days``); with one, that many days from / to it.
    None when nothing says where the range is."""
    span = dt.timedelta(days=DEFAULT_DAYS - 1)
    if first is not None and last is not None:
        return first, last
    if first is not None:
        return first, first + span
    if last is not None:
        return last - span, last
    return span_days


def describe_store(url: str) -> str:
    """Where a history URL points, for the reader of a report: the kind, the host
    and the database or bucket (SQLite: the file). No user name, password or token."""
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    if scheme == "sqlite":
        return f"SQLite {'/' + rest.lstrip('/')}"
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = parts.port or 8086
    except ValueError:
        return scheme
    query = dict(parse_qsl(parts.query))
    if scheme == "influxdb-v1":
        db = unquote(parts.path.strip("/"))
        rp = f", retention policy {query['rp']}" if query.get("rp") else ""
        return f"InfluxDB 1.x {host}:{port}, database {db}{rp}"
    if scheme == "influxdb":
        return (
            f"InfluxDB {host}:{port}, org {query.get('org', '?')}, "
            f"bucket {query.get('bucket', '?')}"
        )
    return scheme
