"""The history factory (no server): each URL kind opens its store, errors name the
part of the URL and the fix, and secrets never appear in messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.sinks.history.factory import HistoryUrlError, open_store, redact, sqlite_file
from collector.sinks.history.influx_v1 import InfluxV1Store
from collector.sinks.history.influx_v2 import InfluxV2Store
from collector.sinks.history.sqlite_store import SqliteStore

SECRET = "s3cr3t-T0ken-VALUE"


# --- the factory ----------------------------------------------------------------------


def test_factory_opens_each_kind(tmp_path: Path) -> None:
    s = open_store(f"sqlite://{tmp_path}/h.db", {})
    assert isinstance(s, SqliteStore)
    assert s.path == tmp_path / "h.db"
    s.close()

    v1 = open_store(
        "influxdb-v1://ha@homeassistant.local/sitload?rp=year", {"SITLOAD_INFLUX_PASSWORD": SECRET}
    )
    assert isinstance(v1, InfluxV1Store)
    assert (v1.url, v1.database, v1.username, v1.retention_policy) == (
        "http://homeassistant.local:8086",
        "sitload",
        "ha",
        "year",
    )
    assert SECRET not in repr(v1)
    v1.close()
    v1s = open_store("influxdb-v1://influx.example:8443/my%20db?tls=1&gzip=1&timeout_s=3", {})
    assert isinstance(v1s, InfluxV1Store)
    assert (v1s.url, v1s.database, v1s.gzip, v1s.timeout_s) == (
        "https://influx.example:8443",
        "my db",
        True,
        3.0,
    )
    v1s.close()

    v2 = open_store(
        "influxdb://eu.cloud2.influxdata.com:443?org=clinic&bucket=sitload&tls=1",
        {"INFLUX_TOKEN": "x", "SITLOAD_INFLUX_TOKEN": SECRET},
    )
    assert isinstance(v2, InfluxV2Store)
    assert (v2.url, v2.org, v2.bucket) == (
        "https://eu.cloud2.influxdata.com:443",
        "clinic",
        "sitload",
    )
    assert SECRET not in repr(v2)
    v2.close()


@pytest.mark.parametrize(
    ("url", "env", "match"),
    [
        ("history.db", {}, "not a URL"),
        ("mysql://db/x", {}, "unknown scheme 'mysql'"),
        ("sqlite://relative/h.db", {}, "absolute file path"),
        ("sqlite:///", {}, "absolute file path"),
        ("sqlite:///tmp/h.db?mode=ro", {}, "not used by SQLite"),
        ("influxdb-v1://host:80x/db", {}, "port must be a number"),
        ("influxdb-v1:///db", {}, "no host"),
        ("influxdb-v1://host:8086", {}, "path must be the database name"),
        ("influxdb-v1://host:8086/a/b", {}, "path must be the database name"),
        ("influxdb-v1://ha@host/db", {}, "needs a password: set SITLOAD_INFLUX_PASSWORD"),
        ("influxdb-v1://:pw@host/db", {}, "password without a user name"),
        ("influxdb-v1://host/db?retention=x", {}, "unknown query parameter 'retention'"),
        ("influxdb-v1://host/db?tls=maybe", {}, "tls='maybe' must be 1 or 0"),
        ("influxdb-v1://host/db?ca_file=/ca.pem", {}, "ca_file needs tls=1"),
        ("influxdb-v1://host/db?timeout_s=-1", {}, "timeout_s='-1' must be a number"),
        ("influxdb://host:8086?org=o&bucket=b", {}, "no API token: set SITLOAD_INFLUX_TOKEN"),
        ("influxdb://host:8086?bucket=b", {"INFLUX_TOKEN": "t"}, "missing org"),
        ("influxdb://host:8086", {"INFLUX_TOKEN": "t"}, "missing org and bucket"),
        ("influxdb://host:8086/b?org=o", {"INFLUX_TOKEN": "t"}, "bucket as a query parameter"),
        ("influxdb://u:pw@host?org=o&bucket=b", {"INFLUX_TOKEN": "t"}, "not a user in the URL"),
        (f"influxdb://host?org=o&bucket=b&token={SECRET}", {}, "secrets do not go in the URL"),
    ],
)
def test_factory_errors_name_the_part_and_the_fix(
    url: str, env: dict[str, str], match: str
) -> None:
    with pytest.raises(HistoryUrlError, match=match) as err:
        open_store(url, env)
    assert isinstance(err.value, ValueError)
    assert SECRET not in str(err.value)


def test_secrets_never_appear_in_messages() -> None:
    for url in (
        f"influxdb-v1://ha:{SECRET}@host:99999/db",
        f"influxdb-v1://ha:{SECRET}@host/db?bad=1",
        f"influxdb-v1://ha:{SECRET}@host",
        f"influxdb://ha:{SECRET}@host?org=o&bucket=b",
        f"influxdb://host?org=o&bucket=b&token={SECRET}",
        f"influxdb://host?token={SECRET}&org=o",
    ):
        with pytest.raises(HistoryUrlError) as err:
            open_store(url, {})
        assert SECRET not in str(err.value), str(err.value)
        assert SECRET not in redact(url)
    assert sqlite_file("sqlite:///var/lib/my data/history.db") == Path(
        "/var/lib/my data/history.db"
    )
