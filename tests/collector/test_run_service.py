"""``sitload run`` end to end against a real Mosquitto: a replayed day with exact
truth, alerts and state over MQTT, commands through the command topic, the broker
killed mid-run, and sitload itself killed mid-bout and restarted.

The expected alerts come from the live engine run in this process on the same
recording, so every alert id published over MQTT can be checked, not only counted.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.records import Posture
from collector.sinks.history.sqlite_store import SqliteStore
from tests.brokers import Mosquitto, Subscriber, require_mosquitto
from tests.collector.run_service_harness import (
    BASE,
    DAY,
    SHORT,
    SHORT_ALERTS,
    T0,
    USER,
    admin,
    alerts_of,
    alice_and_bob_broker,
    expected_alerts,
    finish,
    recording_file,
    start_run,
    unique,
    write_config,
)


@pytest.fixture(autouse=True)
def _needs_mosquitto() -> None:
    require_mosquitto()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    yield from alice_and_bob_broker(tmp_path)


def test_replayed_day_over_mqtt(broker: Mosquitto, tmp_path: Path) -> None:
    rec, path = recording_file(tmp_path, DAY)
    cfg = write_config(tmp_path, path, broker.port, speed=600)
    expected = expected_alerts(cfg, rec)
    with admin(broker, [f"{BASE}/#", "homeassistant/#"]) as sub:
        proc = start_run(cfg, tmp_path)
        out = finish(proc, tmp_path)
        sub.wait_for(
            lambda ms: any(
                m.topic == f"{BASE}/availability" and m.payload == b"offline" for m in ms
            ),
            10,
            "offline at the end",
        )
        got = unique(alerts_of(sub))
        states = [m.json() for m in sub.on(f"{BASE}/state")]
        discovery = [m for m in sub.snapshot() if m.topic.startswith("homeassistant/")]
    assert "Break complete" in out  # the console sink printed too
    assert [a["id"] for a in got] == [a["id"] for a in expected]
    kinds = [(a["kind"], a["t_s"] - T0) for a in got]
    assert kinds == [
        ("prompt", 180 + 1800),
        ("escalation", 180 + 2400),
        ("break_started", 180 + 2700),
        ("break_complete", 180 + 2700 + 120),
    ]
    prompt, esc, _started, done = got
    assert prompt["bout_minutes"] == 30
    assert prompt["bout_start_t_s"] == T0 + 180
    assert prompt["stand_for_s"] == 120
    assert "stand up for 2 min" in prompt["message"]
    assert esc["bout_minutes"] == 40
    assert esc["level"] == 2
    assert done["upright_s"] == 120
    assert done["adherence"]["taken"] == 1
    for a in got:
        assert a["user"] == USER
        assert a["t"].startswith("2026-11-23T")
        assert {"raised_at", "sent_at", "late", "delay_s"} <= set(a)
    assert states
    assert states[-1]["today_bouts_over_30"] == 1
    assert states[-1]["adherence"]["prompted"] == 2
    assert len(discovery) >= 8
    # the history kept every second, every alert and the day's totals
    store = SqliteStore(tmp_path / "history.db")
    try:
        end = T0 + 3720
        kept = store.read_events(USER, T0, end, "alert")
        assert [e.id for e in kept] == [a["id"] for a in expected]
        tl = store.read_timeline(USER, T0, end)
        assert tl.n == 3720
        assert int((tl.posture == Posture.SITTING).sum()) == pytest.approx(3300, abs=30)
        (daily,) = store.read_daily(USER, T0 - 86400, end)
        assert (daily.prompted, daily.taken, daily.bouts_over_30) == (2, 1, 1)
        assert [b.ended_by for b in store.read_bouts(USER, T0, end)] == ["break"]
    finally:
        store.close()
    with admin(broker, ["homeassistant/#", f"{BASE}/availability", f"{BASE}/state"]) as late:
        kept = late.wait_for(lambda ms: len(ms) >= len(discovery) + 2, 10, "retained messages")
    assert all(m.retain for m in kept)  # a subscriber arriving later gets them all
    assert {m.topic for m in kept} >= {m.topic for m in discovery}


def test_commands_through_the_command_topic(broker: Mosquitto, tmp_path: Path) -> None:
    _rec, path = recording_file(tmp_path, SHORT)
    cfg = write_config(tmp_path, path, broker.port, speed=20, alerts=SHORT_ALERTS)
    user, pw = broker.credentials(USER)
    with Subscriber(broker.port, [f"{BASE}/#"], username=user, password=pw).start() as sub:
        proc = start_run(cfg, tmp_path)
        try:
            sub.wait_for(
                lambda ms: any(
                    m.topic == f"{BASE}/alert" and m.json()["kind"] == "prompt" for m in ms
                ),
                60,
                "first prompt",
            )
            sub.client.publish(f"{BASE}/command", "snooze 3", qos=1)
            r1 = sub.wait_topic(f"{BASE}/command/reply", 1, 20)[0].json()
            sub.client.publish(f"{BASE}/command", json.dumps({"command": "ack"}), qos=1)
            sub.client.publish(f"{BASE}/command", "dance", qos=1)
            replies = [m.json() for m in sub.wait_topic(f"{BASE}/command/reply", 3, 20)]
        finally:
            proc.send_signal(signal.SIGTERM)
        finish(proc, tmp_path)
        got = unique(alerts_of(sub))
    assert r1["ok"]
    assert r1["results"][0]["kind"] == "snoozed"
    by_cmd = {r["command"]: r for r in replies}
    assert by_cmd["ack"]["ok"]
    assert by_cmd["ack"]["results"][0]["kind"] == "acknowledged"
    assert not by_cmd["dance"]["ok"]
    assert "unknown command" in by_cmd["dance"]["error"]
    kinds = [a["kind"] for a in got]
    assert "snoozed" in kinds
    assert "acknowledged" in kinds
    # a refused command is answered to its sender, not broadcast as an alert
    assert "rejected" not in kinds


def test_broker_killed_mid_run_loses_no_alert(broker: Mosquitto, tmp_path: Path) -> None:
    rec, path = recording_file(tmp_path, SHORT)
    cfg = write_config(tmp_path, path, broker.port, speed=40, alerts=SHORT_ALERTS)
    expected = expected_alerts(cfg, rec)
    assert len(expected) >= 6
    with admin(broker, [f"{BASE}/#"]) as sub:
        proc = start_run(cfg, tmp_path)
        sub.wait_for(
            lambda ms: any(
                m.topic == f"{BASE}/state" and m.json()["bout_minutes"] >= 1 for m in ms
            ),
            60,
            "a bout under way",
        )
        broker.stop(kill=True)  # prompts fall due while the broker is down
        time.sleep(6.0)
        broker.start()
        finish(proc, tmp_path)
        sub.wait_for(
            lambda ms: (
                len({m.json()["id"] for m in ms if m.topic == f"{BASE}/alert"}) >= len(expected)
            ),
            20,
            "every alert after the restart",
        )
        got = unique(alerts_of(sub))
    assert [a["id"] for a in got] == [a["id"] for a in expected]
    assert any(a["late"] for a in got), "alerts raised while the broker was down are late"


def test_sitload_killed_mid_bout_keeps_the_clock(broker: Mosquitto, tmp_path: Path) -> None:
    rec, path = recording_file(tmp_path, DAY)
    cfg = write_config(tmp_path, path, broker.port, speed=150)
    expected = expected_alerts(cfg, rec)
    with admin(broker, [f"{BASE}/#"]) as sub:
        proc = start_run(cfg, tmp_path, "first")
        sub.wait_for(
            lambda ms: any(
                m.topic == f"{BASE}/state" and m.json()["bout_minutes"] >= 20 for m in ms
            ),
            60,
            "20 minutes into the bout",
        )
        time.sleep(2.5)  # the state is saved every 2 s
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not unique(alerts_of(sub))  # no prompt yet
        again = start_run(cfg, tmp_path, "second")
        finish(again, tmp_path, "second")
        got = unique(alerts_of(sub))
    assert [a["id"] for a in got] == [a["id"] for a in expected]
    prompt = got[0]
    assert prompt["kind"] == "prompt"
    assert prompt["bout_start_t_s"] == T0 + 180
    assert prompt["t_s"] == T0 + 180 + 1800
