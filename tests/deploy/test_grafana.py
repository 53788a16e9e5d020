"""deploy/grafana: the provisioning files are valid, consistent with each other and
with the history schema, and every dashboard query runs on a real InfluxDB 1.x
holding a simulated week (so a renamed field or measurement breaks this test)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from analytics.alert_records import STAND_PROMPTS, AlertKind
from collector.sinks.history.model import EventRecord, RideRecord
from tests.history_data import WEEK0, simulated_week
from tests.history_servers import influxd, require_influxd

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "sitload.json"
DATASOURCE = GRAFANA / "provisioning" / "datasources" / "sitload.yaml"
PROVIDER = GRAFANA / "provisioning" / "dashboards" / "sitload.yaml"


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def targets() -> list[tuple[str, dict[str, Any]]]:
    return [(p["title"], t) for p in dashboard()["panels"] for t in p["targets"]]


def test_datasource_is_influxql_and_matches_the_dashboard() -> None:
    ds = yaml.safe_load(DATASOURCE.read_text(encoding="utf-8"))
    assert ds["apiVersion"] == 1
    (source,) = ds["datasources"]
    assert source["isDefault"] is False  # Grafana refuses a second default
    assert source["type"] == "influxdb"
    assert source["jsonData"]["version"] == "InfluxQL"
    uids = {p["datasource"]["uid"] for p in dashboard()["panels"]}
    uids |= {t["datasource"]["uid"] for _, t in targets()}
    assert uids == {source["uid"]}


def test_dashboard_provider_points_at_a_folder() -> None:
    prov = yaml.safe_load(PROVIDER.read_text(encoding="utf-8"))
    (p,) = prov["providers"]
    assert p["type"] == "file"
    assert p["options"]["path"].startswith("/")


def test_panels_are_laid_out_and_queried() -> None:
    d = dashboard()
    assert d["uid"]
    assert d["templating"]["list"][0]["name"] == "user"
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)) >= 8
    cells: set[tuple[int, int]] = set()
    for p in d["panels"]:
        g = p["gridPos"]
        here = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not cells & here, f"panel {p['title']!r} overlaps another"
        assert g["x"] + g["w"] <= 24
        cells |= here
        assert p["targets"], p["title"]
    for title, t in targets():
        assert t["rawQuery"] is True, title
        assert "$timeFilter" in t["query"], title
        assert "$user" in t["query"], title


def concrete(query: str, user: str, t0: int, t1: int) -> str:
    q = query.replace("$timeFilter", f"time >= {t0}s AND time < {t1}s")
    q = q.replace("$__interval", "1m")
    return q.replace("$user", re.escape(user))


def test_every_query_runs_on_influxdb_1x(tmp_path: Path) -> None:
    require_influxd()
    from collector.sinks.history.influx_v1 import InfluxV1Store

    week = simulated_week()
    user = week.timeline.user
    with influxd(tmp_path / "influxd") as server:
        store = InfluxV1Store(server.url, "sitload")
        saddle = EventRecord(
            user, WEEK0 + 3 * 86400 + 9 * 3600, "alert", "saddle", "saddle-1", value=45.0
        )
        t_ride = WEEK0 + 5 * 86400 + 8 * 3600
        ride = RideRecord(user, t_ride, t_ride + 7200, 6900, 7000, 6400, 500, 2900, 14, 7.3)
        result = store.write(
            [
                week.timeline,
                *week.events,
                *week.bouts,
                *week.daily_updates,
                *week.pain,
                saddle,
                ride,
            ]
        )
        assert result.rejected == 0
        var = dashboard()["templating"]["list"][0]["query"]
        users = server.query(var, "sitload")["results"][0]["series"][0]["values"]
        assert [user] in [v[1:] for v in users]
        t0, t1 = WEEK0, WEEK0 + 8 * 86400
        for title, t in targets():
            res = server.query(concrete(t["query"], user, t0, t1), "sitload")["results"][0]
            assert "error" not in res, f"{title}: {res.get('error')}"
            series = res.get("series") or []
            assert series, f"{title}: the query found nothing: {t['query']}"
            values = [v for s in series for v in s["values"]]
            assert any(x is not None for v in values for x in v[1:]), title
        store.close()


def test_dashboard_json_is_stable() -> None:
    text = DASHBOARD.read_text(encoding="utf-8")
    assert text.endswith("\n")
    assert json.loads(text)["schemaVersion"] >= 36


def annotations() -> list[dict[str, Any]]:
    """The dashboard's InfluxDB annotations (not Grafana's built-in one)."""
    listed = dashboard()["annotations"]["list"]
    return [a for a in listed if a["datasource"]["type"] == "influxdb"]


def _kinds(query: str) -> set[str]:
    (alternatives,) = re.findall(r'"kind" =~ /\^\(([a-z_|]+)\)\$/', query)
    return set(alternatives.split("|"))


def test_alerts_are_annotations_from_the_alert_events() -> None:
    found = annotations()
    assert [a["name"] for a in found] == ["Prompts", "Breaks and answers"]
    for a in found:
        assert a["enable"] is True
        assert a["datasource"]["uid"] == "sitload-influxdb"
        q = a["query"]
        assert q.startswith('SELECT "message", "kind" FROM "event" WHERE "source" = \'alert\'')
        assert "$timeFilter" in q
        assert '"user" =~ /^$user$/' in q
        assert (a["textColumn"], a["tagsColumn"]) == ("message", "kind")
        assert _kinds(q) <= {k.value for k in AlertKind}
    prompts, answers = (_kinds(a["query"]) for a in found)
    assert prompts == {k.value for k in STAND_PROMPTS} | {"posture", "saddle"}
    assert answers == {"break_complete", "snoozed", "acknowledged"}


def test_the_annotation_queries_find_the_alerts_on_influxdb_1x(tmp_path: Path) -> None:
    require_influxd()
    from collector.sinks.history.influx_v1 import InfluxV1Store

    user = "p-0042"
    t0 = WEEK0 + 9 * 3600
    kinds = ["prompt", "escalation", "snoozed", "break_complete", "acknowledged", "status"]
    alerts = [
        EventRecord(user, t0 + 60.0 * i, "alert", kind, f"{kind}-{i}", message=f"the {kind}")
        for i, kind in enumerate(kinds)
    ]
    other = EventRecord(user, t0 + 1.0, "exposure", "bout_started", "bout-1")
    someone_else = EventRecord("p-0043", t0 + 2.0, "alert", "prompt", "p-1", message="not hers")
    with influxd(tmp_path / "influxd") as server:
        store = InfluxV1Store(server.url, "sitload")
        assert store.write([*alerts, other, someone_else]).rejected == 0
        got: list[list[tuple[str, str]]] = []
        for a in annotations():
            q = concrete(a["query"], user, WEEK0, WEEK0 + 86400)
            res = server.query(q, "sitload")["results"][0]
            assert "error" not in res, f"{a['name']}: {res.get('error')}"
            (series,) = res["series"]
            assert series["columns"] == ["time", "message", "kind"]
            got.append([(v[1], v[2]) for v in series["values"]])
        store.close()
    assert got == [
        [("the prompt", "prompt"), ("the escalation", "escalation")],
        [
            ("the snoozed", "snoozed"),
            ("the break_complete", "break_complete"),
            ("the acknowledged", "acknowledged"),
        ],
    ]
