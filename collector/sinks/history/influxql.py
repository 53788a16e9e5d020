"""Reading the history back from InfluxDB with InfluxQL (``GET /query``).

Shared by :mod:`.influx_v1` (InfluxDB 1.x) and :mod:`.influx_v2` (InfluxDB 2.x /
3.x / Cloud: reads through the v1-compatible ``/query`` endpoint with
``Authorization: Token …``; the bucket needs a DBRP mapping, which InfluxDB 2.x
creates virtually for every bucket, named after it).

Reads never hold a large answer in memory: every query asks for a chunked answer
(``chunked=true``: one JSON object per line, ``chunk_size`` rows each) that is
parsed as it arrives (:mod:`.influxql_answers`; the timeline's numbers straight
into numpy arrays), and the time range is queried one page (a day by default) at a
time, with up to ``prefetch`` pages asked for ahead so that the server works on the
next page while this one is read. A server that ignores ``chunked`` and cuts an
answer short at its row limit (``"partial": true`` on the last object) is asked
again from the last time received.
"""

from __future__ import annotations

import json
import logging
import math
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

import urllib3

from collector.sinks.history import influx_lines as lp
from collector.sinks.history.influx_http import InfluxHttp, trim
from collector.sinks.history.influxql_answers import (
    Epoch,
    Series,
    answer_lines,
    numeric_answer,
    ride_of_row,
    series_of,
)
from collector.sinks.history.influxql_timeline import read_timeline
from collector.sinks.history.model import (
    DAILY_COUNTS,
    DAILY_SECONDS,
    BoutRecord,
    DailyRecord,
    EventRecord,
    PainReport,
    RideRecord,
    StoreConfigError,
    StoreUnavailableError,
    TimelineChunk,
    event_source,
    pain_when,
)

log = logging.getLogger(__name__)

_NS_PER: Final[dict[Epoch, int]] = {"s": 1_000_000_000, "ms": 1_000_000, "u": 1_000}


def quote_ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def to_ns(t_s: float) -> int:
    """Seconds → integer nanoseconds (via microseconds: exact for any realistic time)."""
    return math.floor(t_s * 1_000_000) * 1000


class InfluxQLReader:
    """Reads history records with InfluxQL ``SELECT`` over ``GET /query``.

    ``chunk_size``: rows per JSON object of a chunked answer (0: ask for unchunked
    answers); ``page_s``: the time span of one timeline query; ``prefetch``: pages
    asked for ahead (0: one query at a time); ``numeric``: read the timeline's numbers
    straight into arrays (False: through ``json.loads``, as any other answer);
    ``blocks``: read the timeline from its hour blocks where there are some (False:
    every second from the per-second points, as before the blocks)."""

    def __init__(
        self,
        http: InfluxHttp,
        database: str,
        *,
        retention_policy: str | None = None,
        chunk_size: int = 10_000,
        page_s: int = 86_400,
        prefetch: int = 2,
        numeric: bool = True,
        auth_fix: str = "check the credentials",
        blocks: bool = True,
    ) -> None:
        self.http = http
        self.database = database
        self.retention_policy = retention_policy
        self.chunk_size = chunk_size
        self.page_s = page_s
        self.prefetch = prefetch
        self.numeric = numeric
        self.auth_fix = auth_fix
        self.blocks = blocks
        self._pages: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._pages is not None:
            self._pages.shutdown(wait=True, cancel_futures=True)
            self._pages = None

    # --- plumbing ------------------------------------------------------------------

    def measurement(self, name: str) -> str:
        if self.retention_policy:
            return ".".join(quote_ident(p) for p in (self.database, self.retention_policy, name))
        return quote_ident(name)

    def stream(
        self, q: str, epoch: Epoch, cut: list[bool] | None = None, *, numeric: bool = False
    ) -> Iterator[Series]:
        """The series of one query as they arrive. ``cut[0]`` is set to whether the last
        JSON object of the answer said ``"partial": true`` (an answer cut short). An
        unknown database reads as empty. ``numeric``: the values are all numbers (see
        :func:`.influxql_answers.numeric_answer`)."""
        params = [("db", self.database), ("q", q), ("epoch", epoch)]
        if self.chunk_size > 0:
            params += [("chunked", "true"), ("chunk_size", str(self.chunk_size))]
        response = self.http.request("GET", "/query", params, stream=True)
        where = f"{self.http.what} at {self.http.shown}"
        complete = False
        try:
            if response.status != 200:
                body = response.read()
                self.http.check_status(response.status, body, "the query", self.auth_fix)
                raise StoreConfigError(f"{where}: unexpected HTTP {response.status} to a query")
            try:
                for line in answer_lines(response):
                    fast = numeric_answer(line) if numeric and self.numeric else None
                    doc, numbers = fast if fast is not None else (json.loads(line), None)
                    partial = False
                    for result, series in series_of(doc, q, where, numbers):
                        partial = partial or bool(result.get("partial", False))
                        if series is not None:
                            partial = partial or series.partial
                            yield series
                    if cut is not None:
                        cut[:] = [partial]
                complete = True
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise StoreUnavailableError(
                    f"{where}: a query answer broke off: {trim(str(exc))}"
                ) from exc
        finally:
            if not complete:
                response.close()  # unread rest: never hand this connection out again
            response.release_conn()

    def select(
        self,
        build: Callable[[int, int], str],
        from_ns: int,
        to_ns: int,
        epoch: Epoch,
        page_s: int | None = None,
        *,
        numeric: bool = False,
    ) -> Iterator[Series]:
        """Run ``build(start_ns, end_ns)`` for consecutive time pages of
        ``[from_ns, to_ns)``, in order, up to ``prefetch`` pages ahead (see
        :meth:`page`)."""
        page_ns = (page_s or self.page_s) * 1_000_000_000
        bounds = [(a, min(to_ns, a + page_ns)) for a in range(from_ns, to_ns, page_ns)]
        if self.prefetch < 1 or len(bounds) < 2:
            for a, b in bounds:
                yield from self.page(build, a, b, epoch, numeric=numeric)
            return
        if self._pages is None:
            self._pages = ThreadPoolExecutor(self.prefetch, thread_name_prefix="influxql-page")
        ahead: deque[Future[list[Series]]] = deque()
        todo = iter(bounds)
        try:
            while True:
                while len(ahead) <= self.prefetch and (bound := next(todo, None)) is not None:
                    ahead.append(self._pages.submit(self._read_page, build, *bound, epoch, numeric))
                if not ahead:
                    return
                yield from ahead.popleft().result()
        finally:
            for future in ahead:
                future.cancel()

    def _read_page(
        self, build: Callable[[int, int], str], a: int, b: int, epoch: Epoch, numeric: bool
    ) -> list[Series]:
        return list(self.page(build, a, b, epoch, numeric=numeric))

    def page(
        self,
        build: Callable[[int, int], str],
        start: int,
        end: int,
        epoch: Epoch,
        *,
        numeric: bool = False,
    ) -> Iterator[Series]:
        """The series of ``build(start, end)``. A page cut short (by a server that
        ignores ``chunked`` and has a row limit) is asked again from after the last
        time of the series it was cut in; with several series in a page (a user with
        two devices in one day) the rows of series the server did not send at all
        could be missed: InfluxDB 1.x and 2.x honour ``chunked``, whose answers are
        never cut."""
        unit = _NS_PER[epoch]
        cursor = start
        while cursor < end:
            last_t: int | None = None
            cut = [False]
            for series in self.stream(build(cursor, end), epoch, cut, numeric=numeric):
                last_t = series.last_time() if len(series) else last_t
                yield series
            if cut[0] and last_t is not None and (last_t + 1) * unit > cursor:
                log.debug("InfluxDB cut a query answer short; asking again from %s", last_t)
                cursor = (last_t + 1) * unit
            else:
                break

    def where(self, user: str, a: int, b: int, extra: str = "") -> str:
        return f'WHERE "user" = {quote_str(user)}{extra} AND time >= {a} AND time < {b}'

    # --- the records ----------------------------------------------------------------

    def read_timeline(self, user: str, from_s: float, to_s: float) -> TimelineChunk:
        """Every second in ``[floor(from_s), ceil(to_s))``: from the hour blocks where
        there are some (unless ``blocks`` is off), else the seconds."""
        return read_timeline(self, user, from_s, to_s, blocks=self.blocks)

    def _rows(
        self, name: str, user: str, from_ns: int, to_ns: int, epoch: Epoch, extra: str = ""
    ) -> Iterator[dict[str, Any]]:
        table = self.measurement(name)

        def build(a: int, b: int) -> str:
            return f"SELECT * FROM {table} {self.where(user, a, b, extra)}"

        # the small measurements: one page per 31 days
        for series in self.select(build, from_ns, to_ns, epoch, page_s=31 * 86_400):
            for row in series.values:
                yield dict(zip(series.columns, row, strict=False))

    def read_events(
        self, user: str, from_s: float, to_s: float, source: str | None = None
    ) -> list[EventRecord]:
        extra = "" if source is None else f' AND "source" = {quote_str(source)}'
        # the timestamp is t_s rounded to the ms plus < 1 ms: widen, then filter on t_s
        rows = self._rows(
            lp.EVENT, user, to_ns(from_s) - 1_000_000, to_ns(to_s) + 1_000_000, "u", extra
        )
        out = []
        for row in rows:
            t_s = row.get("t_s")
            if t_s is None:
                t_s = row["time"] / 1e6
            if not from_s <= t_s < to_s:
                continue
            payload = row.get("payload")
            value = row.get("value")
            out.append(
                EventRecord(
                    user,
                    float(t_s),
                    event_source(row.get("source")),
                    lp.untag(row.get("kind")),
                    row.get("id") or "",
                    value=None if value is None else float(value),
                    message=row.get("message"),
                    payload=json.loads(payload) if payload else {},
                )
            )
        out.sort(key=lambda e: (e.t_s, e.source, e.kind, e.id))
        return out

    def read_bouts(self, user: str, from_s: float, to_s: float) -> list[BoutRecord]:
        out = []
        for row in self._rows(lp.BOUT, user, to_ns(from_s), to_ns(to_s), "ms"):
            gap = row.get("gap_s")
            out.append(
                BoutRecord(
                    user,
                    row["time"] / 1000.0,
                    float(row.get("end_s") or 0.0),
                    float(row.get("seated_s") or 0.0),
                    int(row.get("micro_breaks") or 0),
                    float(row.get("hip_gt90_s") or 0.0),
                    float(row.get("hip_dose_deg_min") or 0.0),
                    row.get("ended_by") or "",
                    None if gap is None else float(gap),
                )
            )
        return out

    def read_daily(self, user: str, from_s: float, to_s: float) -> list[DailyRecord]:
        out = []
        for row in self._rows(lp.DAILY, user, to_ns(from_s), to_ns(to_s), "s"):
            f = {k: float(row.get(k) or 0.0) for k in DAILY_SECONDS}
            c = {k: int(row.get(k) or 0) for k in DAILY_COUNTS}
            out.append(
                DailyRecord(
                    user,
                    str(row.get("date") or ""),
                    float(row["time"]),
                    f["compression_s"],
                    f["hip_gt90_s"],
                    c["bouts_over_30"],
                    f["saddle_s"],
                    c["prompted"],
                    c["taken"],
                    c["natural"],
                    c["late"],
                    c["snoozed"],
                    c["ignored"],
                )
            )
        return out

    def read_pain(self, user: str, from_s: float, to_s: float) -> list[PainReport]:
        out = []
        for row in self._rows(lp.PAIN, user, to_ns(from_s), to_ns(to_s), "s"):
            out.append(
                PainReport(
                    user,
                    float(row["time"]),
                    int(row.get("score") or 0),
                    pain_when(row.get("when")),
                    str(row.get("note") or ""),
                )
            )
        return out

    def read_rides(self, user: str, from_s: float, to_s: float) -> list[RideRecord]:
        rows = self._rows(lp.RIDE, user, to_ns(from_s), to_ns(to_s), "s")
        return [ride_of_row(user, row) for row in rows]

    def users(self) -> list[str]:
        found: set[str] = set()
        tables = ", ".join(
            quote_ident(m) for m in (lp.TIMELINE, lp.EVENT, lp.BOUT, lp.DAILY, lp.PAIN, lp.RIDE)
        )
        for series in self.stream(f'SHOW TAG VALUES FROM {tables} WITH KEY = "user"', "s"):
            cols = series.columns
            at = cols.index("value") if "value" in cols else len(cols) - 1
            found.update(str(row[at]) for row in series.values)
        return sorted(found)
