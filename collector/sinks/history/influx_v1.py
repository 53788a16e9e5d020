"""History in InfluxDB 1.x (for example Home Assistant's InfluxDB add-on).

Writes: ``POST /write?db=…&precision=s|ms|u`` with line protocol built by
:mod:`.influx_lines` (one request per precision, at most ``max_lines`` lines each),
over a urllib3 connection pool. Reads: InfluxQL on ``/query``
(:class:`.influxql.InfluxQLReader`).

What the answers mean:

* 204: written.
* 400: some points are bad. InfluxDB 1.x writes the good points of the request and
  says ``partial write: … dropped=N``. When it names how many it dropped (a field
  type conflict, points outside the retention policy …) those are counted as
  rejected. When it cannot say (``unable to parse …``), the request is split in
  halves, recursively, and the halves sent again until every bad line is found
  alone (sending a good point twice is harmless: same series and time). Rejected
  points are never retried.
* 404 ``database not found``: ``CREATE DATABASE`` once, then the write again.
* 413 (request too large): split in halves.
* 401 / 403: :class:`StoreConfigError` (check the user and
  ``SITLOAD_INFLUX_PASSWORD``).
* 5xx, 408, 429, connection errors, timeouts: :class:`StoreUnavailableError`.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from gzip import compress as gzip_compress
from typing import Literal

import urllib3

from collector.sinks.history import influx_lines as lp
from collector.sinks.history.influx_http import InfluxHttp, server_message, trim
from collector.sinks.history.influxql import InfluxQLReader
from collector.sinks.history.influxql_timeline import compact_lines, data_span, hour_back
from collector.sinks.history.model import (
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
)
from collector.sinks.history.timeline_hours import HourBlocks

log = logging.getLogger(__name__)

BLOCKS_PER_REQUEST = 100
"""``timeline_hour`` blocks (up to ~49 kB each) per write request."""

PostOutcome = Literal["ok", "bad", "too_large"]
PostFn = Callable[[Sequence[str]], tuple[PostOutcome, str]]
"""Sends lines in one request: ``ok``, ``bad`` (HTTP 400, with the server's message) or
``too_large`` (HTTP 413); raises for anything else."""

_DROPPED = re.compile(r"\s*dropped=(\d+)\s*$")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'")


def rejection_reason(message: str) -> tuple[str, int | None]:
    """A stable reason (no line contents, no count) and the ``dropped=N`` count when the
    server gave a usable one (None: the bad lines are unknown)."""
    m = _DROPPED.search(message)
    dropped = int(m.group(1)) if m else None
    text = _DROPPED.sub("", message)
    if "unable to parse" in text:
        dropped = None  # InfluxDB 1.x says dropped=0 for lines it could not parse
        text = _QUOTED.sub("'…'", text)
    text = text.removeprefix("partial write: ")
    return trim(text), (dropped if dropped else None)


@dataclass(slots=True)
class LineOutcome:
    """What a series of write requests did."""

    written: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def reject(self, n: int, reason: str) -> None:
        self.rejected += n
        self.reasons[reason] = self.reasons.get(reason, 0) + n

    def result(self) -> WriteResult:
        reason = None
        if self.reasons:
            reason = trim("; ".join(sorted(self.reasons)))
        return WriteResult(self.written, self.rejected, reason)


def send_batches(
    batches: Iterable[tuple[lp.Precision, Sequence[str]]],
    post_of: Callable[[lp.Precision], PostFn],
    sender: ThreadPoolExecutor,
) -> WriteResult:
    """Send each batch of lines in one request (isolating bad lines, see
    :func:`write_part`). The requests go out one at a time, in order, from ``sender``'s
    thread, so the next batch is built while the previous one is on its way."""
    outcome = LineOutcome()
    inflight: Future[None] | None = None
    try:
        for precision, lines in batches:
            if inflight is not None:
                inflight.result()  # raises the store's errors
            inflight = sender.submit(write_part, lines, post_of(precision), outcome)
        if inflight is not None:
            done, inflight = inflight, None
            done.result()
    finally:
        if inflight is not None:  # building a batch failed: let the request finish
            with contextlib.suppress(Exception):
                inflight.result()
    return outcome.result()


def chunks_of(
    precision: lp.Precision, lines: Sequence[str], max_lines: int
) -> Iterator[tuple[lp.Precision, Sequence[str]]]:
    for start in range(0, len(lines), max_lines):
        yield precision, lines[start : start + max_lines]


def chunks_of_lazy(
    precision: lp.Precision, lines: Iterable[str], max_lines: int
) -> Iterator[tuple[lp.Precision, Sequence[str]]]:
    """Like :func:`chunks_of`, for lines made as they are asked for."""
    it = iter(lines)
    while batch := list(itertools.islice(it, max_lines)):
        yield precision, batch


def write_part(lines: Sequence[str], post: PostFn, outcome: LineOutcome) -> None:
    """One request; on a rejection that does not say which lines were bad, the halves
    again (recursively) until each bad line is alone (a good line sent twice is
    harmless: same series and time)."""
    kind, message = post(lines)
    n = len(lines)
    if kind == "ok":
        outcome.written += n
        return
    if kind == "bad":
        reason, dropped = rejection_reason(message)
        if dropped is not None and dropped <= n:
            outcome.written += n - dropped
            outcome.reject(dropped, reason)
            return
        if n == 1:
            outcome.reject(1, reason)
            return
    elif n == 1:  # too large alone
        outcome.reject(1, trim(message))
        return
    half = n // 2
    write_part(lines[:half], post, outcome)
    write_part(lines[half:], post, outcome)


class InfluxStoreBase:
    """What the InfluxDB stores share: batched writes through :func:`send_batches`
    (subclasses say how one request is posted: :meth:`_post_of`) and InfluxQL reads
    on ``/query``."""

    max_lines: int
    _http: InfluxHttp
    _reader: InfluxQLReader
    _sender: ThreadPoolExecutor

    def _post_of(self, precision: lp.Precision) -> PostFn:
        raise NotImplementedError

    _hours: HourBlocks | None = None

    def hours(self) -> HourBlocks:
        """The ``timeline_hour`` blocks this store writes (:mod:`.timeline_hours`)."""
        if self._hours is None:
            self._hours = HourBlocks(hour_back(self._reader))
        return self._hours

    def write(self, records: Sequence[HistoryRecord]) -> WriteResult:
        """The records, then the hour blocks of their timeline (not counted in the
        result: they are a second copy of its seconds)."""
        batches = lp.line_batches(records, self.max_lines)
        result = send_batches(batches, self._post_of, self._sender)
        chunks = [r for r in records if isinstance(r, TimelineChunk)]
        if chunks:
            self._send_blocks(self.hours().lines(chunks))
        return result

    def flush_hours(self) -> None:
        """Write the pending hour blocks as they are (closing does)."""
        if self._hours is not None:
            self._send_blocks(self._hours.flush())

    def compact(self, user: str, now_s: float) -> int:
        """Write the hour blocks of a history written before them (every hour of
        ``user``'s per-second points before the hour in progress at ``now_s``), a day
        at a time. How many blocks it wrote."""
        span = data_span(self._reader, user)
        if span is None:
            return 0
        made = 0

        def counted(lines: Iterable[str]) -> Iterator[str]:
            nonlocal made
            for line in lines:
                made += 1
                yield line

        self._send_blocks(counted(compact_lines(self._reader, user, span[0], span[1] + 1, now_s)))
        return made

    def _send_blocks(self, lines: Iterable[str]) -> None:
        """Send blocks. A stored hour that cannot be read back (a field of another type
        in it) costs its block only: that hour reads second by second."""
        blocks = chunks_of_lazy("s", lines, BLOCKS_PER_REQUEST)
        try:
            done = send_batches(blocks, self._post_of, self._sender)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("%s: timeline_hour blocks not written (%s)", self, exc)
            return
        if done.rejected:
            log.warning(
                "%s: %d timeline_hour block(s) rejected (%s); those hours read second by second",
                self,
                done.rejected,
                done.reason,
            )

    def write_lines(self, precision: lp.Precision, lines: Sequence[str]) -> WriteResult:
        """Pre-built line protocol (benchmarks, tools)."""
        batches = chunks_of(precision, lines, self.max_lines)
        return send_batches(batches, self._post_of, self._sender)

    # --- reading ---------------------------------------------------------------------

    def read_timeline(self, user: str, from_s: float, to_s: float) -> TimelineChunk:
        return self._reader.read_timeline(user, from_s, to_s)

    def read_events(
        self, user: str, from_s: float, to_s: float, source: str | None = None
    ) -> list[EventRecord]:
        return self._reader.read_events(user, from_s, to_s, source)

    def read_bouts(self, user: str, from_s: float, to_s: float) -> list[BoutRecord]:
        return self._reader.read_bouts(user, from_s, to_s)

    def read_daily(self, user: str, from_s: float, to_s: float) -> list[DailyRecord]:
        return self._reader.read_daily(user, from_s, to_s)

    def read_pain(self, user: str, from_s: float, to_s: float) -> list[PainReport]:
        return self._reader.read_pain(user, from_s, to_s)

    def read_rides(self, user: str, from_s: float, to_s: float) -> list[RideRecord]:
        return self._reader.read_rides(user, from_s, to_s)

    def users(self) -> list[str]:
        return self._reader.users()

    def close(self) -> None:
        try:
            self.flush_hours()
        except (StoreUnavailableError, StoreConfigError) as exc:
            log.warning("hour blocks not written (%s): those hours read second by second", exc)
        self._sender.shutdown(wait=True)
        self._reader.close()
        self._close_client()
        self._http.close()

    def _close_client(self) -> None:
        """Anything else a store holds open (closed before the HTTP pool)."""


class InfluxV1Store(InfluxStoreBase):
    """A :class:`~collector.sinks.history.model.HistoryStore` in an InfluxDB 1.x database."""

    name = "influxdb-v1"

    def __init__(
        self,
        url: str,
        database: str,
        username: str | None = None,
        password: str | None = None,
        *,
        timeout_s: float = 10.0,
        retention_policy: str | None = None,
        gzip: bool = False,
        ca_file: str | None = None,
        max_lines: int = 10_000,
    ) -> None:
        if not database:
            raise ValueError("InfluxDB 1.x needs a database name")
        headers: dict[str, str] = {}
        if username:
            headers.update(urllib3.make_headers(basic_auth=f"{username}:{password or ''}"))
        self._http = InfluxHttp(url, headers, timeout_s=timeout_s, ca_file=ca_file)
        self.url = self._http.base_url
        self.timeout_s = timeout_s
        self.username = username
        self.database = database
        self.retention_policy = retention_policy
        self.gzip = gzip
        self.max_lines = max_lines
        self._auth_fix = (
            f"check the user name ({username}) and the password (SITLOAD_INFLUX_PASSWORD)"
            if username
            else "this InfluxDB wants a user: give it in the URL (influxdb-v1://USER@HOST/DB) "
            "and the password in SITLOAD_INFLUX_PASSWORD"
        )
        self._reader = InfluxQLReader(
            self._http, database, retention_policy=retention_policy, auth_fix=self._auth_fix
        )
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="influxdb-v1-send")

    def __repr__(self) -> str:
        return f"InfluxV1Store({self._http.shown!r}, database={self.database!r})"

    # --- writing ---------------------------------------------------------------------

    def _post_of(self, precision: lp.Precision) -> PostFn:
        return functools.partial(self._post, lp.V1_PRECISION[precision])

    def _post_body(self, precision: str, body: bytes) -> tuple[int, bytes]:
        params = [("db", self.database), ("precision", precision)]
        if self.retention_policy:
            params.append(("rp", self.retention_policy))
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        if self.gzip:
            body = gzip_compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        response = self._http.request("POST", "/write", params, body=body, headers=headers)
        return response.status, response.data

    def _post(self, precision: str, lines: Sequence[str]) -> tuple[PostOutcome, str]:
        body = "\n".join(lines).encode("utf-8")
        status, answer = self._post_body(precision, body)
        if status == 404 and b"database not found" in answer:
            self.create_database()
            status, answer = self._post_body(precision, body)
        if status in (200, 204):
            return "ok", ""
        if status == 400:
            return "bad", server_message(answer)
        if status == 413:
            return "too_large", f"request too large (HTTP 413): {trim(server_message(answer))}"
        if status == 404 and b"database not found" in answer:
            raise StoreConfigError(
                f"InfluxDB at {self._http.shown}: database {self.database!r} does not exist "
                f'and could not be created; create it (CREATE DATABASE "{self.database}") '
                "or fix the database name in the history URL"
            )
        self._http.check_status(status, answer, "the write", self._auth_fix)
        raise StoreConfigError(f"InfluxDB at {self._http.shown}: unexpected HTTP {status}")

    def create_database(self) -> None:
        """``CREATE DATABASE`` (a no-op when it exists)."""
        name = self.database.replace("\\", "\\\\").replace('"', '\\"')
        response = self._http.request(
            "POST",
            "/query",
            [("q", f'CREATE DATABASE "{name}"')],
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if response.status in (401, 403):
            raise StoreConfigError(
                f"InfluxDB at {self._http.shown}: database {self.database!r} does not exist "
                f"and user {self.username!r} may not create it (HTTP {response.status}); "
                f'create it as an admin: CREATE DATABASE "{self.database}", then '
                f'GRANT ALL ON "{self.database}" TO "{self.username}"'
            )
        self._http.check_status(response.status, response.data, "CREATE DATABASE", self._auth_fix)
        log.info("created InfluxDB database %r at %s", self.database, self._http.shown)
