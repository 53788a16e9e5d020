"""Security of the MQTT sink against a real Mosquitto: ACLs, passwords and TLS."""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path

import pytest

from collector.sinks.mqtt import MqttSink
from tests.brokers import ADMIN, HOME_ASSISTANT, Mosquitto, Subscriber, mosquitto
from tests.collector.mqtt_harness import (
    REPO,
    Service,
    admin,
    alert,
    running,
    settings,
    status,
    wait_online,
    wait_until,
)
from tests.tls_certs import make_test_certs

# --- security ------------------------------------------------------------------------------


def test_acl_keeps_each_person_to_their_own_topics(broker: Mosquitto) -> None:
    service = Service()
    sink = MqttSink(settings(broker, user="bob"))
    t = sink.topics
    alice, alice_pw = broker.credentials("alice")
    with (
        admin(broker, f"{t.base}/#") as watcher,
        Subscriber(broker.port, [f"{t.base}/#"], username=alice, password=alice_pw) as spy,
        running(sink, service),
    ):
        wait_online(watcher, sink)
        sink.publish_status(status())
        sink.publish_alert(alert(1))
        watcher.wait_topic(t.alert)
        watcher.wait_topic(t.state)
        spy.publish(t.command, "snooze 120")  # alice may not command bob's sink either
        watcher.publish(t.command, "ack")  # admin may
        assert service.next().text == "ack"
        time.sleep(0.2)
        assert spy.snapshot() == []  # Mosquitto grants the subscription, delivers nothing
        assert service.requests.empty()


def test_wrong_password_is_reported_not_logged(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="collector.sinks.mqtt")
    secret = "not-the-password-123"
    sink = MqttSink(settings(broker, password=secret))
    with running(sink):
        wait_until(lambda: any("refused" in r.getMessage() for r in caplog.records), what="refusal")
        assert not sink.counters().connected
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "Not authorized" in text or "Bad user name or password" in text
    assert secret not in text
    assert secret not in repr(sink._settings)


@pytest.mark.parametrize("san", ["IP:127.0.0.1", "DNS:broker.example"])
def test_tls(tmp_path: Path, san: str) -> None:
    """TLS with the broker's CA; a certificate for another name is refused unless
    tls_insecure (self-signed test brokers only)."""
    certs = make_test_certs(tmp_path / "certs", san)
    with mosquitto(tmp_path / "mosquitto", tls=certs) as broker:
        sink = MqttSink(settings(broker, tls=True, ca_file=certs.ca), flush_timeout_s=0.3)
        if san.startswith("DNS:"):
            with running(sink):
                time.sleep(0.5)
                assert not sink.counters().connected  # the host name check failed
            sink = MqttSink(settings(broker, tls=True, ca_file=certs.ca, tls_insecure=True))
        with running(sink):
            wait_until(lambda: sink.counters().connected)
            sink.publish_alert(alert(1))
            wait_until(lambda: sink.counters().delivered == 1)


def test_tls_ca_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ca_file"):
        MqttSink(settings(None, tls=True, ca_file=tmp_path / "missing.crt"))


def test_a_certificate_failure_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="collector.sinks.mqtt")
    certs = make_test_certs(tmp_path / "certs", "DNS:broker.example")
    with mosquitto(tmp_path / "mosquitto", tls=certs) as broker:
        sink = MqttSink(settings(broker, tls=True, ca_file=certs.ca), flush_timeout_s=0.3)
        with running(sink):
            wait_until(
                lambda: any("certificate" in r.getMessage() for r in caplog.records),
                what="the TLS failure",
            )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "broker down or unreachable" not in text
    assert "ca_file" in text  # what to do


def test_the_deployed_acl_keeps_pain_to_the_person(tmp_path: Path) -> None:
    """deploy/mosquitto/acl as shipped: Home Assistant reads, snoozes and acknowledges,
    but its pain scores never reach the sink; the person's own user's do."""
    b = Mosquitto(tmp_path / "mosquitto", {"p17": "p17-test-pw"})
    acl = (REPO / "deploy" / "mosquitto" / "acl").read_text(encoding="utf-8")
    (b.workdir / "acl").write_text(f"{acl}\nuser {ADMIN}\ntopic readwrite #\n", encoding="utf-8")
    service = Service()
    with contextlib.ExitStack() as stack:
        broker = b.start()
        stack.callback(broker.stop, kill=True)
        sink = MqttSink(settings(broker, user="p17"))
        t = sink.topics
        ha_user, ha_pw = broker.credentials(HOME_ASSISTANT)
        ha = stack.enter_context(
            Subscriber(broker.port, [f"{t.base}/#"], username=ha_user, password=ha_pw)
        )
        patient = stack.enter_context(
            Subscriber(broker.port, [], username="p17", password="p17-test-pw")
        )
        stack.enter_context(running(sink, service))
        wait_online(ha, sink)  # Home Assistant reads the person's topics
        ha.publish(t.pain, "9 morning")  # dropped by the broker
        ha.publish(t.command, "ack")
        assert service.next().text == "ack"
        patient.publish(t.pain, "2 morning")
        req = service.next()
        assert (req.text, req.pain_allowed) == ("pain 2 morning", True)
        time.sleep(0.2)
        assert service.requests.empty()
