"""The link to the broker: one connection after another, until the sink stops.

One task (:meth:`MqttLink.start`) opens a connection (:class:`Connection`, a new
paho client with a clean session each time), waits for its end, and opens the next
after a delay with full jitter (:class:`~collector.sinks.backoff.Backoff`: drawn from
``[0, cap]``, the cap ``reconnect_first_s`` doubling up to ``reconnect_max_s``): after
attempts that got no CONNACK the cap doubles with each (reset by a successful
connection); after an established connection dropped it doubles while connections
keep dropping within :data:`STABLE_S`. With several brokers (``mqtt.urls``: nodes of
one cluster) a failed attempt or a dropped connection moves on to the next broker,
in turn; a connection stays with the broker that accepted it. With
``protocol = "auto"`` a broker that refuses MQTT 5 before any connection succeeded
(CONNACK *Unsupported protocol version*, or the connection closed, or no CONNACK
within ``keepalive_s``, right after the MQTT 5 CONNECT) is tried again at once with
MQTT 3.1.1, which is then kept.

The link failing is logged once as a warning, retries at debug level, the recovery
at info level with what the sink sent (:meth:`LinkEvents.link_up`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from collector.sinks.backoff import Backoff
from collector.sinks.mqtt.failures import connect_failure
from collector.sinks.mqtt.transport import Connection, LoopClient, tls_context
from collector.sinks.mqtt_payloads import OFFLINE, Topics
from collector.sinks.settings import MqttSettings

log = logging.getLogger(__name__)
_paho_log = logging.getLogger(f"{__name__}.paho")

STABLE_S = 10.0
"""A connection that lasted this long resets the delay before the next one."""

CONNECT_TIMEOUT_S = 5.0
"""Name lookup and TCP connect, at most (paho's own default)."""

MAX_IN_FLIGHT = 100
"""paho's limit of QoS > 0 messages sent and not acknowledged."""

_UNSUPPORTED_PROTOCOL = 0x84
"""CONNACK reason "Unsupported protocol version" (paho maps MQTT 3 return code 1 to it)."""


def protocol_name(protocol: MQTTProtocolVersion) -> str:
    return "5" if protocol == MQTTProtocolVersion.MQTTv5 else "3.1.1"


class LinkEvents(Protocol):
    """What the link tells its sink (all in the event loop)."""

    def link_up(self, client: mqtt.Client) -> tuple[int, int, int]:
        """The broker accepted a connection: subscribe, announce, send what waits.
        Returns (alerts sent, alerts that were queued, alerts expired) for the log."""

    def link_down(self) -> None:
        """The connection ended: what was in flight waits again."""

    def queued(self) -> int:
        """Alerts not acknowledged yet."""

    def on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None: ...

    def on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None: ...


class MqttLink:
    def __init__(
        self,
        settings: MqttSettings,
        topics: Topics,
        events: LinkEvents,
        *,
        rng: random.Random | None = None,
    ) -> None:
        """``rng`` draws the reconnection delays (None: seeded from the OS)."""
        s = settings
        self._s = s
        self._topics = topics
        self._events = events
        self.brokers: tuple[tuple[str, int], ...] = ((s.host, s.port), *s.failover)
        self._broker = 0
        self.backoff = Backoff(s.reconnect_first_s, s.reconnect_max_s)
        self._rng = rng if rng is not None else random.Random()
        self.delays_s: list[float] = []
        """The delays waited between connections (for tests; the last 100)."""
        self.client_id = s.client_id or f"sitload-{s.user_id}"
        self.protocol = (
            MQTTProtocolVersion.MQTTv311 if s.protocol == "3.1.1" else MQTTProtocolVersion.MQTTv5
        )
        self.connected = False
        self.reconnects = 0
        self._conn: Connection | None = None
        self._ever_connected = False
        self._fall_back = False
        self._stopping = False
        self._outage_since: float | None = None
        self._connected_at = 0.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def client_id_now(self) -> str:
        """The client id on the broker in use: with several brokers (the nodes of one
        cluster) ``<client_id>-n<k>`` on the k-th. RabbitMQ keeps a client's
        subscription queue, named after its client id, on the node it was made on: a
        client coming to another node under the same id while that node is down is
        refused, so each node gets an id of its own."""
        if len(self.brokers) == 1:
            return self.client_id
        return f"{self.client_id}-n{self._broker + 1}"

    @property
    def where(self) -> str:
        """``host:port`` of the broker in use (or being tried)."""
        host, port = self.brokers[self._broker]
        return f"{host}:{port}"

    @property
    def connection(self) -> Connection | None:
        """The connection the broker accepted (None while there is none)."""
        conn = self._conn
        return conn if self.connected and conn is not None and conn.is_open else None

    @property
    def done(self) -> bool:
        """No connection now, and none will be tried (stopping)."""
        return self._task is None or self._task.done()

    def start(self) -> None:
        """Begin connecting in the background. Raises ValueError for TLS settings
        that cannot work (a CA file that is not a CA bundle)."""
        s = self._s
        if s.tls:
            tls_context(s.ca_file, s.tls_insecure)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="mqtt-link")

    def stopping(self) -> None:
        """No new connection, except one more at once if alerts wait (to flush them)."""
        self._stopping = True
        self._wake.set()

    async def close(self) -> None:
        """Disconnect (DISCONNECT if connected) and end the task."""
        self._stopping = True
        self._wake.set()
        conn = self.connection
        if conn is not None:
            await conn.disconnect()
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task})

    # --- the task --------------------------------------------------------------------------

    async def _run(self) -> None:
        retries = drops = 0  # delays in the current run of failed attempts / of drops
        while True:
            if self._stopping and not self._events.queued():
                return
            try:
                accepted = await self._connection()
            except Exception:  # a bug, not the network: keep the link alive
                log.exception("MQTT connection to %s failed; trying again later", self.where)
                accepted = False
            if self._fall_back:
                self._fall_back = False
                continue
            if self._stopping:
                return
            if accepted:  # an established connection dropped
                retries = 0
                if time.monotonic() - self._connected_at >= STABLE_S:
                    drops = 0
                wait_s = self.backoff.delay_s(drops, self._rng)
                drops += 1
            else:
                wait_s = self.backoff.delay_s(retries, self._rng)
                retries += 1
            self._next_broker()
            self.delays_s = [*self.delays_s[-99:], wait_s]
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    await self._wake.wait()  # stop() with alerts waiting: try at once

    def _next_broker(self) -> None:
        if len(self.brokers) > 1:
            self._broker = (self._broker + 1) % len(self.brokers)
            log.debug("MQTT: trying broker %s next", self.where)

    async def _connection(self) -> bool:
        """One connection, from the attempt to its end: True if the broker accepted it."""
        s = self._s
        host, port = self.brokers[self._broker]
        try:
            client = self._make_client()
            tls = tls_context(s.ca_file, s.tls_insecure) if s.tls else None
        except Exception:  # e.g. the CA file went away: keep queueing, try again
            log.exception("MQTT client could not be set up; trying again later")
            return False
        conn = self._conn = Connection(client)
        v5 = self.protocol == MQTTProtocolVersion.MQTTv5
        try:
            try:
                await conn.open(
                    host,
                    port,
                    tls,
                    keepalive_s=s.keepalive_s,
                    clean_start=True if v5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
                    connect_timeout_s=CONNECT_TIMEOUT_S,
                )
            except OSError as exc:
                self._failed(connect_failure(exc, s))
                return False
            await conn.ended
            return self._ended(conn)
        finally:
            conn.abort()
            self._conn = None
            self.connected = False
            self._events.link_down()

    def _make_client(self) -> LoopClient:
        s = self._s
        v5 = self.protocol == MQTTProtocolVersion.MQTTv5
        client = LoopClient(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id_now,
            protocol=self.protocol,
            clean_session=None if v5 else True,
            reconnect_on_failure=False,  # reconnections are the link's (new client each)
        )
        client.enable_logger(_paho_log)
        client.suppress_exceptions = True  # a failing callback is logged, the loop goes on
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        client.will_set(self._topics.availability, OFFLINE, qos=1, retain=True)
        client.max_inflight_messages_set(MAX_IN_FLIGHT)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._events.on_publish
        client.on_message = self._events.on_message
        return client

    def _ended(self, conn: Connection) -> bool:
        """The socket of ``conn`` is closed: what it means for the next one."""
        if not conn.accepted:
            why = "closed the connection right after CONNECT (MQTT 5)"
            if not conn.answered and not self._try_fall_back(why):
                self._failed(f"connection closed before CONNACK ({conn.reason})")
            return False
        if not self._stopping:
            self._failed(f"connection lost ({conn.reason})")
        return True

    def _failed(self, what: str) -> None:
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            log.warning(
                "MQTT broker %s: %s; retrying with backoff, alerts are kept (%d queued)",
                self.where,
                what,
                self._events.queued(),
            )
        else:
            log.debug("MQTT broker %s: %s; retrying", self.where, what)

    def _try_fall_back(self, why: str) -> bool:
        """Switch to MQTT 3.1.1 if the broker refused MQTT 5 before any connection."""
        if (
            self._s.protocol != "auto"
            or self.protocol != MQTTProtocolVersion.MQTTv5
            or self._ever_connected
            or self._stopping
        ):
            return False
        log.info("MQTT broker %s %s; falling back to MQTT 3.1.1", self.where, why)
        self.protocol = MQTTProtocolVersion.MQTTv311
        self._fall_back = True
        return True

    # --- paho callbacks (inside loop_read / loop_misc, in the event loop) ------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        conn = self._conn
        if conn is None or client is not conn.client:
            return
        conn.answered = True
        if reason.is_failure:
            if reason.value != _UNSUPPORTED_PROTOCOL or not self._try_fall_back(
                f"refused MQTT 5 ({reason})"
            ):
                self._failed(f"connection refused: {reason}")
            return  # paho closes the connection
        conn.accepted = self.connected = True
        self._connected_at = time.monotonic()
        first = not self._ever_connected
        self._ever_connected = True
        if not first:
            self.reconnects += 1
        outage, self._outage_since = self._outage_since, None
        sent, queued, expired = self._events.link_up(client)
        proto = protocol_name(self.protocol)
        if outage is None and first:
            log.info(
                "MQTT connected to %s (MQTT %s) as %s; topics under %s/",
                self.where,
                proto,
                self.client_id_now,
                self._topics.base,
            )
        elif outage is not None:
            log.info(
                "MQTT link to %s is back after %.1f s (MQTT %s): sent %d of %d queued alert(s), "
                "%d expired",
                self.where,
                time.monotonic() - outage,
                proto,
                sent,
                queued,
                expired,
            )
        else:
            log.info("MQTT reconnected to %s; sent %d queued alert(s)", self.where, sent)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        conn = self._conn
        if conn is not None and client is conn.client:
            conn.reason = reason
            self.connected = False  # nothing more is handed to this client
