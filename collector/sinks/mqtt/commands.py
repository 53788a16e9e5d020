"""The command and pain topics: subscribed, guarded, parsed, handed over, answered.

A message on ``command`` or ``pain`` is first admitted by the rate limit (over it:
dropped unanswered, counted by the guard); a retained one, or a payload that cannot
be a command (:mod:`collector.sinks.mqtt_payloads` says why), is refused and
answered; the rest goes to the service as a :class:`CommandRequest` whose ``reply``
publishes the outcome on ``…/reply`` (or the MQTT 5 Response Topic).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from analytics.alert_records import Alert
from collector.service.command_guard import CommandGuard
from collector.sinks.base import CommandCallback, CommandRequest
from collector.sinks.mqtt.transport import Connection, is_v5, json_properties
from collector.sinks.mqtt_payloads import (
    CommandPayloadError,
    Topics,
    parse_command_payload,
    parse_pain_payload,
    refusal_payload,
    reply_payload,
    to_json,
)

log = logging.getLogger(__name__)

PAIN_SOURCE = "mqtt-pain"
"""``CommandRequest.source`` of reports from the pain topic."""


def subscribe(client: mqtt.Client, topics: Topics, ha_status: str | None) -> None:
    """The command and pain topics (and Home Assistant's status topic, if given)."""
    commands = [topics.command, topics.pain]
    if is_v5(client):
        # retained commands are never delivered (a stale snooze must not replay),
        # and a command published retained while connected keeps its retain flag
        # (retain as published) so that it is recognised and ignored
        opts = SubscribeOptions(
            qos=1, retainAsPublished=True, retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND
        )
        subs: list[tuple[str, Any]] = [(t, opts) for t in commands]
        if ha_status is not None:
            once = SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND)
            subs.append((ha_status, once))
        client.subscribe(subs)
    else:
        every = [*commands, *([ha_status] if ha_status else [])]
        client.subscribe([(t, 1) for t in every])


class CommandInbox:
    """Commands and pain reports from the broker; ``connection`` gives the live
    connection (None while down) for the answers."""

    def __init__(
        self,
        topics: Topics,
        guard: CommandGuard,
        connection: Callable[[], Connection | None],
    ) -> None:
        self._topics = topics
        self._guard = guard
        self._connection = connection
        self.on_command: CommandCallback | None = None
        self.handed = 0
        """Commands handed to the service (pain reports included)."""
        self.refused = 0
        """Payloads refused by the sink (answered, never handed over)."""

    def handle(self, message: mqtt.MQTTMessage) -> None:
        """A message on the command or pain topic."""
        if not self._guard.admit(message.topic):
            return  # a flood: dropped unanswered (counted, warned once)
        if message.topic == self._topics.command:
            self._command(message)
        else:
            self._pain(message)

    def _retained(self, message: mqtt.MQTTMessage) -> bool:
        """A retained command would be applied again on every reconnection: never.
        (The subscription keeps the publisher's retain flag on live delivery too.)"""
        if not message.retain:
            return False
        self.refused += 1
        log.warning(
            "ignored a retained message on %s: commands must not be retained "
            "(clear it with an empty retained message)",
            message.topic,
        )
        return True

    def _command(self, message: mqtt.MQTTMessage) -> None:
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
            self.refused += 1
            log.info("MQTT %s refused: %s", message.topic, parsed.reason)
            self._reply(refusal_payload(parsed), response_topic, correlation, reply_topic)
            return
        text = parsed

        def reply(results: list[Alert]) -> None:
            self._reply(reply_payload(text, results), response_topic, correlation, reply_topic)

        self.handed += 1
        log.info("MQTT %s %r", "pain report" if source == PAIN_SOURCE else "command", text)
        if self.on_command is None:
            return
        try:
            self.on_command(CommandRequest(text, source, reply, pain_allowed=source == PAIN_SOURCE))
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
        conn = self._connection()
        if conn is None:
            log.info("MQTT command reply dropped: not connected")
            return
        client = conn.client
        props: Properties | None = None
        topic = reply_topic
        if response_topic and is_v5(client):
            topic = response_topic
            props = json_properties()
            if correlation is not None:
                props.CorrelationData = correlation
        try:
            client.publish(topic, to_json(payload), qos=1, retain=False, properties=props)
        except ValueError as exc:  # e.g. a response topic with wildcards
            log.warning("MQTT command reply to %r not sent: %s", topic, exc)
        conn.flush()
