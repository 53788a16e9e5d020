"""Home Assistant discovery on a real Mosquitto (issue 17): after a user id change
the old entities' retained configs are cleared, the new ones announced."""

from __future__ import annotations

import time
from pathlib import Path

from collector.sinks.mqtt import MqttSink
from tests.brokers import Mosquitto
from tests.collector.mqtt_harness import admin, running, settings

N_CONFIGS = 21


def test_a_user_id_change_clears_the_old_entities(broker: Mosquitto, tmp_path: Path) -> None:
    registry = tmp_path / "state" / "ha-discovery.json"
    old = MqttSink(settings(broker, "alice", discovery=True), discovery_registry=registry)
    with admin(broker, "homeassistant/#") as sub, running(old):
        sub.wait_for(lambda ms: len(ms) >= N_CONFIGS, what="alice's configs")
    with admin(broker, "homeassistant/#") as late:
        kept = late.wait_for(lambda ms: len(ms) >= N_CONFIGS, what="alice's retained configs")
    alice = {m.topic for m in kept}
    assert len(alice) == N_CONFIGS
    assert all("sitload_alice_" in t for t in alice)

    # the same gateway (state folder) now runs as bob
    new = MqttSink(
        settings(broker, "bob", discovery=True, discovery_prefix="homeassistant"),
        discovery_registry=registry,
    )
    with admin(broker, "homeassistant/#") as sub, running(new):
        got = sub.wait_for(
            lambda ms: len([m for m in ms if not m.retain]) >= 2 * N_CONFIGS,
            what="clears and bob's configs",
        )
    live = [m for m in got if not m.retain]
    cleared = [m for m in live if m.topic in alice]
    assert {m.topic for m in cleared} == alice
    assert all(m.payload == b"" and m.qos == 1 for m in cleared)
    # cleared before the new ones are announced
    first_new = next(i for i, m in enumerate(live) if m.topic not in alice)
    assert all(m.topic in alice for m in live[:first_new])
    assert first_new == N_CONFIGS

    with admin(broker, "homeassistant/#") as late:
        late.wait_for(lambda ms: len(ms) >= N_CONFIGS, what="bob's retained configs")
        time.sleep(0.5)  # any other retained config would have come with them
        kept = late.snapshot()
    topics = {m.topic for m in kept}
    assert len(topics) == N_CONFIGS
    assert all("sitload_bob_" in t for t in topics)
    assert not topics & alice
    assert all(m.json()["unique_id"].startswith("sitload_bob_") for m in kept)


def test_without_a_registry_nothing_is_cleared(broker: Mosquitto) -> None:
    sink = MqttSink(settings(broker, "alice", discovery=True))
    with admin(broker, "homeassistant/#") as sub, running(sink):
        got = sub.wait_for(lambda ms: len(ms) >= N_CONFIGS, what="configs")
    assert all(m.payload for m in got)
