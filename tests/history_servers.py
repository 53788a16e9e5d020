"""Real history servers for the tests and the benchmark.

* :class:`InfluxD`: Debian's InfluxDB 1.x (``influxd``) with a generated config in a
  temporary directory (meta / data / wal folders, HTTP on a free loopback port,
  reporting and the ``_internal`` monitor store switched off).
* :class:`VictoriaMetrics`: ``victoria-metrics`` on a free loopback port; it takes
  the InfluxDB line protocol on ``/write`` (v1) and ``/api/v2/write`` (v2, what
  influxdb-client sends) and returns what it stored through ``/api/v1/export``.

Both have ``start()``, ``stop(kill=True)`` (SIGKILL: a crash) and ``restart()`` on
the same port with the same data folder, and are context managers. Tests are
skipped, with the package to install, only when the binary is absent (CI installs
both: see ``.ci/run``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Self

from tests.server_process import HOST, ServerProcess, free_port, missing


def _binary(name: str, fallback: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return fallback if os.access(fallback, os.X_OK) else None


def influxd_binary() -> str | None:
    return _binary("influxd", "/usr/bin/influxd")


def victoria_metrics_binary() -> str | None:
    return _binary("victoria-metrics", "/usr/bin/victoria-metrics")


def require_influxd() -> str:
    found = influxd_binary()
    if found is None:
        missing(
            "needs InfluxDB 1.x: install it with `sudo apt-get install influxdb` "
            "(Debian/Ubuntu; it provides /usr/bin/influxd)"
        )
    return found


def require_victoria_metrics() -> str:
    found = victoria_metrics_binary()
    if found is None:
        missing(
            "needs VictoriaMetrics: install it with `sudo apt-get install victoria-metrics` "
            "(Debian/Ubuntu; it provides /usr/bin/victoria-metrics)"
        )
    return found


def http(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout_s: float = 10.0,
) -> tuple[int, bytes]:
    """A plain HTTP request (stdlib only): status and body, also for 4xx/5xx."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


class _Server(ServerProcess):
    """An HTTP server process: ready when ``health_path`` answers ``health_status``."""

    health_path = "/"
    health_status = 200

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def healthy(self) -> bool:
        try:
            status, _ = http("GET", self.url + self.health_path, timeout_s=1.0)
        except OSError:
            return False
        return status == self.health_status


# --- InfluxDB 1.x ---------------------------------------------------------------------


class InfluxD(_Server):
    """``influxd`` (InfluxDB 1.x) with its config, data and log in ``workdir``.

    ``auth=True`` switches authentication on and creates the admin user
    (:attr:`ADMIN`, :attr:`ADMIN_PASSWORD`) at the first start; :meth:`query` uses it.
    ``http_config`` lines are added to the ``[http]`` section (e.g. a row limit)."""

    name = "influxd"
    health_path = "/ping"
    health_status = 204
    ADMIN = "admin"
    ADMIN_PASSWORD = "admin-pw"

    def __init__(self, workdir: Path, *, auth: bool = False, http_config: str = "") -> None:
        self.binary = require_influxd()
        super().__init__(workdir)
        self.rpc_port = 0
        self.conf_path = workdir / "influxdb.conf"
        self.auth = auth
        self.http_config = http_config
        self._admin_created = False

    def start(self, timeout_s: float | None = None) -> Self:
        super().start(timeout_s)
        if self.auth and not self._admin_created:
            q = (
                f"CREATE USER {self.ADMIN} WITH PASSWORD '{self.ADMIN_PASSWORD}' "
                "WITH ALL PRIVILEGES"
            )
            status, body = http(
                "POST",
                f"{self.url}/query",
                urllib.parse.urlencode({"q": q}).encode(),
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            if status != 200:
                raise RuntimeError(f"influxd: creating the admin user: {status} {body!r}")
            self._admin_created = True
        return self

    def _auth_headers(self) -> dict[str, str]:
        if not self.auth:
            return {}
        token = base64.b64encode(f"{self.ADMIN}:{self.ADMIN_PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def _prepare(self) -> None:
        if self.rpc_port == 0 or self.rpc_port == self.port:
            self.rpc_port = free_port()
        d = self.workdir
        for sub in ("meta", "data", "wal"):
            (d / sub).mkdir(exist_ok=True)
        self.conf_path.write_text(
            f"""reporting-disabled = true
bind-address = "{HOST}:{self.rpc_port}"

[meta]
  dir = "{d / "meta"}"
  logging-enabled = false

[data]
  dir = "{d / "data"}"
  wal-dir = "{d / "wal"}"
  wal-fsync-delay = "0s"
  index-version = "inmem"
  query-log-enabled = false
  trace-logging-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  enabled = true
  bind-address = "{HOST}:{self.port}"
  auth-enabled = {"true" if self.auth else "false"}
  log-enabled = false
  pprof-enabled = false
  max-body-size = 0
{self.http_config}
""",
            encoding="utf-8",
        )

    def _command(self) -> list[str]:
        return [self.binary, "-config", str(self.conf_path)]

    def query(self, q: str, db: str | None = None, *, epoch: str = "s") -> Any:
        """InfluxQL through ``/query`` (POST); the decoded JSON."""
        params = {"q": q, "epoch": epoch}
        if db:
            params["db"] = db
        status, body = http(
            "POST",
            f"{self.url}/query",
            urllib.parse.urlencode(params).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", **self._auth_headers()},
        )
        if status != 200:
            raise AssertionError(f"query {q!r}: HTTP {status}: {body[:300]!r}")
        return json.loads(body)

    def write_lines(self, db: str, lines: str, precision: str = "s") -> tuple[int, bytes]:
        """Raw line protocol to ``/write`` (status and body)."""
        query = urllib.parse.urlencode({"db": db, "precision": precision})
        return http("POST", f"{self.url}/write?{query}", lines.encode(), self._auth_headers())


@contextlib.contextmanager
def influxd(workdir: Path, **kw: Any) -> Iterator[InfluxD]:
    """A started :class:`InfluxD`, killed on exit (for fixtures)."""
    server = InfluxD(workdir, **kw)
    try:
        server.start()
        yield server
    finally:
        server.stop(kill=True)


# --- VictoriaMetrics --------------------------------------------------------------------


class VictoriaMetrics(_Server):
    """``victoria-metrics`` with its data in ``workdir/data``."""

    name = "victoria-metrics"
    health_path = "/health"

    def __init__(self, workdir: Path, *extra_flags: str) -> None:
        self.binary = require_victoria_metrics()
        super().__init__(workdir)
        self.extra_flags = list(extra_flags)
        self.basic_auth: tuple[str, str] | None = None
        for flag in extra_flags:
            if flag.startswith("-httpAuth.username="):
                password = next(
                    (
                        f.split("=", 1)[1]
                        for f in extra_flags
                        if f.startswith("-httpAuth.password=")
                    ),
                    "",
                )
                self.basic_auth = (flag.split("=", 1)[1], password)

    def _auth_headers(self) -> dict[str, str]:
        if self.basic_auth is None:
            return {}
        token = base64.b64encode(":".join(self.basic_auth).encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def healthy(self) -> bool:
        try:
            status, _ = http("GET", self.url + "/health", headers=self._auth_headers(), timeout_s=1)
        except OSError:
            return False
        return status == 200

    def _command(self) -> list[str]:
        return [
            self.binary,
            f"-httpListenAddr={HOST}:{self.port}",
            f"-storageDataPath={self.workdir / 'data'}",
            "-retentionPeriod=100y",
            "-search.latencyOffset=0s",
            "-search.disableCache",
            "-loggerLevel=WARN",
            *self.extra_flags,
        ]

    def flush(self) -> None:
        """Make the samples received so far searchable (``/internal/force_flush``)."""
        http("GET", f"{self.url}/internal/force_flush", headers=self._auth_headers())

    def export(
        self, match: str, start_s: float | None = None, end_s: float | None = None
    ) -> list[Any]:
        """``/api/v1/export``: one JSON object per series (``metric`` labels,
        ``values``, ``timestamps`` in ms)."""
        params = [("match[]", match)]
        if start_s is not None:
            params.append(("start", str(start_s)))
        if end_s is not None:
            params.append(("end", str(end_s)))
        status, body = http(
            "GET",
            f"{self.url}/api/v1/export?{urllib.parse.urlencode(params)}",
            headers=self._auth_headers(),
            timeout_s=60,
        )
        if status != 200:
            raise AssertionError(f"export {match!r}: HTTP {status}: {body[:300]!r}")
        return [json.loads(line) for line in body.splitlines() if line.strip()]

    def wait_for(
        self, match: str, predicate: Callable[[list[Any]], bool], timeout_s: float = 10.0
    ) -> list[Any]:
        """The export of ``match`` once ``predicate`` holds for it."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.flush()
            got = self.export(match)
            if predicate(got) or time.monotonic() > deadline:
                return got
            time.sleep(0.1)


@contextlib.contextmanager
def victoria_metrics(workdir: Path, *extra_flags: str) -> Iterator[VictoriaMetrics]:
    """A started :class:`VictoriaMetrics`, killed on exit (for fixtures)."""
    server = VictoriaMetrics(workdir, *extra_flags)
    try:
        server.start()
        yield server
    finally:
        server.stop(kill=True)
