"""``[history] url`` and ``--history``: the history store's URL (SQLite or InfluxDB),
checked (the table's model is :class:`collector.config.load.HistoryTable`)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from collector.config.errors import ConfigError, redact_url
from collector.config.records import APP_NAME

HISTORY_SCHEMES = ("sqlite", "influxdb-v1", "influxdb")


def sqlite_path(url: str) -> Path:
    """The database file of a ``sqlite:///ABSOLUTE/PATH`` history URL."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a sqlite:/// URL: {redact_url(url)!r}")
    return Path("/" + url[len("sqlite:///") :].lstrip("/"))


def check_history_url(url: str, where: str) -> str:
    shown = redact_url(url)
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in HISTORY_SCHEMES:
        raise ConfigError(
            f"{where}: {shown!r}: unknown history store; use sqlite:///PATH/history.db, "
            "influxdb://HOST:PORT/… (2.x/3.x) or influxdb-v1://HOST:PORT/…"
        )
    if scheme == "sqlite":
        if not rest.startswith("/") or rest.strip("/") == "":
            raise ConfigError(
                f"{where}: {shown!r}: give an absolute file path after sqlite:// , e.g. "
                "sqlite:///var/lib/sitload/history.db"
            )
        # one canonical form: sqlite:/// + the absolute path
        return "sqlite:///" + rest.lstrip("/")
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not host:
        raise ConfigError(f"{where}: {shown!r}: no host; e.g. {scheme}://localhost:8086/…")
    return url


def default_history_url() -> str:
    return check_history_url(
        f"sqlite:///{platformdirs.user_data_path(APP_NAME)}/history.db", "default"
    )
