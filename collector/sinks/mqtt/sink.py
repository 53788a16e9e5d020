"""The MQTT alert sink: alerts, live state and Home Assistant discovery; commands in.

Everything runs in the service's event loop (see the package's docstring): the
service's calls only queue and hand packets to paho, which writes them without
waiting for the network.
"""

from __future__ import annotations

import asyncio
import collections
import importlib.metadata
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from analytics.alert_records import Alert
from collector.service.command_guard import CommandGuard, CommandLimits
from collector.sinks.base import CommandCallback, LiveStatus
from collector.sinks.day_report import DayReport, daily_payload
from collector.sinks.ha_discovery import discovery_messages, status_topic
from collector.sinks.ha_registry import origin_support_url, remember_configs
from collector.sinks.mqtt.checks import check_settings
from collector.sinks.mqtt.commands import CommandInbox, subscribe
from collector.sinks.mqtt.link import MAX_IN_FLIGHT, MqttLink, protocol_name
from collector.sinks.mqtt.outbox import Entry, Outbox
from collector.sinks.mqtt.transport import Connection, is_v5, json_properties
from collector.sinks.mqtt_payloads import (
    OFFLINE,
    ONLINE,
    Topics,
    alert_payload,
    state_payload,
    to_json,
)
from collector.sinks.settings import MqttSettings

log = logging.getLogger(__name__)

_LIMITS = CommandLimits()

_STOP_POLL_S = 0.02

DAYS_KEPT = 31  # day summaries kept while the broker is unreachable (oldest go first)


def _version() -> str:
    try:
        return importlib.metadata.version("sitload")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


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


class MqttSink:
    """Publishes alerts and the live status to an MQTT broker; takes commands.

    Implements :class:`collector.sinks.base.AlertSink`; call it from the event loop
    that ran :meth:`start`."""

    name = "mqtt"

    def __init__(
        self,
        settings: MqttSettings,
        *,
        clock: Callable[[], float] = time.time,
        flush_timeout_s: float = 5.0,
        command_limits: CommandLimits = _LIMITS,
        discovery_registry: Path | None = None,
        support_url: str | None = None,
    ) -> None:
        """``discovery_registry``: the file listing the configs announced before (see
        :mod:`collector.sinks.ha_registry`); those no longer announced are cleared.
        ``support_url``: ``origin.support_url`` (None: the settings', else the
        package's URL, if any)."""
        s = settings
        self._settings = s
        self._topics = Topics.of(s.prefix, s.user_id)
        check_settings(s)
        self._discovery: list[tuple[str, bytes]] = []
        self._ha_status: str | None = None
        if s.discovery:
            self._ha_status = status_topic(s.discovery_prefix)
            url = support_url or origin_support_url(s.support_url)
            configs = [
                (topic, to_json(payload))
                for topic, payload in discovery_messages(s, sw_version=_version(), support_url=url)
            ]
            retired: list[str] = []
            if discovery_registry is not None:
                retired = remember_configs(discovery_registry, [t for t, _ in configs])
            if retired:
                log.info("clearing %d Home Assistant config(s) no longer announced", len(retired))
            # the empty retained configs first: they remove the old entities
            self._discovery = [(topic, b"") for topic in retired] + configs
        self._clock = clock
        self._flush_timeout_s = flush_timeout_s
        self._guard = CommandGuard(command_limits, what="MQTT commands")
        self._link = MqttLink(s, self._topics, self)
        self._inbox = CommandInbox(self._topics, self._guard, lambda: self._link.connection)
        self._outbox = Outbox(s.outbox_max, MAX_IN_FLIGHT)
        self._status: LiveStatus | None = None
        self._status_dirty = False
        self._days: collections.deque[bytes] = collections.deque(maxlen=DAYS_KEPT)
        self._started = False
        self._stopping = False
        self._overflowing = False
        self._n = collections.Counter[str]()

    # --- the AlertSink protocol ------------------------------------------------------------

    async def start(self, on_command: CommandCallback) -> None:
        """Begin connecting in the background (returns at once, broker up or not)."""
        if self._started:
            return
        self._started = True
        self._inbox.on_command = on_command
        self._link.start()

    def publish_alert(self, alert: Alert) -> None:
        """Queue the alert and send it now if connected (never waits for the network)."""
        self._n["published"] += 1
        dropped = self._outbox.add(alert, self._clock())
        self._n["expired"] += dropped
        if dropped and not self._overflowing:
            log.warning(
                "MQTT outbox is full (outbox_max %d alerts, broker %s unreachable?): the oldest "
                "alerts expire unsent",
                self._settings.outbox_max,
                self._link.where,
            )
        self._overflowing = dropped > 0
        self._pump()

    def publish_status(self, status: LiveStatus) -> None:
        """Replace the retained state (only the newest is kept while disconnected)."""
        self._status = status
        self._status_dirty = True
        self._pump()

    def publish_day(self, report: DayReport) -> None:
        """Queue the day summary for ``<base>/daily`` (retained, QoS 1), in order."""
        self._days.append(to_json(daily_payload(report)))
        self._pump()

    async def stop(self) -> None:
        """Say offline, wait up to ``flush_timeout_s`` for queued alerts to be
        acknowledged, disconnect. Idempotent."""
        if self._stopping or not self._started:
            self._stopping = True
            return
        self._stopping = True
        self._link.stopping()  # after a drop with alerts waiting: one more try, at once
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._flush_timeout_s
        offline: mqtt.MQTTMessageInfo | None = None
        while True:
            conn = self._link.connection
            if conn is not None and offline is None:
                offline = conn.client.publish(self._topics.availability, OFFLINE, 1, True)
                conn.flush()
            offline_done = offline is not None and offline.is_published()
            pending = self._outbox.pending()
            if pending == 0 and (offline_done or conn is None):
                break
            if self._link.done or loop.time() >= deadline:
                break
            await asyncio.sleep(_STOP_POLL_S)
        pending = self._outbox.pending()
        if pending:
            log.warning(
                "MQTT sink stopped with %d alert(s) not acknowledged by %s (broker unreachable "
                "or slow); they were not delivered",
                pending,
                self._link.where,
            )
        await self._link.close()
        log.info("MQTT sink stopped (%s)", self._summary())

    # --- introspection ---------------------------------------------------------------------

    def counters(self) -> MqttCounters:
        n = self._n
        return MqttCounters(
            published=n["published"],
            sent=n["sent"],
            delivered=n["delivered"],
            late=n["late"],
            expired=n["expired"],
            refused=n["refused"],
            queued=self._outbox.pending(),
            commands=self._inbox.handed,
            rejected_commands=self._inbox.refused,
            dropped_commands=self._guard.dropped_total,
            reconnects=self._link.reconnects,
            connected=self._link.connected,
            protocol=protocol_name(self._link.protocol),
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

    # --- what the link tells (collector.sinks.mqtt.link.LinkEvents) --------------------------

    def link_up(self, client: mqtt.Client) -> tuple[int, int, int]:
        queued = self._outbox.waiting()
        self._status_dirty = self._status is not None
        if not self._stopping:
            # subscribe first: once "online" is out, commands are heard (the broker
            # handles a connection's packets in order)
            subscribe(client, self._topics, self._ha_status)
            client.publish(self._topics.availability, ONLINE, qos=1, retain=True)
            self._announce(client)
        sent, expired = self._pump(log_expired=False)
        self._log_expired(expired)
        return sent, queued, expired

    def link_down(self) -> None:
        self._outbox.requeue()

    def queued(self) -> int:
        return self._outbox.pending()

    def on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        conn = self._link.connection
        if conn is None or client is not conn.client:
            return
        entry = self._outbox.acknowledged(mid)
        if entry is None:
            return  # not an alert: state, availability, discovery, a reply
        if reason.is_failure:
            self._n["refused"] += 1
            log.warning(
                "MQTT broker %s refused alert %s (%s); it is dropped (check the ACL of user %r)",
                self._link.where,
                entry.alert.id,
                reason,
                self._settings.username,
            )
        else:
            self._n["delivered"] += 1
            self._n["late"] += entry.late
        if self._outbox.waiting():
            self._pump()  # room in the window

    def on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            if message.topic in (self._topics.command, self._topics.pain):
                self._inbox.handle(message)
            elif message.topic == self._ha_status and message.payload.strip() == b"online":
                log.info("Home Assistant is online: announcing the entities again")
                self._announce(client)
        except Exception:  # a bad message must never stop the connection
            log.exception("MQTT message on %s could not be handled", message.topic)

    # --- sending -----------------------------------------------------------------------------

    def _announce(self, client: mqtt.Client) -> None:
        for topic, payload in self._discovery:
            client.publish(topic, payload, qos=1, retain=True)

    def _pump(self, *, log_expired: bool = True) -> tuple[int, int]:
        """Send the newest state, then the waiting alerts in order, as far as the
        window allows, if connected; write it all out."""
        conn = self._link.connection
        if conn is None:
            return 0, 0
        client = conn.client
        if self._status_dirty and self._status is not None:
            self._status_dirty = False
            props = json_properties() if is_v5(client) else None
            payload = to_json(state_payload(self._status))
            client.publish(self._topics.state, payload, qos=0, retain=True, properties=props)
        while self._days:  # in order; one paho refuses now is sent again later
            props = json_properties() if is_v5(client) else None
            day = client.publish(self._topics.daily, self._days[0], 1, True, properties=props)
            if day.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                break
            self._days.popleft()
        sent_before, expired = self._n["sent"], 0
        while True:
            entry, gone = self._outbox.next(self._clock(), self._settings.alert_ttl_s)
            expired += gone
            self._n["expired"] += gone
            if entry is None or not self._send_alert(conn, entry):
                break
        sent = self._n["sent"] - sent_before
        if log_expired:
            self._log_expired(expired)
        conn.flush()
        return sent, expired

    def _log_expired(self, expired: int) -> None:
        if expired:
            log.warning(
                "%d alert(s) waited longer than alert_ttl_s (%g s) for the broker and expired "
                "unsent",
                expired,
                self._settings.alert_ttl_s,
            )

    def _send_alert(self, conn: Connection, entry: Entry) -> bool:
        """Hand one alert to paho (or drop it if it cannot be published); False if
        paho would not take it now (it waits first in line)."""
        s = self._settings
        client = conn.client
        sent_at = self._clock()
        payload = alert_payload(
            entry.alert,
            user_id=s.user_id,
            raised_at_s=entry.raised_at_s,
            sent_at_s=sent_at,
            late_after_s=s.late_after_s,
        )
        props: Properties | None = None
        if is_v5(client):
            props = json_properties()
            remaining_s = s.alert_ttl_s - (sent_at - entry.raised_at_s)
            props.MessageExpiryInterval = max(1, math.ceil(remaining_s))
        try:
            info = client.publish(
                self._topics.alert, to_json(payload), qos=s.qos, retain=False, properties=props
            )
        except Exception as exc:
            self._n["refused"] += 1
            log.error("MQTT alert %s could not be published (%s); dropped", entry.alert.id, exc)
            return True
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            # paho refused it outright (queue full …): first again, retried later
            self._outbox.retry(entry)
            log.warning("paho refused alert %s (%s); kept", entry.alert.id, info.rc)
            return False
        entry.late = bool(payload["late"])
        self._n["sent"] += 1
        self._outbox.sent(entry, info.mid)
        return True
