"""``sitload run`` against a real Mosquitto guarding itself (issue 16): pain taken
only from the person, a command flood bounded, a second service on the same state
folder refused, a password on the command line refused.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.sinks.history.sqlite_store import SqliteStore
from tests.brokers import HOME_ASSISTANT, Mosquitto, Subscriber, require_mosquitto
from tests.collector.run_service_harness import (
    BASE,
    SHORT,
    SHORT_ALERTS,
    USER,
    admin,
    alerts_of,
    alice_and_bob_broker,
    finish,
    recording_file,
    rss_kib,
    start_run,
    wait_first_state,
    write_config,
)


@pytest.fixture(autouse=True)
def _needs_mosquitto() -> None:
    require_mosquitto()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    yield from alice_and_bob_broker(tmp_path)


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
