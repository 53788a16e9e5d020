"""A report or clinic overview from a store that takes writes but cannot be queried
(VictoriaMetrics behind the InfluxDB v2 write API) ends with one line that says so,
exit 2, never a traceback (it was a KeyError('time') traceback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli import main
from tests.history_servers import VictoriaMetrics, victoria_metrics


@pytest.fixture(scope="module")
def vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetrics]:
    with victoria_metrics(tmp_path_factory.mktemp("vm")) as server:
        yield server


@pytest.mark.parametrize(
    "args",
    [
        [
            "report",
            "--user",
            "p1",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-07",
            "--format",
            "json",
        ],
        ["clinic", "--format", "json"],
    ],
    ids=["report", "clinic"],
)
def test_a_write_only_store_is_named_not_a_traceback(
    vm: VictoriaMetrics, tmp_path: Path, args: list[str]
) -> None:
    url = f"influxdb://127.0.0.1:{vm.port}?org=clinic&bucket=sitload"
    out = tmp_path / ("out.json" if args[0] == "report" else "clinic")
    r = CliRunner(env={"SITLOAD_INFLUX_TOKEN": "token"}).invoke(
        main, [*args, "--history", url, "--out", str(out)]
    )
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "cannot be queried with InfluxQL" in r.stderr
    assert "InfluxDB or SQLite" in r.stderr
