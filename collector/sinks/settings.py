"""Settings of the alert sinks, as plain frozen records (built by collector.config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

MqttProtocol = Literal["auto", "5", "3.1.1"]


@dataclass(frozen=True, slots=True)
class MqttSettings:
    host: str
    port: int = 1883
    failover: tuple[tuple[str, int], ...] = ()
    """Other nodes of the same broker cluster (host, port), tried in turn after
    ``host:port`` when a connection fails or drops (``mqtt.urls``); same TLS,
    credentials and prefix. With several brokers the client id gets ``-n1``, ``-n2`` …
    (one per node: RabbitMQ ties a client id's queue to one node)."""
    tls: bool = False
    """TLS (``mqtts://``; port 8883 by default)."""
    ca_file: Path | None = None
    """CA bundle for TLS (None: the system's)."""
    tls_insecure: bool = False
    """Skip the host name check (self-signed test brokers only)."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    prefix: str = "sitload"
    """Topic prefix; topics are ``<prefix>/<user_id>/…``."""
    user_id: str = "user"
    """Pseudonymous id in topics and discovery ids: ``[a-zA-Z0-9_-]`` only, no names."""
    client_id: str | None = None
    """MQTT client id (None: ``sitload-<user_id>``)."""
    protocol: MqttProtocol = "auto"
    """``auto`` tries MQTT 5 and falls back to 3.1.1 when the broker refuses it."""
    keepalive_s: int = 30
    qos: int = 1
    """QoS of alert events (1: at least once)."""
    alert_ttl_s: float = 3600.0
    """An alert not delivered within this time (broker down) expires: counted and
    logged, not sent."""
    late_after_s: float = 5.0
    """An alert delivered this long after it was raised is marked ``late``."""
    outbox_max: int = 10000
    """Alerts kept while the broker is down; the oldest expire first beyond this."""
    reconnect_first_s: float = 1.0
    reconnect_max_s: float = 60.0
    discovery: bool = True
    """Home Assistant MQTT discovery."""
    discovery_prefix: str = "homeassistant"
    expire_after_s: int = 600
    """Home Assistant marks the entities unavailable when no state came for this long."""
    support_url: str | None = None
    """Home Assistant's ``origin.support_url`` (None: the package's URL, if any)."""
    saddle: bool = False
    """Announce the cyclist's entities too (saddle bout, stands this ride): the
    cyclist profile."""


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    enabled: bool = True
    desktop: bool = True
    """Also a desktop notification where the platform has one (skipped quietly when
    there is no notification server)."""
    status_every_s: float = 60.0
    """Print a one-line status this often (0: never)."""


HapticPattern = Literal["one", "double", "long"]
HAPTIC_PATTERN_CODE: dict[HapticPattern, int] = {"one": 1, "double": 2, "long": 3}
"""The sitload profile's haptic patterns (docs/ble-profile.md)."""


@dataclass(frozen=True, slots=True)
class Buzz:
    pattern: HapticPattern
    duration_ms: int


@dataclass(frozen=True, slots=True)
class HapticSettings:
    """Vibrations on the sensor (``[haptic]``): one pattern per alert kind."""

    enabled: bool = True
    prompt: Buzz = Buzz("one", 400)
    """Stand prompts and their repeats, and the cyclist's saddle prompt."""
    escalation: Buzz = Buzz("double", 400)
    break_complete: Buzz = Buzz("long", 800)
