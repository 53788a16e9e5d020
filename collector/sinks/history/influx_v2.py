"""History in InfluxDB 2.x / 3.x / InfluxDB Cloud (the v2 write API).

Writes go through influxdb-client's **synchronous** write API
(``write_api(write_options=SYNCHRONOUS)``): one ``/api/v2/write`` request per
precision and at most ``max_lines`` lines, and the answer is known when ``write``
returns. The client's batching WriteApi is not used: its ``flush()`` sends nothing,
and a batch that runs out of retries is only handed to an error callback — the
:class:`~collector.sinks.history.writer.HistoryWriter` batches, retries and spools.

* 204: written. 400 / 422: bad points → rejected, isolated by halving like
  :mod:`.influx_v1` (InfluxDB 2.x also writes the good points of a request and says
  ``partial write … dropped=N``).
* 401 / 403: :class:`StoreConfigError` (check the token, its write permission on the
  bucket, the org). 404: the org or bucket does not exist.
* 413: split. 5xx, 429, connection errors, timeouts: :class:`StoreUnavailableError`.

Reads use InfluxQL on the v1-compatible ``/query?db=<bucket>`` with
``Authorization: Token …`` (the code of :mod:`.influxql`, shared with InfluxDB 1.x).
InfluxDB 2.x maps every bucket to a database of the same name (a virtual DBRP
mapping); on InfluxDB 3 / Cloud Serverless the bucket is the database.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import urllib3
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from collector.sinks.history import influx_lines as lp
from collector.sinks.history.influx_http import InfluxHttp, redacted, server_message, trim
from collector.sinks.history.influx_v1 import InfluxStoreBase, PostFn, PostOutcome
from collector.sinks.history.influxql import InfluxQLReader
from collector.sinks.history.model import (
    StoreConfigError,
    StoreUnavailableError,
)

log = logging.getLogger(__name__)

TOKEN_ENV = "SITLOAD_INFLUX_TOKEN"


class InfluxV2Store(InfluxStoreBase):
    """A :class:`~collector.sinks.history.model.HistoryStore` in an InfluxDB 2.x / 3.x bucket."""

    name = "influxdb"

    def __init__(
        self,
        url: str,
        org: str,
        bucket: str,
        token: str,
        *,
        timeout_s: float = 10.0,
        gzip: bool = False,
        ca_file: str | None = None,
        max_lines: int = 10_000,
    ) -> None:
        if not bucket:
            raise ValueError("InfluxDB 2.x needs a bucket")
        self.url = url.rstrip("/")
        self.shown = redacted(self.url)
        self.org = org
        self.bucket = bucket
        self.max_lines = max_lines
        self.timeout_s = timeout_s
        self.gzip = gzip
        kw: dict[str, Any] = {}
        if ca_file:
            kw["ssl_ca_cert"] = ca_file
        self._client: Any = InfluxDBClient(
            url=self.url,
            token=token,
            org=org,
            timeout=int(timeout_s * 1000),
            enable_gzip=gzip,
            retries=False,
            **kw,
        )
        self._write_api: Any = self._client.write_api(write_options=SYNCHRONOUS)
        self._auth_fix = (
            f"check the token ({TOKEN_ENV} or INFLUX_TOKEN): it must be valid and allowed "
            f"to write and read bucket {bucket!r} of org {org!r}"
        )
        self._http = InfluxHttp(
            self.url, {"Authorization": f"Token {token}"}, timeout_s=timeout_s, ca_file=ca_file
        )
        self._reader = InfluxQLReader(self._http, bucket, auth_fix=self._auth_fix)
        self._sender = ThreadPoolExecutor(1, thread_name_prefix="influxdb-send")

    def __repr__(self) -> str:
        return f"InfluxV2Store({self.shown!r}, org={self.org!r}, bucket={self.bucket!r})"

    # --- writing ---------------------------------------------------------------------

    def _post_of(self, precision: lp.Precision) -> PostFn:
        return functools.partial(self._post, precision)

    def _post(self, precision: lp.Precision, lines: Sequence[str]) -> tuple[PostOutcome, str]:
        body = "\n".join(lines).encode("utf-8")
        try:
            try:
                self._write_api.write(
                    self.bucket, self.org, body, write_precision=lp.V2_PRECISION[precision]
                )
            except urllib3.exceptions.ProtocolError:
                # a pooled connection the server closed meanwhile: once more (idempotent)
                self._write_api.write(
                    self.bucket, self.org, body, write_precision=lp.V2_PRECISION[precision]
                )
        except ApiException as exc:
            status = int(exc.status or 0)
            answer = exc.body if isinstance(exc.body, bytes) else str(exc.body or "").encode()
            message = server_message(answer)
            if status in (400, 422):
                return "bad", message
            if status == 413:
                return "too_large", f"request too large (HTTP 413): {trim(message)}"
            if status in (401, 403):
                raise StoreConfigError(
                    f"InfluxDB at {self.shown} refused the write (HTTP {status}: "
                    f"{trim(message)}); {self._auth_fix}"
                ) from None
            if status == 404:
                raise StoreConfigError(
                    f"InfluxDB at {self.shown}: {trim(message)} (HTTP 404); check org "
                    f"{self.org!r} and bucket {self.bucket!r} in the history URL "
                    "(influxdb://HOST:PORT?org=ORG&bucket=BUCKET) and that the bucket exists"
                ) from None
            if status in (408, 429) or status >= 500 or status == 0:
                raise StoreUnavailableError(
                    f"InfluxDB at {self.shown} answered HTTP {status}: {trim(message)}"
                ) from None
            raise StoreConfigError(
                f"InfluxDB at {self.shown}: the write failed with HTTP {status} "
                f"({trim(message)}); check that the URL points to an InfluxDB 2.x / 3.x"
            ) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StoreUnavailableError(
                f"InfluxDB at {self.shown} cannot be reached: {trim(str(exc))}"
            ) from None
        return "ok", ""

    def _close_client(self) -> None:
        self._write_api.close()
        self._client.close()
