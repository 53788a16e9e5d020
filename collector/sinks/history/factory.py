"""The one place a history URL becomes a :class:`HistoryStore`.

=====================================================================  ======================
URL                                                                    store
=====================================================================  ======================
``sqlite:///ABSOLUTE/PATH/history.db`` (the default)                   :class:`SqliteStore`
``influxdb-v1://[USER@]HOST[:PORT]/DATABASE[?rp=RP]``                  :class:`InfluxV1Store`
``influxdb://HOST[:PORT]?org=ORG&bucket=BUCKET``                       :class:`InfluxV2Store`
=====================================================================  ======================

* The port defaults to 8086. ``tls=1`` in the query speaks HTTPS (``ca_file=PATH``
  for a private certificate authority); InfluxDB Cloud is
  ``influxdb://REGION.cloud2.influxdata.com:443?org=…&bucket=…&tls=1``.
* Secrets come from the environment: the InfluxDB 1.x password from
  ``SITLOAD_INFLUX_PASSWORD`` (a password in the URL is accepted too), the
  InfluxDB 2.x / 3.x API token from ``SITLOAD_INFLUX_TOKEN`` (or ``INFLUX_TOKEN``).
* Options for both InfluxDB kinds: ``timeout_s=10``, ``gzip=1`` (compress writes:
  worth it over slow links).

Errors are :class:`ValueError` whose message names the part of the URL that is
wrong and how to fix it; a password or token is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from collector.extras import require
from collector.sinks.history.model import HistoryStore

PASSWORD_ENV = "SITLOAD_INFLUX_PASSWORD"
TOKEN_ENVS = ("SITLOAD_INFLUX_TOKEN", "INFLUX_TOKEN")
DEFAULT_PORT = 8086

_V1_OPTIONS = frozenset({"rp", "tls", "ca_file", "timeout_s", "gzip"})
_V2_OPTIONS = frozenset({"org", "bucket", "tls", "ca_file", "timeout_s", "gzip"})
_SECRET_PARAMS = re.compile(r"(?i)([?&](?:token|password|pass|pwd)=)[^&#]*")

EXAMPLES = (
    "sqlite:///var/lib/sitload/history.db, influxdb-v1://USER@HOST:8086/DATABASE or "
    "influxdb://HOST:8086?org=ORG&bucket=BUCKET"
)


class HistoryUrlError(ValueError):
    """A history URL that cannot be used (the message names the part and the fix)."""


def redact(url: str) -> str:
    """The URL with any password (user info) or secret query value replaced by ``***``."""
    shown = re.sub(r"(//[^/@:?#]*:)[^/@?#]*@", r"\1***@", url)
    return _SECRET_PARAMS.sub(r"\1***", shown)


def open_store(url: str, environ: Mapping[str, str]) -> HistoryStore:
    """The store a history URL names (see the module docstring)."""
    scheme, sep, _ = url.partition("://")
    if not sep:
        raise HistoryUrlError(f"history URL {redact(url)!r}: not a URL; use {EXAMPLES}")
    scheme = scheme.lower()
    if scheme == "sqlite":
        return _sqlite(url)
    if scheme == "influxdb-v1":
        return _influx_v1(url, environ)
    if scheme == "influxdb":
        return _influx_v2(url, environ)
    raise HistoryUrlError(
        f"history URL {redact(url)!r}: unknown scheme {scheme!r}; use {EXAMPLES} "
        "(add tls=1 to the query for HTTPS)"
    )


def sqlite_file(url: str) -> Path:
    """The database file of ``sqlite:///ABSOLUTE/PATH`` (spaces as they are)."""
    rest = url.partition("://")[2]
    path, _, query = rest.partition("?")
    if query:
        raise HistoryUrlError(
            f"history URL {redact(url)!r}: the query {query!r} is not used by SQLite; remove it"
        )
    if not path.startswith("/") or not path.strip("/"):
        raise HistoryUrlError(
            f"history URL {redact(url)!r}: the path must be an absolute file path after "
            "sqlite:// (three slashes), e.g. sqlite:///var/lib/sitload/history.db"
        )
    # as collector.config.sqlite_path: the path as written (no %-decoding)
    return Path("/" + path.lstrip("/"))


def _sqlite(url: str) -> HistoryStore:
    from collector.sinks.history.sqlite_store import SqliteStore

    return SqliteStore(sqlite_file(url))


class _Parsed:
    def __init__(self, url: str, allowed: frozenset[str]) -> None:
        self.shown = redact(url)
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise HistoryUrlError(
                f"history URL {self.shown!r}: {_safe(str(exc), url)}; the port must be a "
                f"number, e.g. :{DEFAULT_PORT}"
            ) from None
        if not parts.hostname:
            raise HistoryUrlError(
                f"history URL {self.shown!r}: no host; e.g. "
                f"{parts.scheme}://localhost:{DEFAULT_PORT}/…"
            )
        self.parts = parts
        self.host = parts.hostname
        self.port = port or DEFAULT_PORT
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password is not None else None
        self.options: dict[str, str] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key not in allowed:
                hint = ""
                if key.lower() in ("token", "password", "pass", "pwd"):
                    hint = (
                        "; secrets do not go in the URL: set "
                        + (TOKEN_ENVS[0] if key.lower() == "token" else PASSWORD_ENV)
                        + " in the environment"
                    )
                raise HistoryUrlError(
                    f"history URL {self.shown!r}: unknown query parameter {key!r}; "
                    f"known: {', '.join(sorted(allowed))}{hint}"
                )
            self.options[key] = value
        self.tls = self._flag("tls")
        self.gzip = self._flag("gzip")
        self.ca_file = self.options.get("ca_file") or None
        if self.ca_file and not self.tls:
            raise HistoryUrlError(
                f"history URL {self.shown!r}: ca_file needs tls=1 (HTTPS); add &tls=1"
            )
        self.timeout_s = 10.0
        if "timeout_s" in self.options:
            try:
                self.timeout_s = float(self.options["timeout_s"])
            except ValueError:
                self.timeout_s = -1.0
            if not 0 < self.timeout_s <= 600:
                raise HistoryUrlError(
                    f"history URL {self.shown!r}: timeout_s={self.options['timeout_s']!r} "
                    "must be a number of seconds between 0 and 600, e.g. timeout_s=10"
                )

    def _flag(self, key: str) -> bool:
        value = self.options.get(key, "0").strip().lower()
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off", ""):
            return False
        raise HistoryUrlError(
            f"history URL {self.shown!r}: {key}={value!r} must be 1 or 0 (e.g. {key}=1)"
        )

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"


def _safe(text: str, url: str) -> str:
    """``text`` with anything of the URL's user info removed."""
    userinfo = urlsplit(url).netloc.rpartition("@")[0] if "@" in url else ""
    return text.replace(userinfo, "***") if userinfo else text


def _influx_v1(url: str, environ: Mapping[str, str]) -> HistoryStore:
    require("influxdb_client", "an InfluxDB history (influxdb-v1://)")
    from collector.sinks.history.influx_v1 import InfluxV1Store

    p = _Parsed(url, _V1_OPTIONS)
    database = unquote(p.parts.path.strip("/"))
    if not database or "/" in database:
        raise HistoryUrlError(
            f"history URL {p.shown!r}: the path must be the database name, e.g. "
            f"influxdb-v1://{p.host}:{p.port}/sitload"
        )
    password = p.password
    if p.username and password is None:
        password = environ.get(PASSWORD_ENV)
        if not password:
            raise HistoryUrlError(
                f"history URL {p.shown!r}: user {p.username!r} needs a password: set "
                f"{PASSWORD_ENV} in the environment"
            )
    if password and not p.username:
        raise HistoryUrlError(
            f"history URL {p.shown!r}: a password without a user name; write "
            f"influxdb-v1://USER@{p.host}:{p.port}/{database} and set {PASSWORD_ENV}"
        )
    return InfluxV1Store(
        p.base_url,
        database,
        p.username,
        password,
        timeout_s=p.timeout_s,
        retention_policy=p.options.get("rp") or None,
        gzip=p.gzip,
        ca_file=p.ca_file,
    )


def _influx_v2(url: str, environ: Mapping[str, str]) -> HistoryStore:
    require("influxdb_client", "an InfluxDB history (influxdb://)")
    from collector.sinks.history.influx_v2 import InfluxV2Store

    p = _Parsed(url, _V2_OPTIONS)
    if p.username or p.password is not None:
        raise HistoryUrlError(
            f"history URL {p.shown!r}: InfluxDB 2.x / 3.x uses an API token, not a user in "
            f"the URL; remove it and set {TOKEN_ENVS[0]}"
        )
    if p.parts.path.strip("/"):
        raise HistoryUrlError(
            f"history URL {p.shown!r}: unexpected path {p.parts.path!r}; give the bucket "
            f"as a query parameter: influxdb://{p.host}:{p.port}?org=ORG&bucket=BUCKET"
        )
    missing = [k for k in ("org", "bucket") if not p.options.get(k)]
    if missing:
        raise HistoryUrlError(
            f"history URL {p.shown!r}: missing {' and '.join(missing)}; e.g. "
            f"influxdb://{p.host}:{p.port}?org=ORG&bucket=BUCKET"
        )
    token = next((environ[k] for k in TOKEN_ENVS if environ.get(k)), None)
    if token is None:
        raise HistoryUrlError(
            f"history URL {p.shown!r}: no API token: set {TOKEN_ENVS[0]} (or "
            f"{TOKEN_ENVS[1]}) in the environment to a token that may write and read "
            f"bucket {p.options['bucket']!r}"
        )
    return InfluxV2Store(
        p.base_url,
        p.options["org"],
        p.options["bucket"],
        token,
        timeout_s=p.timeout_s,
        gzip=p.gzip,
        ca_file=p.ca_file,
    )
