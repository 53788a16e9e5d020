"""Checks of the MQTT settings when the sink is made (each error names its key)."""

from __future__ import annotations

import math

from collector.sinks.mqtt_payloads import validate_topic_prefix
from collector.sinks.settings import MqttSettings


def check_settings(s: MqttSettings) -> None:
    """Raise ValueError, naming the key and what it must be, for settings that
    cannot work (the topic prefix and user id are checked by ``Topics.of``)."""
    if not s.host:
        raise ValueError("mqtt host is empty: give the broker's host name or address")
    brokers = [(s.host, s.port), *s.failover]
    for host, port in brokers:
        if not host:
            raise ValueError("mqtt host is empty: give the broker's host name or address")
        if not 0 < port < 65536:
            raise ValueError(f"mqtt port {port} is not a TCP port (1-65535)")
    if len(set(brokers)) < len(brokers):
        raise ValueError("mqtt failover names a broker twice: give each node once")
    if s.qos not in (0, 1, 2):
        raise ValueError(f"mqtt qos must be 0, 1 or 2, got {s.qos!r}")
    if s.protocol not in ("auto", "5", "3.1.1"):
        raise ValueError(f"mqtt protocol must be 'auto', '5' or '3.1.1', got {s.protocol!r}")
    if s.tls and s.ca_file is not None and not s.ca_file.is_file():
        raise ValueError(f"mqtt ca_file {str(s.ca_file)!r} does not exist")
    for name in ("alert_ttl_s", "late_after_s", "reconnect_first_s", "reconnect_max_s"):
        value = getattr(s, name)
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"mqtt {name} must be a positive number of seconds, got {value!r}")
    if s.reconnect_max_s < s.reconnect_first_s:
        raise ValueError("mqtt reconnect_max_s must be at least reconnect_first_s")
    if s.outbox_max < 1:
        raise ValueError("mqtt outbox_max must be at least 1")
    if s.keepalive_s < 1:
        raise ValueError("mqtt keepalive_s must be at least 1 second")
    if s.discovery:
        validate_topic_prefix(s.discovery_prefix, key="discovery_prefix")
