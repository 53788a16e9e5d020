"""The ``daily`` topic of the MQTT sink on a real Mosquitto: retained, QoS 1, every
day summary in order even when they were made while the broker was unreachable."""

from __future__ import annotations

import dataclasses
import time

from collector.sinks.day_report import daily_payload
from collector.sinks.mqtt import MqttSink
from tests.brokers import Mosquitto
from tests.collector.mqtt_harness import admin, running, settings
from tests.collector.test_day_summaries import REPORT
from tests.tcp_gate import TcpGate


def test_days_made_while_offline_are_published_in_order_and_retained(
    broker: Mosquitto, gate: TcpGate
) -> None:
    sink = MqttSink(settings(broker, port=gate.port))
    topic = f"{sink.topics.base}/daily"
    days = [
        dataclasses.replace(REPORT, summary=dataclasses.replace(REPORT.summary, date=d))
        for d in ("2024-05-06", "2024-05-07", "2024-05-08")
    ]
    with admin(broker, topic) as sub, running(sink):
        for report in days:
            sink.publish_day(report)
        time.sleep(0.2)
        gate.open()
        got = sub.wait_for(lambda ms: len(ms) >= 3, 10, "three daily messages")
        time.sleep(0.3)
        assert [m.json() for m in sub.on(topic)] == [daily_payload(r) for r in days]
        assert all(m.qos == 1 for m in got)
    with admin(broker, topic) as late:
        (kept,) = late.wait_for(lambda ms: len(ms) >= 1, 5, "the retained daily")
    assert kept.retain
    assert kept.json()["date"] == "2024-05-08"
