"""The MQTT alert sink: alerts, live state and Home Assistant discovery; commands in.

Topics, payloads and guarantees are in ``docs/mqtt.md``. The parts:

* :mod:`~collector.sinks.mqtt.sink`: :class:`MqttSink` (the ``AlertSink``), sending
  alerts and state, the counters;
* :mod:`~collector.sinks.mqtt.outbox`: where alerts wait until acknowledged;
* :mod:`~collector.sinks.mqtt.commands`: the command and pain topics;
* :mod:`~collector.sinks.mqtt.link`: reconnection with backoff, the protocol fallback;
* :mod:`~collector.sinks.mqtt.transport`: one connection, paho driven by the event loop;
* payloads in :mod:`collector.sinks.mqtt_payloads`, discovery configs in
  :mod:`collector.sinks.ha_discovery`.

**One event loop.** The sink lives in the service's event loop, like everything
else: paho's client is driven by asyncio's ``add_reader`` / ``add_writer`` on its
socket (paho's socket callbacks, the pattern of aiomqtt), its ``loop_misc`` by a
timer, and the connection is opened by asyncio, so nothing ever blocks the loop
and the sink has no thread and no lock. The service's calls (``publish_alert``,
``publish_status``, a command's ``reply``) queue and hand packets to paho, which
writes what the socket takes at once and the rest when it is writable.

**Delivery.** Every alert stays in the outbox until the broker acknowledges it
(PUBACK, matched by the message id paho gives it). The outbox is the only place
alerts are resent from: each connection is a new paho client with a clean
session, so a dropped connection's in-flight messages are not resent by paho
(with the payload of the first send, twice over with the outbox). Its
unacknowledged alerts go back to the head of the outbox and are sent again, with
a new ``sent_at`` and ``late`` flag, on the next connection. Alerts older than
``alert_ttl_s`` when their turn comes are expired (counted, logged) instead.
"""

from collector.sinks.mqtt.sink import MqttSink

__all__ = ["MqttSink"]
