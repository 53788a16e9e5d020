"""A command sent to a running service over its MQTT command topic (``sitload send``).

A short-lived, blocking client: it connects with the service's broker settings, reads
the service's retained availability (``online`` or the last will's ``offline``),
publishes the command (MQTT 5: with a Response Topic and Correlation Data) and waits
for the answer on ``…/command/reply``. Every failure is one of the two errors below,
each with one sentence that says what to do.
"""

from __future__ import annotations

import json
import queue
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collector.sinks.mqtt.transport import tls_context
from collector.sinks.mqtt_payloads import ONLINE, CommandPayloadError, Topics, parse_command_payload
from collector.sinks.settings import MqttSettings

AVAILABILITY_WAIT_S = 2.0
"""How long the retained availability may take to arrive after subscribing."""


class SendError(RuntimeError):
    """The command was not delivered, or not answered (the message says why)."""


class NotListeningError(SendError):
    """No running service took the command (offline, or no answer in time)."""


@dataclass(frozen=True, slots=True)
class SendReply:
    """The service's answer (``docs/mqtt.md``, the command reply)."""

    ok: bool
    command: str | None
    messages: tuple[str, ...]
    """The messages of the alerts the command produced (``Prompts snoozed …``)."""
    error: str | None


def check_command(text: str) -> str:
    """The command as the service will read it; ValueError when the command topic
    would refuse it (pain, minutes out of range …)."""
    parsed = parse_command_payload(text.encode("utf-8"))
    if isinstance(parsed, CommandPayloadError):
        raise ValueError(parsed.reason)
    return parsed


def _where(s: MqttSettings) -> str:
    return f"{'mqtts' if s.tls else 'mqtt'}://{s.host}:{s.port}"


class _Exchange:
    """The client's callbacks: the connection's outcome and the messages."""

    def __init__(self) -> None:
        self.connected = threading.Event()
        self.reason: str | None = None
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()

    def on_connect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.reason = None if not reason.is_failure else str(reason)
        self.connected.set()

    def on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        self.messages.put(message)


def _client(s: MqttSettings, v5: bool, exchange: _Exchange) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"sitload-send-{s.user_id}-{uuid.uuid4().hex[:8]}",
        protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
    )
    if s.username is not None:
        client.username_pw_set(s.username, s.password)
    if s.tls:
        client.tls_set_context(tls_context(s.ca_file, s.tls_insecure))
    client.on_connect = exchange.on_connect
    client.on_message = exchange.on_message
    return client


def _connect(s: MqttSettings, timeout_s: float) -> tuple[mqtt.Client, _Exchange, bool]:
    """A connected client (MQTT 5 unless the settings or the broker say 3.1.1)."""
    tries = [True, False] if s.protocol == "auto" else [s.protocol == "5"]
    refused = ""
    for v5 in tries:
        exchange = _Exchange()
        client = _client(s, v5, exchange)
        try:
            client.connect(s.host, s.port, keepalive=max(5, int(timeout_s) + 5))
        except (OSError, ValueError) as exc:
            raise SendError(
                f"cannot reach the MQTT broker at {_where(s)} ({exc}); is it running, and "
                "is it the broker in the service's config?"
            ) from None
        client.loop_start()
        if exchange.connected.wait(timeout_s) and exchange.reason is None:
            return client, exchange, v5
        client.loop_stop()
        client.disconnect()
        refused = exchange.reason or f"no answer within {timeout_s:g} s"
    raise SendError(
        f"the MQTT broker at {_where(s)} refused the connection ({refused}); check the "
        "user name and password (--mqtt-password-file or $SITLOAD_MQTT_PASSWORD)"
    )


def _availability(exchange: _Exchange, topics: Topics, wait_s: float) -> str | None:
    """The retained availability of the service, None if it never said."""
    try:
        while True:
            m = exchange.messages.get(timeout=wait_s)
            if m.topic == topics.availability:
                return bytes(m.payload).decode("utf-8", "replace")
    except queue.Empty:
        return None


def _reply(
    exchange: _Exchange, topics: Topics, command: str, token: bytes | None, timeout_s: float
) -> dict[str, Any] | None:
    try:
        while True:
            m = exchange.messages.get(timeout=timeout_s)
            if m.topic != topics.command_reply:
                continue
            correlation = getattr(m.properties, "CorrelationData", None)
            if token is not None and correlation is not None and correlation != token:
                continue  # the answer to someone else's command
            try:
                body = json.loads(bytes(m.payload))
            except ValueError:
                continue
            if not isinstance(body, dict):
                continue
            if correlation is None and body.get("command") != command:
                continue
            return body
    except queue.Empty:
        return None


def send_command(s: MqttSettings, text: str, *, timeout_s: float = 5.0) -> SendReply:
    """Send ``text`` (``snooze 15``, ``ack``, ``calibrate``) to the service of
    ``s.user_id`` and return its answer. Raises ValueError for a command the service
    would refuse unread, :class:`NotListeningError` when no service takes it,
    :class:`SendError` when the broker cannot be reached."""
    command = check_command(text)
    topics = Topics.of(s.prefix, s.user_id)
    client, exchange, v5 = _connect(s, timeout_s)
    try:
        client.subscribe([(topics.availability, 1), (topics.command_reply, 1)])
        state = _availability(exchange, topics, min(AVAILABILITY_WAIT_S, timeout_s))
        if state != ONLINE:
            said = "it never connected" if state is None else f"its last word was {state!r}"
            raise NotListeningError(
                f"no sitload service of user {s.user_id!r} is listening on {_where(s)} "
                f"({said}); start it with `sitload run`, or check --user and the broker"
            )
        props: Properties | None = None
        token: bytes | None = None
        if v5:
            token = uuid.uuid4().bytes
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            props.ResponseTopic = topics.command_reply
            props.CorrelationData = token
        client.publish(topics.command, command, qos=1, retain=False, properties=props)
        body = _reply(exchange, topics, command, token, timeout_s)
    finally:
        client.disconnect()
        client.loop_stop()
    if body is None:
        raise NotListeningError(
            f"the service of user {s.user_id!r} on {_where(s)} did not answer within "
            f"{timeout_s:g} s; is `sitload run` still running?"
        )
    results = body.get("results") or []
    return SendReply(
        ok=bool(body.get("ok")),
        command=body.get("command"),
        messages=tuple(str(r.get("message", "")) for r in results if isinstance(r, dict)),
        error=body.get("error"),
    )
