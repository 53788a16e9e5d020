"""``sitload run`` end to end against a real Mosquitto: a replayed day with exact
truth, alerts and state over MQTT, commands through the command topic, the broker
killed mid-run, and sitload itself killed mid-bout and restarted.

The expected alerts come from the live engine run in this process on the same
recording, so every alert id published over MQTT can be checked, not only counted.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from analytics.records import Posture, Recording
from collector.config import Overrides, load_settings
from collector.recordings import write_recording
from collector.service.engine import LiveEngine
from collector.sinks.history.sqlite_store import SqliteStore
from collector.sources.messages import Role, SampleBlock
from tests.analytics.signals import Part, build
from tests.brokers import Mosquitto, Subscriber, require_mosquitto

require_mosquitto()

T0 = 1_795_420_800.0  # Monday 08:00 UTC
USER = "alice"
BASE = f"sitload/{USER}"
DAY = [
    Part("walk", 120),
    Part("stand", 60),
    Part("sit", 2700),
    Part("stand", 180),
    Part("sit", 600),
    Part("walk", 60),
]
SHORT = [  # with prompt_after_min = 2: prompts every few minutes
    Part("walk", 120),
    Part("stand", 60),
    Part("sit", 900),
    Part("stand", 180),
    Part("sit", 300),
    Part("walk", 60),
]
SHORT_ALERTS = """
prompt_after_min = 2
escalate_after_min = 4
repeat_every_min = 2
"""


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    b = Mosquitto(tmp_path / "broker", {USER: "alice-pw", "bob": "bob-pw"}).start()
    try:
        yield b
    finally:
        b.stop(kill=True)


def write_config(tmp: Path, rec_file: Path, port: int, *, speed: float, alerts: str = "") -> Path:
    cfg = tmp / "sitload.toml"
    cfg.write_text(
        f"""
[user]
id = "{USER}"
timezone = "UTC"

[source]
kind = "replay"
file = "{rec_file}"
speed = {speed}

[alerts]
quiet_hours = []
{alerts}

[mqtt]
url = "mqtt://127.0.0.1:{port}"
username = "{USER}"
password = "${{SITLOAD_TEST_MQTT_PASSWORD}}"
late_after_s = 1.0

[console]
enabled = true
desktop = false
status_every_s = 0

[state]
dir = "{tmp / "state"}"

[history]
url = "sqlite:///{tmp / "history.db"}"
""",
        encoding="utf-8",
    )
    return cfg


def recording_file(tmp: Path, parts: list[Part], seed: int = 2) -> tuple[Recording, Path]:
    rec = build(parts, seed=seed, trunk=True, t0_s=T0).recording
    path = tmp / "day.csv"
    write_recording(rec, path)
    return rec, path


def expected_alerts(cfg: Path, rec: Recording) -> list[dict[str, Any]]:
    """The alerts of the same data through the engine in this process."""
    s = load_settings(cfg, Overrides(), environ={"SITLOAD_TEST_MQTT_PASSWORD": "x"})
    eng = LiveEngine({Role.THIGH, Role.TRUNK}, alert_params=s.alerts, exposure_params=s.exposure)
    t = rec.t_s
    cuts = np.searchsorted(t, np.arange(t[0], t[-1] + 2, 1.0))
    out = []
    for a, c in itertools.pairwise(cuts):
        if c > a:
            eng.accept(SampleBlock("a", "x", Role.THIGH, t[a:c], acc_g=rec.thigh_acc_g[a:c]))
            assert rec.trunk_acc_g is not None
            eng.accept(SampleBlock("b", "x", Role.TRUNK, t[a:c], acc_g=rec.trunk_acc_g[a:c]))
            out += eng.process().alerts
    out += eng.process(flush=True).alerts
    return [a.to_dict() for a in out]


def start_run(cfg: Path, tmp: Path, name: str = "run") -> subprocess.Popen[bytes]:
    env = {**os.environ, "SITLOAD_TEST_MQTT_PASSWORD": "alice-pw", "PYTHONUNBUFFERED": "1"}
    log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "collector.cli", "-v", "run", "--config", str(cfg)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
    )


def finish(
    proc: subprocess.Popen[bytes], tmp: Path, name: str = "run", timeout_s: float = 90
) -> str:
    try:
        rc = proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError((tmp / f"{name}.log").read_text()[-3000:]) from None
    text = (tmp / f"{name}.log").read_text()
    assert rc == 0, text[-3000:]
    return text


def alerts_of(sub: Subscriber) -> list[dict[str, Any]]:
    return [m.json() for m in sub.on(f"{BASE}/alert")]


def unique(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for a in alerts:
        seen.setdefault(a["id"], a)
    return list(seen.values())


def admin(broker: Mosquitto, topics: list[str]) -> Subscriber:
    user, pw = broker.credentials("admin")
    return Subscriber(broker.port, topics, username=user, password=pw).start()


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
    assert "rejected" in kinds


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
