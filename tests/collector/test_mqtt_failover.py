"""``mqtt.urls`` at the sink: two brokers (two Mosquittos standing in for the nodes of
a cluster); the one the sink is on is killed and it carries on through the other,
every alert delivered. The real cluster (RabbitMQ, two nodes) is tests/fleet/."""

from __future__ import annotations

import time
from pathlib import Path

from collector.sinks.mqtt import MqttSink
from tests.brokers import HOST, mosquitto
from tests.collector.mqtt_harness import admin, alert, ids, running, settings, wait_until
from tests.server_process import free_port

USERS = {"alice": "alice-pw"}


def test_the_sink_fails_over_to_the_next_broker(tmp_path: Path) -> None:
    with (
        mosquitto(tmp_path / "one", USERS) as one,
        mosquitto(tmp_path / "two", USERS) as two,
    ):
        sink = MqttSink(settings(one, failover=((HOST, two.port),), reconnect_first_s=0.2))
        topic = sink.topics.alert
        sent = [alert(n).id for n in range(20)]
        with admin(one, topic) as sub_one, admin(two, topic) as sub_two, running(sink):
            wait_until(lambda: sink.counters().connected, what="connected to the first")
            for n in range(10):
                sink.publish_alert(alert(n))
            sub_one.wait_for(lambda ms: len(set(ids(ms, topic))) == 10, 5, "10 on the first")
            one.stop(kill=True)
            for n in range(10, 20):
                sink.publish_alert(alert(n))
                time.sleep(0.02)
            got_two = sub_two.wait_for(
                lambda ms: set(sent[10:]) <= set(ids(ms, topic)), 10, "the rest on the second"
            )
            wait_until(lambda: sink.counters().queued == 0, what="every PUBACK")
            c = sink.counters()
        assert set(ids(sub_one.snapshot(), topic)) | set(ids(got_two, topic)) == set(sent)
        # one client id per node (RabbitMQ ties a client id's queues to one node)
        client_id = "sitload-alice"
        assert f" as {client_id}-n1 " in one.log_text()
        assert f" as {client_id}-n2 " in two.log_text()
        assert f" as {client_id} " not in one.log_text() + two.log_text()
        assert c.delivered == 20
        assert c.expired == 0
        assert c.reconnects == 1


def test_a_sink_whose_first_broker_is_down_starts_on_the_next(tmp_path: Path) -> None:
    with mosquitto(tmp_path / "two", USERS) as two:
        sink = MqttSink(
            settings(two, port=free_port(), failover=((HOST, two.port),), reconnect_first_s=0.1)
        )
        with admin(two, sink.topics.alert) as sub, running(sink):
            sink.publish_alert(alert(1))
            sub.wait_for(lambda ms: ids(ms, sink.topics.alert) == [alert(1).id], 10, "alert 1")
