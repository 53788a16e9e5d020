"""``sitload send``: console commands to a running ``sitload run`` without its
terminal, over the service's MQTT command topic (issue 18), against a real Mosquitto
and a real ``sitload run``."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli import main
from tests.brokers import Mosquitto, Subscriber, require_mosquitto
from tests.collector.run_service_harness import (
    BASE,
    SHORT,
    SHORT_ALERTS,
    USER,
    alice_and_bob_broker,
    finish,
    recording_file,
    start_run,
    write_config,
)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    require_mosquitto()
    yield from alice_and_bob_broker(tmp_path)


def send(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["send", *args])
    return result.exit_code, result.stdout, result.stderr


def test_send_reaches_the_running_service_and_prints_its_answer(
    broker: Mosquitto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITLOAD_TEST_MQTT_PASSWORD", "alice-pw")
    _rec, path = recording_file(tmp_path, SHORT)
    cfg = write_config(tmp_path, path, broker.port, speed=5, alerts=SHORT_ALERTS)
    user, pw = broker.credentials(USER)
    with Subscriber(broker.port, [f"{BASE}/#"], username=user, password=pw).start() as sub:
        proc = start_run(cfg, tmp_path)
        try:
            sub.wait_for(
                lambda ms: any(
                    m.topic == f"{BASE}/availability" and m.text == "online" for m in ms
                ),
                60,
                "the service online",
            )
            code, out, err = send("--config", str(cfg), "snooze", "3")
            assert code == 0, err
            assert "snoozed" in out.lower()
            code, out, err = send("--config", str(cfg), "dance")
            assert code == 1
            assert "unknown command" in err
            code, out, err = send("--config", str(cfg), "pain", "3")  # refused unsent
            assert code == 2
            assert "pain scores are not taken on the command topic" in err
        finally:
            proc.send_signal(signal.SIGTERM)
        finish(proc, tmp_path)
    # the service has stopped: its last word on the broker is "offline"
    code, out, err = send("--config", str(cfg), "--timeout", "2", "ack")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "no sitload service of user 'alice' is listening" in err
    assert "'offline'" in err


def test_send_without_a_running_service_exits_2(
    broker: Mosquitto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITLOAD_TEST_MQTT_PASSWORD", "alice-pw")
    _rec, path = recording_file(tmp_path, SHORT)
    cfg = write_config(tmp_path, path, broker.port, speed=1)
    code, _out, err = send("--config", str(cfg), "--timeout", "1", "snooze", "15")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "is listening" in err
    assert "it never connected" in err


def test_send_to_a_broker_that_is_not_there_exits_2(tmp_path: Path) -> None:
    code, _out, err = send("--mqtt", "mqtt://127.0.0.1:1", "--timeout", "1", "ack")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "cannot reach the MQTT broker at mqtt://127.0.0.1:1" in err


def test_send_says_plainly_when_the_service_has_no_command_channel(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = tmp_path / "console-only.toml"
    cfg.write_text('[user]\nid = "alice"\n', encoding="utf-8")
    code, out, err = send("--config", str(cfg), "snooze", "15")
    assert code == 2
    assert out == ""
    assert err.strip().splitlines() == [err.strip()]
    assert "the service has no command channel" in err
    assert "[mqtt]" in err


def test_the_readme_documents_the_console_commands_and_send() -> None:
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Console commands", 1)[1].split("\n## ", 1)[0]
    for word in ("`snooze [MIN]`", "`ack`", "`calibrate`", "`pain SCORE", "sitload send snooze 15"):
        assert word in section, word
    assert "sitload send" in readme.split("## Commands", 1)[1].split("```", 2)[1]


def test_send_over_mqtt_3_1_1_matches_the_reply_by_its_command(
    broker: Mosquitto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITLOAD_TEST_MQTT_PASSWORD", "alice-pw")
    _rec, path = recording_file(tmp_path, SHORT)
    cfg = write_config(tmp_path, path, broker.port, speed=5, alerts=SHORT_ALERTS)
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("late_after_s = 1.0", 'late_after_s = 1.0\nprotocol = "3.1.1"'))
    user, pw = broker.credentials(USER)
    with Subscriber(
        broker.port, [f"{BASE}/availability"], username=user, password=pw
    ).start() as sub:
        proc = start_run(cfg, tmp_path)
        try:
            sub.wait_for(lambda ms: any(m.text == "online" for m in ms), 60, "the service online")
            code, out, err = send("--config", str(cfg), "snooze")
            assert code == 0, err
            assert "snoozed" in out.lower()
        finally:
            proc.send_signal(signal.SIGTERM)
        finish(proc, tmp_path)
