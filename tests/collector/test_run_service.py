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
import re
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
from tests.brokers import HOME_ASSISTANT, Mosquitto, Subscriber, require_mosquitto


@pytest.fixture(autouse=True)
def _needs_mosquitto() -> None:
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
    eng = LiveEngine({Role.THIGH, Role.TRUNK}, alert_params=s.alerts)
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


# --- issue 16: forged pain, command floods, a second instance, passwords ---------------------


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def wait_first_state(sub: Subscriber) -> None:
    sub.wait_for(lambda ms: any(m.topic == f"{BASE}/state" for m in ms), 60, "running")


def test_pain_is_taken_only_from_the_person(broker: Mosquitto, tmp_path: Path) -> None:
    """Finding 6: Home Assistant's user (allowed to snooze and acknowledge) cannot
    enter a pain score: not on the command topic (refused by sitload), not on the
    pain topic (dropped by the broker's ACL). The person's own user can."""
    _rec, path = recording_file(tmp_path, SHORT)
    cfg = write_config(tmp_path, path, broker.port, speed=10, alerts=SHORT_ALERTS)
    ha_user, ha_pw = broker.credentials(HOME_ASSISTANT)
    me, my_pw = broker.credentials(USER)
    with (
        admin(broker, [f"{BASE}/#"]) as sub,
        Subscriber(broker.port, [], username=ha_user, password=ha_pw).start() as ha,
        Subscriber(broker.port, [], username=me, password=my_pw).start() as patient,
    ):
        proc = start_run(cfg, tmp_path)
        try:
            wait_first_state(sub)
            ha.publish(f"{BASE}/command", "pain 9 morning")
            refused = sub.wait_topic(f"{BASE}/command/reply", 1, 20)[0].json()
            ha.publish(f"{BASE}/pain", "10 morning")  # the broker drops it (ACL)
            ha.publish(f"{BASE}/command", "snooze 3")  # allowed
            sub.wait_topic(f"{BASE}/command/reply", 2, 20)
            patient.publish(f"{BASE}/pain", "3 morning stiff")
            taken = sub.wait_topic(f"{BASE}/pain/reply", 1, 20)[0].json()
        finally:
            proc.send_signal(signal.SIGTERM)
        finish(proc, tmp_path)
    assert refused["ok"] is False
    assert f"{BASE}/pain" in refused["error"]
    assert taken["ok"] is True, taken
    pain = SqliteStore(tmp_path / "history.db").read_pain(USER, 0, 4e9)
    assert [(p.score, p.when, p.note) for p in pain] == [(3, "morning", "stiff")]


def test_a_command_flood_is_bounded(broker: Mosquitto, tmp_path: Path) -> None:
    """Finding 7: 20,000 commands in a few seconds: a handful applied, the rest dropped
    with one warning; no "rejected" alert per command on MQTT or in the history; the
    service's memory does not grow with the flood."""
    n = 20_000
    _rec, path = recording_file(tmp_path, SHORT)
    cfg = write_config(tmp_path, path, broker.port, speed=5, alerts=SHORT_ALERTS)
    with admin(broker, [f"{BASE}/#"]) as sub:
        proc = start_run(cfg, tmp_path)
        try:
            wait_first_state(sub)
            time.sleep(1.0)
            before_kib = rss_kib(proc.pid)
            for _ in range(n):
                sub.client.publish(f"{BASE}/command", "ack", qos=0)
            sub.publish(f"{BASE}/command", "snooze 3")
            time.sleep(3.0)
            after_kib = rss_kib(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
        text = finish(proc, tmp_path)
        replies = sub.on(f"{BASE}/command/reply")
        alerts = alerts_of(sub)
    assert len(re.findall(r"faster\s+than", text)) == 1, text[-3000:]
    assert len(replies) <= 20
    assert [a for a in alerts if a["kind"] == "rejected"] == []
    events = SqliteStore(tmp_path / "history.db").read_events(USER, 0, 4e9)
    assert [e for e in events if e.kind == "rejected"] == []
    assert after_kib - before_kib < 30 * 1024, (before_kib, after_kib)
    dropped = re.search(r"MQTT sink stopped .*dropped (\d+)", text)
    assert dropped is not None, text[-3000:]
    assert int(dropped.group(1)) >= n - 20


def test_a_second_service_on_the_same_state_folder_is_refused(
    broker: Mosquitto, tmp_path: Path
) -> None:
    """Finding 11: a clear error and exit code 2, not a traceback; the first one runs on."""
    _rec, path = recording_file(tmp_path, SHORT)
    cfg = write_config(tmp_path, path, broker.port, speed=5, alerts=SHORT_ALERTS)
    with admin(broker, [f"{BASE}/#"]) as sub:
        first = start_run(cfg, tmp_path, "first")
        try:
            wait_first_state(sub)
            second = start_run(cfg, tmp_path, "second")
            rc = second.wait(30)
            text = (tmp_path / "second.log").read_text()
            assert first.poll() is None
        finally:
            first.send_signal(signal.SIGTERM)
        finish(first, tmp_path, "first")
    assert rc == 2, text
    assert "Traceback" not in text
    assert "another sitload service" in text
    assert f"process {first.pid}" in text
    # once the first has stopped, the folder is free again (a kill -9 frees it too)
    again = start_run(cfg, tmp_path, "again")
    time.sleep(3)
    again.send_signal(signal.SIGKILL)
    again.wait()
    assert "another sitload service" not in (tmp_path / "again.log").read_text()


def test_a_password_on_the_command_line_is_refused(tmp_path: Path) -> None:
    """Finding 8: every local user can read a process's arguments."""
    secret = "pa55-w0rd-on-the-cmdline"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cli = [sys.executable, "-m", "collector.cli", "run"]
    state = ["--state-dir", str(tmp_path / "state")]
    out = subprocess.run(
        [*cli, *state, "--mqtt", f"mqtt://{USER}:{secret}@127.0.0.1:1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 2
    assert "visible to every user" in out.stderr
    assert "SITLOAD_MQTT_PASSWORD" in out.stderr
    assert secret not in out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    helped = subprocess.run([*cli, "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert "--mqtt-password-file" in helped.stdout
    assert "pass]@" not in helped.stdout
    assert "user:pass" not in helped.stdout
