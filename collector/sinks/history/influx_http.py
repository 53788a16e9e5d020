"""HTTP to InfluxDB (urllib3): one base URL, fixed headers, a pool without urllib3's
own retries, and the errors an answer means.

urllib3 errors and HTTP 5xx / 408 / 429 become :class:`StoreUnavailableError` (the
writer retries); 401 / 403 and other 4xx become :class:`StoreConfigError` with the
fix. Shared by :mod:`.influx_v1`, :mod:`.influx_v2` and the reader
(:mod:`.influxql`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import urllib3

from collector.sinks.history.model import StoreConfigError, StoreUnavailableError

REASON_CHARS: Final = 200
"""Server messages are trimmed to this many characters."""

RETRYABLE_STATUS: Final = frozenset({408, 429, 500, 502, 503, 504})


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
        if status in RETRYABLE_STATUS or status >= 500:
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
