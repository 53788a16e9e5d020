"""The MQTT alert sink: alerts, live state and Home Assistant discovery over paho-mqtt.

Topics, payloads and guarantees are in ``docs/mqtt.md``; payloads are built in
:mod:`collector.sinks.mqtt_payloads`, discovery configs in
:mod:`collector.sinks.ha_discovery`.

**Threads.** paho runs its network loop in its own thread (``loop_start``); the
asyncio side only takes a short lock, appends to the outbox and hands packets to
paho, so it never waits for the network. Two locks, never held while waiting for
each other in the opposite order:

* ``_lock`` guards the sink's state (outbox, counters, the current client). It is
  never held while calling paho, because paho calls ``on_publish`` while holding
  its own message lock.
* ``_send_lock`` serialises the sending of alerts and state so that they leave in
  order. The asyncio side only *tries* it: when paho's thread is flushing after a
  reconnection, a new alert stays in the outbox and that flush sends it.

**Delivery.** Every alert stays in the outbox until the broker acknowledges it
(PUBACK, matched by the message id paho gives it). The outbox is the only place
alerts are resent from: each connection gets its own paho client with a clean
session, and a client whose established connection dropped is discarded with
its in-flight messages (paho would otherwise resend them itself on reconnection,
with the payload of the first send, twice over with the outbox). Its unacknowledged
alerts go back to the head of the outbox and are sent again, with a new
``sent_at`` and ``late`` flag, on the next connection. Alerts older than
``alert_ttl_s`` when their turn comes are expired (counted, logged) instead.

**Reconnection.** While a client has never connected, paho retries with the
capped backoff of ``reconnect_delay_set``; after a drop the next client starts
after ``reconnect_min_s`` (doubling, up to ``reconnect_max_s``, while connections
keep dropping within ``_STABLE_S``).
"""

from __future__ import annotations

import asyncio
import collections
import importlib.metadata
import logging
import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from analytics.alerts import Alert
from collector.service.command_guard import CommandGuard, CommandLimits
from collector.sinks.base import CommandCallback, CommandRequest, LiveStatus
from collector.sinks.ha_discovery import discovery_messages, status_topic
from collector.sinks.mqtt_failures import connect_failure
from collector.sinks.mqtt_payloads import (
    OFFLINE,
    ONLINE,
    CommandPayloadError,
    Topics,
    alert_payload,
    parse_command_payload,
    parse_pain_payload,
    refusal_payload,
    reply_payload,
    state_payload,
    to_json,
    validate_topic_prefix,
)
from collector.sinks.settings import MqttSettings

log = logging.getLogger(__name__)

_UNSUPPORTED_PROTOCOL = 0x84
"""CONNACK reason "Unsupported protocol version" (paho maps MQTT 3 return code 1 to it)."""

_STABLE_S = 10.0
"""A connection that lasted this long resets the reconnection delay."""

_JOIN_TIMEOUT_S = 2.0
"""How long :meth:`MqttSink.stop` waits for paho's thread to end."""

_WINDOW = 100
"""Alerts handed to paho and not acknowledged yet, at most (paho's in-flight limit):
the rest wait in the outbox, where ``outbox_max`` bounds them and an alert that
expires was really never sent."""

_LIMITS = CommandLimits()

PAIN_SOURCE = "mqtt-pain"
"""``CommandRequest.source`` of reports from the pain topic."""


class _QuietDisconnect(logging.Filter):
    """paho 2.2 logs an ERROR when its loop runs once more after a clean
    ``disconnect()``; that is routine here, so it becomes DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith(
            "Client is not connected"
        ):
            # the level check already passed for ERROR: drop it unless DEBUG is on
            if not _paho_log.isEnabledFor(logging.DEBUG):
                return False
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


_paho_log = logging.getLogger(f"{__name__}.paho")
_paho_log.addFilter(_QuietDisconnect())


def _version() -> str:
    try:
        return importlib.metadata.version("sitload")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _protocol_name(protocol: MQTTProtocolVersion) -> str:
    return "5" if protocol == MQTTProtocolVersion.MQTTv5 else "3.1.1"


@dataclass(frozen=True, slots=True)
class MqttCounters:
    """What the sink has done since it was made (see ``docs/mqtt.md``)."""

    published: int
    """Alerts handed to :meth:`MqttSink.publish_alert`."""
    sent: int
    """PUBLISH packets of alerts handed to the network (resends included)."""
    delivered: int
    """Alerts the broker acknowledged (PUBACK; at QoS 0: written to the socket)."""
    late: int
    """Delivered alerts whose last send was marked ``late``."""
    expired: int
    """Alerts dropped unsent: older than ``alert_ttl_s``, or pushed out of a full outbox."""
    refused: int
    """Alerts the broker refused (MQTT 5 PUBACK error, e.g. not authorised), dropped."""
    queued: int
    """Alerts not acknowledged yet (waiting or in flight)."""
    commands: int
    """Commands handed to the service."""
    rejected_commands: int
    """Payloads on the command or pain topic that were refused by the sink (not a
    command, a number out of range, pain on the command topic, retained), answered."""
    dropped_commands: int
    """Payloads on the command or pain topic over the rate limit: dropped unanswered."""
    reconnects: int
    """Successful connections after the first."""
    connected: bool
    protocol: str
    """``5`` or ``3.1.1``: the protocol in use (or being tried)."""

    @property
    def alerts_expired(self) -> int:
        return self.expired


@dataclass(slots=True)
class _Entry:
    seq: int
    alert: Alert
    raised_at_s: float
    late: bool = False


class MqttSink:
    """Publishes alerts and the live status to an MQTT broker; takes commands.

    Implements :class:`collector.sinks.base.AlertSink`."""

    name = "mqtt"

    def __init__(
        self,
        settings: MqttSettings,
        *,
        clock: Callable[[], float] = time.time,
        flush_timeout_s: float = 5.0,
        command_limits: CommandLimits = _LIMITS,
    ) -> None:
        s = settings
        self._settings = s
        self._topics = Topics.of(s.prefix, s.user_id)
        if not s.host:
            raise ValueError("mqtt host is empty: give the broker's host name or address")
        if not 0 < s.port < 65536:
            raise ValueError(f"mqtt port {s.port} is not a TCP port (1-65535)")
        if s.qos not in (0, 1, 2):
            raise ValueError(f"mqtt qos must be 0, 1 or 2, got {s.qos!r}")
        if s.protocol not in ("auto", "5", "3.1.1"):
            raise ValueError(f"mqtt protocol must be 'auto', '5' or '3.1.1', got {s.protocol!r}")
        if s.tls and s.ca_file is not None and not s.ca_file.is_file():
            raise ValueError(f"mqtt ca_file {str(s.ca_file)!r} does not exist")
        for name in ("alert_ttl_s", "late_after_s", "reconnect_min_s", "reconnect_max_s"):
            value = getattr(s, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"mqtt {name} must be a positive number of seconds, got {value!r}")
        if s.reconnect_max_s < s.reconnect_min_s:
            raise ValueError("mqtt reconnect_max_s must be at least reconnect_min_s")
        if s.outbox_max < 1:
            raise ValueError("mqtt outbox_max must be at least 1")
        if s.keepalive_s < 1:
            raise ValueError("mqtt keepalive_s must be at least 1 second")
        self._discovery: list[tuple[str, bytes]] = []
        self._ha_status: str | None = None
        if s.discovery:
            validate_topic_prefix(s.discovery_prefix, key="discovery_prefix")
            self._ha_status = status_topic(s.discovery_prefix)
            self._discovery = [
                (topic, to_json(payload))
                for topic, payload in discovery_messages(s, sw_version=_version())
            ]
        self._client_id = s.client_id or f"sitload-{s.user_id}"
        self._where = f"{s.host}:{s.port}"
        self._clock = clock
        self._flush_timeout_s = flush_timeout_s
        self._window = min(_WINDOW, s.outbox_max)
        self._guard = CommandGuard(command_limits, what="MQTT commands")

        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        # --- guarded by _lock
        self._protocol = (
            MQTTProtocolVersion.MQTTv311 if s.protocol == "3.1.1" else MQTTProtocolVersion.MQTTv5
        )
        self._client: mqtt.Client | None = None
        self._connected = False
        self._connack_seen = False
        self._ever_connected = False
        self._queue: collections.deque[_Entry] = collections.deque()
        self._inflight: dict[int, _Entry] = {}
        self._sending: _Entry | None = None
        self._early_acks: dict[int, ReasonCode] = {}
        self._other_mids: set[int] = set()
        self._status: LiveStatus | None = None
        self._status_dirty = False
        self._seq = 0
        self._on_command: CommandCallback | None = None
        self._started = False
        self._stopping = False
        self._timer: threading.Timer | None = None
        self._outage_since: float | None = None
        self._connected_at = 0.0
        self._drop_delay_s = s.reconnect_min_s
        self._overflowing = False
        self._n = collections.Counter[str]()

    # --- the AlertSink protocol ------------------------------------------------------------

    async def start(self, on_command: CommandCallback) -> None:
        """Begin connecting in the background (returns at once, broker up or not)."""
        with self._lock:
            if self._started:
                return
            self._started = True
            self._on_command = on_command
            self._launch_locked()

    def publish_alert(self, alert: Alert) -> None:
        """Queue the alert and send it now if connected (never blocks on the network)."""
        now = self._clock()
        with self._lock:
            self._seq += 1
            self._queue.append(_Entry(self._seq, alert, now))
            self._n["published"] += 1
            self._trim_locked()
        self._pump()

    def publish_status(self, status: LiveStatus) -> None:
        """Replace the retained state (only the newest is kept while disconnected)."""
        with self._lock:
            self._status = status
            self._status_dirty = True
        self._pump()

    async def stop(self) -> None:
        """Say offline, wait up to ``flush_timeout_s`` for queued alerts to be
        acknowledged, disconnect. Idempotent."""
        with self._lock:
            if self._stopping or not self._started:
                self._stopping = True
                return
            self._stopping = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._client is None and self._pending_locked():
                self._launch_locked()  # a drop just happened: try once more to flush
        deadline = time.monotonic() + self._flush_timeout_s
        offline: mqtt.MQTTMessageInfo | None = None
        while True:
            with self._lock:
                client, connected = self._client, self._connected
                pending = self._pending_locked()
            if client is not None and connected and offline is None:
                offline = self._publish_other(client, self._topics.availability, OFFLINE, 1, True)
            offline_done = offline is not None and offline.is_published()
            if (pending == 0 and (offline_done or not connected)) or client is None:
                break
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.02)
        with self._lock:
            client, self._client, self._connected = self._client, None, False
            pending = self._pending_locked()
        if pending:
            log.warning(
                "MQTT sink stopped with %d alert(s) not acknowledged by %s (broker unreachable "
                "or slow); they were not delivered",
                pending,
                self._where,
            )
        if client is not None:
            client.disconnect()
            try:
                await asyncio.wait_for(asyncio.to_thread(client.loop_stop), _JOIN_TIMEOUT_S)
            except TimeoutError:
                log.debug("paho's network thread did not end within %.1f s", _JOIN_TIMEOUT_S)
        log.info("MQTT sink stopped (%s)", self._summary())

    # --- introspection ---------------------------------------------------------------------

    def counters(self) -> MqttCounters:
        with self._lock:
            n = self._n
            return MqttCounters(
                published=n["published"],
                sent=n["sent"],
                delivered=n["delivered"],
                late=n["late"],
                expired=n["expired"],
                refused=n["refused"],
                queued=self._pending_locked(),
                commands=n["commands"],
                rejected_commands=n["rejected_commands"],
                dropped_commands=self._guard.dropped_total,
                reconnects=n["reconnects"],
                connected=self._connected,
                protocol=_protocol_name(self._protocol),
            )

    @property
    def topics(self) -> Topics:
        return self._topics

    def _summary(self) -> str:
        c = self.counters()
        return (
            f"published {c.published}, delivered {c.delivered}, late {c.late}, "
            f"expired {c.expired}, refused {c.refused}, reconnects {c.reconnects}; "
            f"commands {c.commands}, refused {c.rejected_commands}, "
            f"dropped {c.dropped_commands}"
        )

    # --- clients ---------------------------------------------------------------------------

    def _make_client(self, protocol: MQTTProtocolVersion) -> mqtt.Client:
        s = self._settings
        v5 = protocol == MQTTProtocolVersion.MQTTv5
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=protocol,
            clean_session=None if v5 else True,
        )
        client.enable_logger(_paho_log)
        client.suppress_exceptions = True
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            try:
                client.tls_set(ca_certs=None if s.ca_file is None else str(s.ca_file))
            except (OSError, ValueError) as exc:
                raise ValueError(f"mqtt TLS set-up failed (ca_file {s.ca_file}): {exc}") from exc
            client.tls_insecure_set(s.tls_insecure)
        client.will_set(self._topics.availability, OFFLINE, qos=1, retain=True)
        # paho's annotations say int; the delays are used as float seconds
        client.reconnect_delay_set(
            cast(int, s.reconnect_min_s), cast(int, max(s.reconnect_max_s, s.reconnect_min_s))
        )
        client.max_inflight_messages_set(100)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.connect_async(
            s.host,
            s.port,
            keepalive=s.keepalive_s,
            clean_start=True if v5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
        )
        return client

    def _launch_locked(self) -> None:
        """A new client for the next connection (``_lock`` held)."""
        self._timer = None
        if self._stopping and not self._pending_locked():
            return
        client = self._make_client(self._protocol)
        self._client = client
        self._connected = self._connack_seen = False
        self._inflight.clear()
        self._early_acks.clear()
        self._other_mids.clear()
        client.loop_start()

    def _relaunch(self) -> None:
        with self._lock:
            if self._stopping or self._client is not None:
                return
            try:
                self._launch_locked()
            except Exception:  # e.g. the CA file went away: keep queueing, try again
                log.exception("MQTT client could not be set up; trying again later")
                self._timer = threading.Timer(self._settings.reconnect_max_s, self._relaunch)
                self._timer.daemon = True
                self._timer.start()

    def _link_failed_locked(self, what: str) -> None:
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            log.warning(
                "MQTT broker %s: %s; retrying with backoff, alerts are kept (%d queued)",
                self._where,
                what,
                self._pending_locked(),
            )
        else:
            log.debug("MQTT broker %s: %s; retrying", self._where, what)

    def _fall_back_locked(self, client: mqtt.Client, why: str) -> bool:
        """Switch to MQTT 3.1.1 if the broker refused MQTT 5 before any connection."""
        if (
            self._settings.protocol != "auto"
            or self._protocol != MQTTProtocolVersion.MQTTv5
            or self._ever_connected
            or self._stopping
        ):
            return False
        log.info("MQTT broker %s %s; falling back to MQTT 3.1.1", self._where, why)
        self._protocol = MQTTProtocolVersion.MQTTv311
        self._client = None
        client.loop_stop()  # in paho's own thread: only tells its loop to end
        self._launch_locked()
        return True

    # --- paho callbacks (paho's thread) ----------------------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            with self._lock:
                if client is not self._client:
                    return
                self._connack_seen = True
                if reason.value == _UNSUPPORTED_PROTOCOL and self._fall_back_locked(
                    client, f"refused MQTT 5 ({reason})"
                ):
                    return
                self._link_failed_locked(f"connection refused: {reason}")
            return
        with self._send_lock:
            with self._lock:
                if client is not self._client:
                    return
                self._connected = self._connack_seen = True
                self._connected_at = time.monotonic()
                first = not self._ever_connected
                self._ever_connected = True
                if not first:
                    self._n["reconnects"] += 1
                outage, self._outage_since = self._outage_since, None
                self._status_dirty = self._status is not None
                stopping = self._stopping
                queued = len(self._queue)
            if not stopping:
                # subscribe first: once "online" is out, commands are heard (the broker
                # handles a connection's packets in order)
                self._subscribe(client)
                self._publish_other(client, self._topics.availability, ONLINE, 1, True)
                self._announce(client)
            sent, expired = self._drain()
        more_sent, more_expired = self._pump(log_expired=False)
        sent, expired = sent + more_sent, expired + more_expired
        self._log_expired(expired)
        proto = _protocol_name(self._protocol)
        if outage is None and first:
            log.info(
                "MQTT connected to %s (MQTT %s) as %s; topics under %s/",
                self._where,
                proto,
                self._client_id,
                self._topics.base,
            )
        elif outage is not None:
            log.info(
                "MQTT link to %s is back after %.1f s (MQTT %s): sent %d of %d queued alert(s), "
                "%d expired",
                self._where,
                time.monotonic() - outage,
                proto,
                sent,
                queued,
                expired,
            )
        else:
            log.info("MQTT reconnected to %s; sent %d queued alert(s)", self._where, sent)

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        # paho calls this inside its ``except OSError``: the exception says what failed
        what = connect_failure(sys.exc_info()[1], self._settings)
        with self._lock:
            if client is self._client:
                self._link_failed_locked(what)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._lock:
            if client is not self._client:
                return
            back = sorted(self._inflight.values(), key=lambda e: e.seq)
            if self._sending is not None:
                back.append(self._sending)
                self._sending = None
            self._queue.extendleft(reversed(back))
            self._inflight.clear()
            self._early_acks.clear()
            self._other_mids.clear()
            if not self._connected:
                # no CONNACK on this attempt: paho retries this client with its backoff
                if not self._connack_seen and self._fall_back_locked(
                    client, "closed the connection right after CONNECT (MQTT 5)"
                ):
                    return
                if not self._connack_seen:
                    self._link_failed_locked(f"connection closed before CONNACK ({reason})")
                self._connack_seen = False
                return
            self._connected = False
            self._client = None
            if not self._stopping:
                self._schedule_relaunch_locked(reason)
        client.loop_stop()  # in paho's own thread: only tells its loop to end

    def _schedule_relaunch_locked(self, reason: ReasonCode) -> None:
        """After an established connection dropped: a new client after a delay."""
        lasted = time.monotonic() - self._connected_at
        s = self._settings
        if lasted >= _STABLE_S:
            self._drop_delay_s = s.reconnect_min_s
        delay = self._drop_delay_s
        self._drop_delay_s = min(self._drop_delay_s * 2, s.reconnect_max_s)
        self._link_failed_locked(f"connection lost ({reason})")
        self._timer = threading.Timer(delay, self._relaunch)
        self._timer.daemon = True
        self._timer.start()

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        with self._lock:
            if client is not self._client:
                return
            entry = self._inflight.pop(mid, None)
            if entry is None:
                if mid in self._other_mids:
                    self._other_mids.discard(mid)
                else:
                    self._early_acks[mid] = reason  # acknowledged before publish() returned
                return
            self._acked_locked(entry, reason)
            more = bool(self._queue)
        if more:
            self._pump()  # room in the window (paho's lock is re-entrant in its thread)

    def _acked_locked(self, entry: _Entry, reason: ReasonCode) -> None:
        if reason.is_failure:
            self._n["refused"] += 1
            log.warning(
                "MQTT broker %s refused alert %s (%s); it is dropped (check the ACL of user %r)",
                self._where,
                entry.alert.id,
                reason,
                self._settings.username,
            )
            return
        self._n["delivered"] += 1
        if entry.late:
            self._n["late"] += 1

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            if message.topic in (self._topics.command, self._topics.pain):
                if not self._guard.admit(message.topic):
                    return  # a flood: dropped unanswered (counted, warned once)
                if message.topic == self._topics.command:
                    self._command(client, message)
                else:
                    self._pain(message)
            elif message.topic == self._ha_status and message.payload.strip() == b"online":
                log.info("Home Assistant is online: announcing the entities again")
                self._announce(client)
        except Exception:  # a bad message must never stop paho's thread
            log.exception("MQTT message on %s could not be handled", message.topic)

    # --- commands ----------------------------------------------------------------------------

    def _retained(self, message: mqtt.MQTTMessage) -> bool:
        """A retained command would be applied again on every reconnection: never.
        (The subscription keeps the publisher's retain flag on live delivery too.)"""
        if not message.retain:
            return False
        with self._lock:
            self._n["rejected_commands"] += 1
        log.warning(
            "ignored a retained message on %s: commands must not be retained "
            "(clear it with an empty retained message)",
            message.topic,
        )
        return True

    def _command(self, client: mqtt.Client, message: mqtt.MQTTMessage) -> None:
        if self._retained(message):
            return
        parsed = parse_command_payload(bytes(message.payload), pain_topic=self._topics.pain)
        self._hand_over(message, parsed, "mqtt", self._topics.command_reply)

    def _pain(self, message: mqtt.MQTTMessage) -> None:
        """A pain report: only the person's own broker user may publish here (ACL)."""
        if self._retained(message):
            return
        parsed = parse_pain_payload(bytes(message.payload))
        self._hand_over(message, parsed, PAIN_SOURCE, self._topics.pain_reply)

    def _hand_over(
        self,
        message: mqtt.MQTTMessage,
        parsed: str | CommandPayloadError,
        source: str,
        reply_topic: str,
    ) -> None:
        props = message.properties
        response_topic: str | None = getattr(props, "ResponseTopic", None) if props else None
        correlation: bytes | None = getattr(props, "CorrelationData", None) if props else None
        if isinstance(parsed, CommandPayloadError):
            with self._lock:
                self._n["rejected_commands"] += 1
            log.info("MQTT %s refused: %s", message.topic, parsed.reason)
            self._reply(refusal_payload(parsed), response_topic, correlation, reply_topic)
            return
        text = parsed

        def reply(results: list[Alert]) -> None:
            self._reply(reply_payload(text, results), response_topic, correlation, reply_topic)

        with self._lock:
            self._n["commands"] += 1
            on_command = self._on_command
        log.info("MQTT %s %r", "pain report" if source == PAIN_SOURCE else "command", text)
        if on_command is None:
            return
        try:
            on_command(CommandRequest(text, source, reply, pain_allowed=source == PAIN_SOURCE))
        except Exception:
            log.exception("the service failed on the MQTT command %r", text)
            error = CommandPayloadError("internal error: the command was not applied", text)
            self._reply(refusal_payload(error), response_topic, correlation, reply_topic)

    def _reply(
        self,
        payload: dict[str, Any],
        response_topic: str | None,
        correlation: bytes | None,
        reply_topic: str,
    ) -> None:
        with self._lock:
            client = self._client if self._connected else None
        if client is None:
            log.info("MQTT command reply dropped: not connected")
            return
        props: Properties | None = None
        topic = reply_topic
        if response_topic and self._is_v5(client):
            topic = response_topic
            props = self._json_properties()
            if correlation is not None:
                props.CorrelationData = correlation
        try:
            self._publish_other(client, topic, to_json(payload), 1, False, props)
        except ValueError as exc:  # e.g. a response topic with wildcards
            log.warning("MQTT command reply to %r not sent: %s", topic, exc)

    # --- sending -----------------------------------------------------------------------------

    @staticmethod
    def _is_v5(client: mqtt.Client) -> bool:
        return client.protocol == MQTTProtocolVersion.MQTTv5

    @staticmethod
    def _json_properties() -> Properties:
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.PayloadFormatIndicator = 1
        props.ContentType = "application/json"
        return props

    def _publish_other(
        self,
        client: mqtt.Client,
        topic: str,
        payload: str | bytes,
        qos: int,
        retain: bool,
        properties: Properties | None = None,
    ) -> mqtt.MQTTMessageInfo:
        """Publish something that is not an alert (its acknowledgement is not tracked)."""
        info = client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        with self._lock:
            if client is self._client and self._early_acks.pop(info.mid, None) is None:
                self._other_mids.add(info.mid)
        return info

    def _subscribe(self, client: mqtt.Client) -> None:
        commands = [self._topics.command, self._topics.pain]
        if self._is_v5(client):
            # retained commands are never delivered (a stale snooze must not replay),
            # and a command published retained while connected keeps its retain flag
            # (retain as published) so that it is recognised and ignored
            opts = SubscribeOptions(
                qos=1, retainAsPublished=True, retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND
            )
            subs: list[tuple[str, Any]] = [(t, opts) for t in commands]
            if self._ha_status is not None:
                status_opts = SubscribeOptions(
                    qos=1, retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND
                )
                subs.append((self._ha_status, status_opts))
            client.subscribe(subs)
        else:
            topics = [*commands, *([self._ha_status] if self._ha_status else [])]
            client.subscribe([(t, 1) for t in topics])

    def _announce(self, client: mqtt.Client) -> None:
        for topic, payload in self._discovery:
            self._publish_other(client, topic, payload, 1, True)

    def _pump(self, *, log_expired: bool = True) -> tuple[int, int]:
        """Send what waits, if connected and no other thread is sending."""
        sent = expired = 0
        while self._send_lock.acquire(blocking=False):
            try:
                s, e = self._drain()
            finally:
                self._send_lock.release()
            sent, expired = sent + s, expired + e
            with self._lock:
                room = len(self._inflight) < self._window
                if not (self._connected and ((self._queue and room) or self._status_dirty)):
                    break
        if log_expired:
            self._log_expired(expired)
        return sent, expired

    def _log_expired(self, expired: int) -> None:
        if expired:
            log.warning(
                "%d alert(s) waited longer than alert_ttl_s (%g s) for the broker and expired "
                "unsent",
                expired,
                self._settings.alert_ttl_s,
            )

    def _drain(self) -> tuple[int, int]:
        """Send the newest state, then the queued alerts in order (``_send_lock`` held)."""
        s = self._settings
        sent = expired = 0
        while True:
            status: LiveStatus | None = None
            entry: _Entry | None = None
            with self._lock:
                client = self._client
                if client is None or not self._connected:
                    return sent, expired
                if self._status_dirty and self._status is not None:
                    status, self._status_dirty = self._status, False
                elif len(self._inflight) >= self._window:
                    return sent, expired  # the next PUBACK sends more
                else:
                    now = self._clock()
                    while self._queue:
                        head = self._queue.popleft()
                        if now - head.raised_at_s > s.alert_ttl_s:
                            expired += 1
                            self._n["expired"] += 1
                            continue
                        entry = self._sending = head
                        break
                    if entry is None:
                        return sent, expired
            if status is not None:
                props = self._json_properties() if self._is_v5(client) else None
                payload = to_json(state_payload(status))
                self._publish_other(client, self._topics.state, payload, 0, True, props)
                continue
            assert entry is not None
            self._send_alert(client, entry)
            sent += 1

    def _send_alert(self, client: mqtt.Client, entry: _Entry) -> None:
        s = self._settings
        sent_at = self._clock()
        payload = alert_payload(
            entry.alert,
            user_id=s.user_id,
            raised_at_s=entry.raised_at_s,
            sent_at_s=sent_at,
            late_after_s=s.late_after_s,
        )
        props: Properties | None = None
        if self._is_v5(client):
            props = self._json_properties()
            remaining_s = s.alert_ttl_s - (sent_at - entry.raised_at_s)
            props.MessageExpiryInterval = max(1, math.ceil(remaining_s))
        try:
            info = client.publish(
                self._topics.alert, to_json(payload), qos=s.qos, retain=False, properties=props
            )
        except Exception as exc:
            with self._lock:
                if self._sending is entry:
                    self._sending = None
                self._n["refused"] += 1
            log.error("MQTT alert %s could not be published (%s); dropped", entry.alert.id, exc)
            return
        with self._lock:
            if self._sending is not entry:
                return  # the connection dropped meanwhile: the entry is queued again
            self._sending = None
            entry.late = bool(payload["late"])
            self._n["sent"] += 1
            if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
                # paho refused it outright (queue full …): back to the head, retried later
                self._queue.appendleft(entry)
                log.warning("paho refused alert %s (%s); kept", entry.alert.id, info.rc)
                return
            early = self._early_acks.pop(info.mid, None)
            if early is not None:
                self._acked_locked(entry, early)
            else:
                self._inflight[info.mid] = entry

    # --- outbox bookkeeping ------------------------------------------------------------------

    def _pending_locked(self) -> int:
        return len(self._queue) + len(self._inflight) + (self._sending is not None)

    def _trim_locked(self) -> None:
        over = self._pending_locked() - self._settings.outbox_max
        if over <= 0:
            self._overflowing = False
            return
        for _ in range(over):
            # only alerts not handed to paho: one in flight is sent and will be
            # acknowledged (or comes back to the queue if the connection drops)
            if not self._queue:
                break
            self._queue.popleft()
            self._n["expired"] += 1
        if not self._overflowing:
            self._overflowing = True
            log.warning(
                "MQTT outbox is full (outbox_max %d alerts, broker %s unreachable?): the oldest "
                "alerts expire unsent",
                self._settings.outbox_max,
                self._where,
            )
