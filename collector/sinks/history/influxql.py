"""HTTP to InfluxDB (urllib3) and reading the history back with InfluxQL.

Shared by :mod:`.influx_v1` (InfluxDB 1.x: ``/write`` and ``/query``) and
:mod:`.influx_v2` (InfluxDB 2.x / 3.x / Cloud: reads through the v1-compatible
``/query`` endpoint with ``Authorization: Token …``; the bucket needs a DBRP
mapping, which InfluxDB 2.x creates virtually for every bucket, named after it).

Reads never hold a large answer in memory: every query asks for a chunked answer
(``chunked=true``: one JSON object per line, ``chunk_size`` rows each) that is
parsed as it arrives, and the time range is queried one page (a day by default) at
a time. A server that ignores ``chunked`` and cuts an answer short at its row limit
(``"partial": true`` on the last object) is asked again from the last time received.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import urlencode, urlsplit

import numpy as np
import urllib3

from analytics.live import DATA_NONE
from analytics.records import Posture
from collector.sinks.history import influx_lines as lp
from collector.sinks.history.model import (
    BoutRecord,
    DailyRecord,
    EventRecord,
    PainReport,
    StoreConfigError,
    StoreUnavailableError,
    TimelineChunk,
    event_source,
    pain_when,
)

log = logging.getLogger(__name__)

Epoch = Literal["s", "ms", "u"]
_NS_PER: Final[dict[Epoch, int]] = {"s": 1_000_000_000, "ms": 1_000_000, "u": 1_000}

REASON_CHARS: Final = 200
"""Server messages are trimmed to this many characters."""

_RETRYABLE_STATUS: Final = frozenset({408, 429, 500, 502, 503, 504})


def trim(text: str, limit: int = REASON_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def server_message(body: bytes) -> str:
    """The ``error`` / ``message`` of an InfluxDB JSON error body, else the body."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        doc = json.loads(text)
    except ValueError:
        return text
    if isinstance(doc, dict):
        for key in ("error", "message"):
            if isinstance(doc.get(key), str):
                return str(doc[key])
    return text


def redacted(url: str) -> str:
    """``url`` without user info, query or fragment (for messages)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def make_pool(
    timeout_s: float, ca_file: str | None = None, maxsize: int = 4
) -> urllib3.PoolManager:
    """A connection pool without urllib3's own retries (the writer retries)."""
    kw: dict[str, Any] = {}
    if ca_file:
        kw["ca_certs"] = ca_file
        kw["cert_reqs"] = "CERT_REQUIRED"
    return urllib3.PoolManager(
        num_pools=2,
        maxsize=maxsize,
        retries=False,
        timeout=urllib3.Timeout(connect=min(timeout_s, 5.0), read=timeout_s),
        **kw,
    )


class InfluxHttp:
    """Requests to one InfluxDB: base URL (a path prefix is kept), fixed headers
    (authorisation), a pool; urllib3 errors become :class:`StoreUnavailableError`."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        timeout_s: float,
        ca_file: str | None = None,
        what: str = "InfluxDB",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.shown = redacted(self.base_url)
        self.headers = dict(headers)
        self.pool = make_pool(timeout_s, ca_file)
        self.what = what

    def request(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]],
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> urllib3.BaseHTTPResponse:
        url = f"{self.base_url}{path}?{urlencode(params)}"
        for attempt in (1, 2):
            try:
                return self.pool.request(
                    method,
                    url,
                    body=body,
                    headers={**self.headers, **(headers or {})},
                    preload_content=not stream,
                )
            except urllib3.exceptions.ProtocolError as exc:
                # a pooled connection the server closed meanwhile (idle, restarted):
                # once more on a new one (writes are idempotent, reads harmless)
                if attempt == 2:
                    raise self._unreachable(exc) from exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise self._unreachable(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _unreachable(self, exc: BaseException) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"{self.what} at {self.shown} cannot be reached: {trim(str(exc))}"
        )

    def unavailable(self, status: int, body: bytes) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"{self.what} at {self.shown} answered HTTP {status}: {trim(server_message(body))}"
        )

    def check_status(self, status: int, body: bytes, doing: str, fix: str) -> None:
        """Raise the error a non-2xx status means (transient or configuration)."""
        if status < 300:
            return
        if status in _RETRYABLE_STATUS or status >= 500:
            raise self.unavailable(status, body)
        if status in (401, 403):
            raise StoreConfigError(
                f"{self.what} at {self.shown} refused {doing} (HTTP {status}: "
                f"{trim(server_message(body))}); {fix}"
            )
        raise StoreConfigError(
            f"{self.what} at {self.shown}: {doing} failed with HTTP {status} "
            f"({trim(server_message(body))}); check that the URL points to an InfluxDB"
        )

    def close(self) -> None:
        self.pool.clear()


def quote_ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def to_ns(t_s: float) -> int:
    """Seconds → integer nanoseconds (via microseconds: exact for any realistic time)."""
    return math.floor(t_s * 1_000_000) * 1000


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    tags: dict[str, str]
    columns: list[str]
    values: list[list[Any]]
    partial: bool = False


class InfluxQLReader:
    """Reads history records with InfluxQL ``SELECT`` over ``GET /query``.

    ``chunk_size``: rows per JSON object of a chunked answer (0: ask for unchunked
    answers); ``page_s``: the time span of one timeline query."""

    def __init__(
        self,
        http: InfluxHttp,
        database: str,
        *,
        retention_policy: str | None = None,
        chunk_size: int = 10_000,
        page_s: int = 86_400,
        auth_fix: str = "check the credentials",
    ) -> None:
        self.http = http
        self.database = database
        self.retention_policy = retention_policy
        self.chunk_size = chunk_size
        self.page_s = page_s
        self.auth_fix = auth_fix

    # --- plumbing ------------------------------------------------------------------

    def measurement(self, name: str) -> str:
        if self.retention_policy:
            return ".".join(quote_ident(p) for p in (self.database, self.retention_policy, name))
        return quote_ident(name)

    def stream(self, q: str, epoch: Epoch, cut: list[bool] | None = None) -> Iterator[Series]:
        """The series of one query as they arrive. ``cut[0]`` is set to whether the last
        JSON object of the answer said ``"partial": true`` (an answer cut short). An
        unknown database reads as empty."""
        params = [("db", self.database), ("q", q), ("epoch", epoch)]
        if self.chunk_size > 0:
            params += [("chunked", "true"), ("chunk_size", str(self.chunk_size))]
        response = self.http.request("GET", "/query", params, stream=True)
        complete = False
        try:
            if response.status != 200:
                body = response.read()
                self.http.check_status(response.status, body, "the query", self.auth_fix)
                raise StoreConfigError(
                    f"{self.http.what} at {self.http.shown}: unexpected HTTP "
                    f"{response.status} to a query"
                )
            try:
                for line in _lines(response):
                    doc = json.loads(line)
                    partial = False
                    for result, series in self._parse(doc, q):
                        partial = partial or bool(result.get("partial", False))
                        if series is not None:
                            partial = partial or series.partial
                            yield series
                    if cut is not None:
                        cut[:] = [partial]
                complete = True
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise StoreUnavailableError(
                    f"{self.http.what} at {self.http.shown}: a query answer broke off: "
                    f"{trim(str(exc))}"
                ) from exc
        finally:
            if not complete:
                response.close()  # unread rest: never hand this connection out again
            response.release_conn()

    def _parse(self, doc: dict[str, Any], q: str) -> Iterator[tuple[dict[str, Any], Series | None]]:
        if "error" in doc:
            raise StoreUnavailableError(
                f"{self.http.what} at {self.http.shown}: query failed: {trim(str(doc['error']))}"
            )
        for result in doc.get("results", ()):
            error = result.get("error")
            if error:
                if "database not found" in error:
                    continue
                raise RuntimeError(f"InfluxQL {trim(q)!r} failed: {trim(error)}")
            yield result, None
            for s in result.get("series", ()):
                yield (
                    result,
                    Series(
                        s.get("name", ""),
                        dict(s.get("tags") or {}),
                        list(s.get("columns") or ()),
                        list(s.get("values") or ()),
                        bool(s.get("partial", False)),
                    ),
                )

    def select(
        self,
        build: Callable[[int, int], str],
        from_ns: int,
        to_ns: int,
        epoch: Epoch,
        page_s: int | None = None,
    ) -> Iterator[Series]:
        """Run ``build(start_ns, end_ns)`` for consecutive time pages of
        ``[from_ns, to_ns)``. A page cut short (by a server that ignores ``chunked`` and
        has a row limit) is asked again from after the last time of the series it was
        cut in; with several series in a page (a user with two devices in one day) the
        rows of series the server did not send at all could be missed: InfluxDB 1.x and
        2.x honour ``chunked``, whose answers are never cut."""
        page_ns = (page_s or self.page_s) * 1_000_000_000
        unit = _NS_PER[epoch]
        start = from_ns
        while start < to_ns:
            end = min(to_ns, start + page_ns)
            cursor = start
            while cursor < end:
                last_t: int | None = None
                cut = [False]
                for series in self.stream(build(cursor, end), epoch, cut):
                    if series.values and isinstance(series.values[-1][0], int):
                        last_t = series.values[-1][0]
                    yield series
                if cut[0] and last_t is not None and (last_t + 1) * unit > cursor:
                    log.debug("InfluxDB cut a query answer short; asking again from %s", last_t)
                    cursor = (last_t + 1) * unit
                else:
                    break
            start = end

    def _where(self, user: str, a: int, b: int, extra: str = "") -> str:
        return f'WHERE "user" = {quote_str(user)}{extra} AND time >= {a} AND time < {b}'

    # --- the records ----------------------------------------------------------------

    def read_timeline(self, user: str, from_s: float, to_s: float) -> TimelineChunk:
        t0 = math.floor(from_s)
        t1 = max(t0, math.ceil(to_s))
        n = t1 - t0
        posture = np.full(n, Posture.NONWEAR, dtype=np.int8)
        hip = np.full(n, np.nan)
        data = np.full(n, DATA_NONE, dtype=np.int8)
        sources: set[tuple[str, str]] = set()
        table = self.measurement(lp.TIMELINE)

        def build(a: int, b: int) -> str:
            return (
                f'SELECT "posture", "hip_flexion_deg", "data" FROM {table} '
                f'{self._where(user, a, b)} GROUP BY "device", "sensor_kind"'
            )

        for series in self.select(build, t0 * 1_000_000_000, t1 * 1_000_000_000, "s"):
            if not series.values:
                continue
            cols = series.columns
            rows = np.array(series.values, dtype=np.float64)  # None → NaN
            idx = rows[:, cols.index("time")].astype(np.int64) - t0
            keep = (idx >= 0) & (idx < n)
            idx = idx[keep]
            p = rows[keep, cols.index("posture")]
            d = rows[keep, cols.index("data")]
            known = ~np.isnan(p)
            posture[idx[known]] = p[known].astype(np.int8)
            hip[idx] = rows[keep, cols.index("hip_flexion_deg")]
            known = ~np.isnan(d)
            data[idx[known]] = d[known].astype(np.int8)
            sources.add((series.tags.get("device", ""), series.tags.get("sensor_kind", "")))
        device, kind = next(iter(sources)) if len(sources) == 1 else ("", "")
        return TimelineChunk(user, t0, posture, hip, data, device=device, sensor_kind=kind)

    def _rows(
        self, name: str, user: str, from_ns: int, to_ns: int, epoch: Epoch, extra: str = ""
    ) -> Iterator[dict[str, Any]]:
        table = self.measurement(name)

        def build(a: int, b: int) -> str:
            return f"SELECT * FROM {table} {self._where(user, a, b, extra)}"

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
                    row.get("kind") or "",
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
            f = {k: float(row.get(k) or 0.0) for k in lp.DAILY_SECONDS}
            c = {k: int(row.get(k) or 0) for k in lp.DAILY_COUNTS}
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

    def users(self) -> list[str]:
        found: set[str] = set()
        tables = ", ".join(
            quote_ident(m) for m in (lp.TIMELINE, lp.EVENT, lp.BOUT, lp.DAILY, lp.PAIN)
        )
        for series in self.stream(f'SHOW TAG VALUES FROM {tables} WITH KEY = "user"', "s"):
            cols = series.columns
            at = cols.index("value") if "value" in cols else len(cols) - 1
            found.update(str(row[at]) for row in series.values)
        return sorted(found)


def _lines(response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    """The non-empty lines of a streamed answer (chunked InfluxQL: one JSON per line)."""
    rest = b""
    for block in response.stream(256 * 1024):
        rest += block
        *complete, rest = rest.split(b"\n")
        for line in complete:
            if line.strip():
                yield line
    if rest.strip():
        yield rest
